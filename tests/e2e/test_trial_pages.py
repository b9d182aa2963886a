"""The trial pages in a real browser after issue 19's walk: a paying Team customer's
start page (the seats it keeps, the limits it will have), and its dashboard during a
Business trial (the seat meter naming Business's maximum, the panel's meters matching
the dashboard's under an admin's storage override). axe at 1280 and 390 px (nothing
serious or critical), nothing scrolls sideways; screenshots in /tmp/shots/ (TRIAL_SHOTS
to change it)."""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from licensing.demo.catalog import build_catalog
from licensing.models import EntitlementOverride, LimitMetric
from licensing.usage.services import UsageReport, usage_record_batch
from portal import clock
from tests.helpers.browser import wait_until_ready
from tests.helpers.checkout import subscribed_this_month
from tests.helpers.licenses import Catalog
from tests.helpers.trials import running_trial

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("TRIAL_SHOTS", "/tmp/shots"))
WIDTHS = (1280, 390)


@pytest.fixture
def review(page, axe):
    SHOTS.mkdir(parents=True, exist_ok=True)

    def check(label: str) -> None:
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            axe(f"{label} at {width}px")
            overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
            assert not overflow, f"{label} scrolls sideways at {width}px"
            page.screenshot(
                path=str(SHOTS / f"{label.replace(' ', '-')}-{width}.png"), full_page=True
            )
        page.set_viewport_size({"width": WIDTHS[0], "height": 900})

    return check


def test_the_start_page_and_the_dashboard_during_a_trial(
    page, live_server, login, review, owner, organization
):
    build_catalog()
    # A term under way on the site's date: a trial starts only on a license in use.
    team = subscribed_this_month(organization, Catalog(), seats=5)
    EntitlementOverride.objects.create(
        license=team,
        metric=LimitMetric.objects.get(key="storage"),
        value=400,
        reason="Archive migration",
        starts_at=clock.now() - timedelta(days=1),
    )
    usage_record_batch(
        license=team, reports=[UsageReport(metric="storage", quantity=140, idempotency_key="s")]
    )
    login(owner)
    page.goto(f"{live_server.url}/app/{organization.slug}/trials/start/business/")
    wait_until_ready(page)
    table = page.locator("table", has_text="Limits during the trial")
    expect(table.get_by_role("row", name="Seats")).to_contain_text("5 seats")
    expect(table.get_by_role("row", name="Storage")).to_contain_text("400 GB")
    review("trial pages start")

    running_trial(team, "business", starts_at=clock.now() - timedelta(days=4))
    page.goto(f"{live_server.url}/app/{organization.slug}/")
    wait_until_ready(page)
    expect(page.get_by_text("Business, on trial until the end of")).to_be_visible()
    expect(page.locator(".trial-panel")).to_contain_text("140 of 400 GB")
    review("trial pages dashboard")
