"""Trials in a real browser, at desktop and phone widths: a paying Team customer starts a
Business trial from the pricing page (the start page says what happens), sees the trial
panel on the dashboard with the features its software reported, and ends it; a new
organization starts a Team trial from the dashboard and gets its key once, and one buys
its trial license from the panel. axe on each new page, no sideways scrolling.
Screenshots go to $TRIAL_SHOTS when set."""

import os
import re

import pytest
from playwright.sync_api import expect

from billing.models import BillingDetails
from licensing.demo.catalog import build_catalog
from licensing.models import Trial, TrialStatus
from licensing.usage.features import FeatureReport, feature_use_record_batch
from portal import clock
from tests.helpers.checkout import subscribed_this_month
from tests.helpers.licenses import Catalog

pytestmark = pytest.mark.browser


def _shot(page, name: str, locator=None) -> None:
    folder = os.environ.get("TRIAL_SHOTS")
    if folder:
        (locator or page).screenshot(
            path=f"{folder}/{name}.png", **({} if locator else {"full_page": True})
        )


def _no_sideways_scroll(page, width: int) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    wide = page.evaluate(
        "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right"
        " > window.innerWidth + 1).slice(-6).map(e => e.tagName + '.' + e.className + ' '"
        " + Math.round(e.getBoundingClientRect().right))"
    )
    assert not overflow, f"{page.url} scrolls sideways at {width}px: {wide}"


@pytest.mark.parametrize("width", [1280, 390])
def test_a_paying_customer_tries_business_sees_the_panel_and_ends_it(
    page, live_server, login, axe, owner, organization, width
):
    build_catalog()
    team = subscribed_this_month(organization, Catalog(), seats=5)
    page.set_viewport_size({"width": width, "height": 900})
    login(owner)

    page.goto(f"{live_server.url}/pricing/")
    # Every button's label fits inside its border ("Try Business free for 14 days" in
    # a narrow card wraps).
    spilled = page.evaluate(
        "[...document.querySelectorAll('.btn')].filter(b => b.scrollWidth > b.clientWidth + 1)"
        ".map(b => b.textContent.trim())"
    )
    assert not spilled, f"labels wider than their buttons at {width}px: {spilled}"
    page.get_by_role("link", name="Try Business free for 14 days").click()
    expect(page.get_by_role("heading", name="Try Business free for 14 days")).to_be_visible()
    expect(page.get_by_text("No payment details are asked")).to_be_visible()
    expect(page.get_by_text("You go back to Team by yourself")).to_be_visible()
    axe(f"trial start page at {width}px")
    _no_sideways_scroll(page, width)
    _shot(page, f"trial-start-{width}")

    page.get_by_role("button", name="Start the Business trial").click()
    expect(page.get_by_role("heading", name="Your Business trial has started")).to_be_visible()
    axe(f"trial started page at {width}px")
    trial = Trial.objects.get(organization=organization)
    feature_use_record_batch(
        license=team,
        reports=[FeatureReport("webhooks", 12, "e2e-1"), FeatureReport("webhooks", 3, "e2e-2")],
        at=clock.now(),
    )

    page.get_by_role("link", name="Go to your dashboard").click()
    panel = page.locator(f"#trial-{trial.pk}")
    expect(panel.get_by_role("heading", name="Business trial")).to_be_visible()
    expect(panel.get_by_text("15 uses")).to_be_visible()
    expect(panel.get_by_text("Not used yet")).to_be_visible()  # the audit log
    expect(panel.get_by_role("link", name="Keep Business: buy it")).to_be_visible()
    axe(f"dashboard with the trial panel at {width}px")
    _no_sideways_scroll(page, width)
    _shot(page, f"trial-panel-{width}", panel)

    page.goto(f"{live_server.url}/app/{organization.slug}/trials/{trial.pk}/")
    expect(page.get_by_role("heading", name="Your Business trial")).to_be_visible()
    axe(f"trial page at {width}px")
    _no_sideways_scroll(page, width)
    page.locator(f"#trial-{trial.pk}").get_by_role("link", name="End the trial now…").click()
    expect(page.get_by_role("heading", name="End the Business trial now?")).to_be_visible()
    axe(f"end trial page at {width}px")
    _no_sideways_scroll(page, width)
    _shot(page, f"trial-end-{width}")
    page.get_by_label("Why are you ending it? (optional)").fill("We have what we need.")
    page.get_by_role("button", name="End the trial now").click()
    expect(page.get_by_text("Your Business trial has ended.")).to_be_visible()
    trial.refresh_from_db()
    assert trial.status == TrialStatus.ENDED


def test_a_new_organization_starts_a_team_trial_from_the_dashboard_and_gets_its_key(
    page, live_server, login, axe, owner, organization
):
    build_catalog()
    login(owner)
    page.goto(f"{live_server.url}/app/{organization.slug}/")
    page.get_by_role("link", name="Try Team free for 14 days").click()
    expect(page.get_by_text("on a new trial license with its own key")).to_be_visible()
    page.get_by_role("button", name="Start the Team trial").click()
    expect(page.get_by_text("it is shown only this once")).to_be_visible()
    expect(page.locator("#secret-value")).to_contain_text("TW-")
    axe("trial started page with the key")
    page.get_by_role("link", name="Go to your dashboard").click()
    expect(page.get_by_role("heading", name="Team trial")).to_be_visible()


def test_a_trial_license_is_bought_from_the_panel(page, live_server, login, axe, owner):
    """The panel's Convert opens the checkout of the trial's tier on the trial license;
    confirming buys it and the trial closes as converted (trialconvert's checkout)."""
    build_catalog()
    organization = owner.memberships.get().organization
    BillingDetails.objects.create(
        organization=organization,
        legal_name="Northwind Ltd",
        address_line1="1 Main Street",
        city="Dublin",
        country="IE",
    )
    login(owner)
    page.goto(f"{live_server.url}/app/{organization.slug}/")
    page.get_by_role("link", name="Try Team free for 14 days").click()
    page.get_by_role("button", name="Start the Team trial").click()
    page.get_by_role("link", name="Go to your dashboard").click()
    page.get_by_role("link", name="Keep Team: buy it").click()
    confirm = page.get_by_role("button", name=re.compile(r"^Confirm: "))
    expect(confirm).to_be_visible()
    axe("checkout from the trial panel")
    confirm.click()
    expect(page.get_by_role("heading", name="Your Team trial is converted")).to_be_visible()
    trial = Trial.objects.get(organization=organization)
    assert trial.status == TrialStatus.CONVERTED
