"""A closed trial in a real browser (issue 19, second walk): the customer's "See the trial,
as it ran" page shows the features used with counts and usage against the trial's
limits; the account manager's account page keeps that trial's summary and says its last
day; a paying customer's license header names its trial. axe at 1280 and 390 px (nothing
serious or critical), nothing scrolls sideways;
screenshots in /tmp/shots/ (TRIAL_SHOTS to change it)."""

import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from licensing.demo.catalog import build_catalog
from licensing.models import Feature, FeatureUse, TrialStatus
from licensing.usage.services import UsageReport, usage_record_batch
from portal import clock
from tests.e2e import test_trial_pages as trial_pages
from tests.helpers.browser import wait_until_ready
from tests.helpers.checkout import subscribed, subscribed_this_month
from tests.helpers.licenses import Catalog
from tests.helpers.trials import running_trial

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# That module's fixture: axe, no sideways scroll and screenshots at 1280 and 390 px.
review = trial_pages.review


def test_an_ended_trial_shows_how_it_ran(
    page, live_server, login, review, owner, organization, account_manager
):
    build_catalog()
    team = subscribed(organization, Catalog(), seats=5)
    trial = running_trial(team, "business", starts_at=clock.now() - timedelta(days=6))
    FeatureUse.objects.create(
        license=team,
        feature=Feature.objects.get(key="webhooks"),
        count=12,
        used_at=clock.now() - timedelta(days=1),
        idempotency_key=uuid.uuid4().hex,
        batch=uuid.uuid4(),
    )
    usage_record_batch(
        license=team, reports=[UsageReport(metric="storage", quantity=140, idempotency_key="s")]
    )
    trial.status, trial.ended_at = TrialStatus.ENDED, clock.now()
    trial.save(update_fields=["status", "ended_at"])

    login(owner)
    page.goto(f"{live_server.url}/app/{organization.slug}/trials/{trial.pk}/")
    wait_until_ready(page)
    section = page.locator(f"#trial-ran-{trial.pk}")
    expect(section).to_contain_text("How the trial ran")
    expect(section).to_contain_text("12 uses")
    expect(section).to_contain_text("Not used")
    expect(section).to_contain_text("140 of 250 GB")
    review("trial as it ran")

    page.context.clear_cookies()
    login(account_manager)
    page.goto(f"{live_server.url}/manage/accounts/{organization.pk}/")
    wait_until_ready(page)
    row = page.get_by_role("row", name="Business")
    expect(row).to_contain_text("Webhooks (12)")
    expect(row).to_contain_text(f"{trial.last_day:%-d %b %Y}")
    review("trial account page")


def test_a_paying_customers_header_names_the_trial(
    page, live_server, login, review, owner, organization
):
    build_catalog()
    # A term under way on the real clock: a license past its term grants no trial.
    team = subscribed_this_month(organization, Catalog(), seats=5)
    trial = running_trial(team, "business", starts_at=clock.now() - timedelta(days=4))
    login(owner)
    page.goto(f"{live_server.url}/app/{organization.slug}/")
    wait_until_ready(page)
    expect(page.locator(f"#license-{team.pk}-trial-badge")).to_have_text(
        f"Business trial until {trial.last_day:%-d %b}"
    )
    review("trial header badge")
