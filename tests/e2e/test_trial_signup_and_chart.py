"""In a real browser: the sign-up page a visitor reaches from "Try Business" names the
trial and where confirming takes them; the dashboard's usage chart during a trial draws
each month's own limit (the plan's before the trial, the trial's over its months), not
one line across them all. axe (nothing serious or critical) and screenshots in
/tmp/shots/ (TRIAL_SHOTS to change it)."""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from billing.checkout.quote import term_end_for
from licensing.demo.catalog import build_catalog
from licensing.models import License
from licensing.usage.services import UsageReport, usage_record_batch
from portal import clock
from tests.helpers.browser import wait_until_ready
from tests.helpers.checkout import subscribed
from tests.helpers.licenses import Catalog
from tests.helpers.trials import running_trial

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("TRIAL_SHOTS", "/tmp/shots"))


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_the_sign_up_page_from_a_try_link_names_the_trial(page, live_server, axe):
    build_catalog()
    page.goto(f"{live_server.url}/pricing/try/business/")
    wait_until_ready(page)
    expect(page).to_have_title("Sign up for a 14-day trial of Business · Tierwise")
    expect(page.locator("#chosen-plan")).to_contain_text(
        "You are signing up for a 14-day trial of Business, with no payment details asked."
    )
    axe("sign-up for a trial")
    _shot(page, "trial-signup")


def test_the_usage_chart_during_a_trial_draws_each_months_limit(
    page, live_server, login, axe, owner, organization
):
    build_catalog()
    # Team for the last three months or so; Business tried since two days ago.
    started = clock.now() - timedelta(days=70)
    team = subscribed(
        organization,
        Catalog(),
        seats=5,
        cycle="annual",
        term_start=started.date(),
        term_end=term_end_for(started.date(), cycle="annual"),
    )
    License.objects.filter(pk=team.pk).update(created_at=started)
    usage_record_batch(
        license=team,
        reports=[UsageReport(metric="api-calls", quantity=150_000, idempotency_key="a")],
    )
    running_trial(team, "business", starts_at=clock.now() - timedelta(days=2))
    login(owner)
    page.goto(f"{live_server.url}/app/{organization.slug}/")
    wait_until_ready(page)
    chart = page.get_by_role("img", name="API calls a month over the last")
    label = chart.get_attribute("aria-label")
    # Team's 100,000 calls for the months before the trial's, Business's 1,000,000 after.
    assert "against a limit of 1,000,000 calls (100,000 calls in " in label
    months = chart.locator(".axis.x text").count()
    assert months >= 3
    expect(chart.locator("path.limit-step")).to_have_count(months)
    axe("dashboard chart during a trial")
    chart.scroll_into_view_if_needed()
    chart.screenshot(path=str(SHOTS / "trial-chart.png"))
    _shot(page, "trial-dashboard-chart")
