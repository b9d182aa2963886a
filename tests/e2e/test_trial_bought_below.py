"""A trial license bought as a tier below its trial's, in a real browser (issue 19's
fixes): the checkout says the trial ends and what was bought, lists what the trial gives
that the tier bought does not (kept read-only), and the confirmation names what was
bought. axe at 1280 and 390 px; screenshots in /tmp/shots/ (TRIAL_SHOTS)."""

import pytest
from playwright.sync_api import expect

from licensing.demo.catalog import build_catalog
from licensing.models import LicenseEvent, Trial, TrialStatus
from tests.e2e import test_trial_convert as convert
from tests.helpers.browser import wait_until_ready

# That module's fixtures: complete billing details, and axe + screenshots at each width.
billed, review = convert.billed, convert.review

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_trial_license_bought_as_team(
    page, live_server, login, review, owner, organization, billed
):
    build_catalog()
    login(owner)
    page.goto(f"{live_server.url}/app/{organization.slug}/")
    page.get_by_role("link", name="Try Business free for 14 days").click()
    page.get_by_role("button", name="Start the Business trial").click()
    expect(page.get_by_text("it is shown only this once")).to_be_visible()
    trial = Trial.objects.get(organization=organization)

    page.goto(
        f"{live_server.url}/app/{organization.slug}/checkout/"
        "?tier=team&seats=5&cycle=monthly&currency=USD&submitted=1"
    )
    preview = page.locator("#checkout-preview")
    expect(preview).to_contain_text("Your Business trial ends today: you buy Team on its license")
    expect(preview).to_contain_text("What your Business trial gives that Team does not")
    wait_until_ready(page)
    review("trial bought below checkout")

    page.get_by_role("button", name=convert.CONFIRM).click()
    expect(
        page.get_by_role("heading", name="Your Business trial ends: you bought Team")
    ).to_be_visible()
    review("trial bought below confirmation")
    trial.refresh_from_db()
    assert trial.status == TrialStatus.CONVERTED
    assert LicenseEvent.objects.get(license=trial.license, kind="trial_converted").reason == (
        "Trial of Business closed: Team bought on its license."
    )
