"""The license dashboard in a real browser: readable at desktop and phone widths, no
serious accessibility problems, nothing loaded from elsewhere."""

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from billing.models import PeriodReason
from billing.subscriptions.periods import Span
from billing.subscriptions.services import subscription_create, subscription_period_add
from licensing.demo.catalog import build_catalog
from licensing.licenses.services import Actor, license_create
from licensing.models import TierVersion
from portal import clock
from tests.helpers.licenses import SYSTEM

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1280, 390])
def test_it_shows_the_license_dashboard_accessibly(page, live_server, login, axe, owner, width):
    build_catalog()
    issued = license_create(
        organization=owner.memberships.get().organization,
        version=TierVersion.objects.get(tier__slug="team", number=1),
        seats=4,
        term_start=date(2026, 1, 1),
        term_end=date(2030, 12, 31),
        actor=Actor(label="test"),
        reason="Browser test.",
    )
    subscription = subscription_create(
        license=issued.license, currency="USD", cycle="annual", actor=SYSTEM, reason="Test."
    )
    subscription_period_add(
        subscription=subscription,
        span=Span(date(2026, 1, 1), date(2026, 12, 31)),
        reason=PeriodReason.PURCHASE,
        amount=subscription.cycle_price.rounded(),
    )
    remote = []
    page.on("request", lambda r: remote.append(r.url) if live_server.url not in r.url else None)
    page.set_viewport_size({"width": width, "height": 900})
    login(owner)
    page.goto(f"{live_server.url}/app/northwind/")

    expect(page.get_by_role("heading", name="Team v1 Legacy Active")).to_be_visible()
    assert page.get_by_role("img", name="API calls a month over the last 12 months").count() == 1
    page.get_by_text("API calls a month by month, as a table").click()
    periods = page.get_by_role("table", name="Billing periods")
    expect(periods.get_by_role("cell", name="31 Dec 2026")).to_be_visible()
    # The amount and the invoice stay in sight on a phone: no column scrolls out of view.
    wrap = page.locator(".table-wrap", has=periods)
    assert wrap.evaluate("w => w.scrollWidth <= w.clientWidth"), f"periods hidden at {width}px"
    axe(f"license dashboard at {width}px")
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert not overflow, f"the dashboard scrolls sideways at {width}px"
    assert remote == []


def test_it_says_renewal_due_during_the_grace_accessibly(page, live_server, login, axe, owner):
    build_catalog()
    today = clock.today()
    license_create(
        organization=owner.memberships.get().organization,
        version=TierVersion.objects.get(tier__slug="team", number=2),
        seats=4,
        term_start=today - timedelta(days=30),
        term_end=today - timedelta(days=2),  # ended; auto-renew on, its renewal not run yet
        actor=Actor(label="test"),
        reason="Browser test.",
    )
    page.set_viewport_size({"width": 390, "height": 900})
    login(owner)
    page.goto(f"{live_server.url}/app/northwind/")

    expect(page.get_by_text("Renewal due", exact=True)).to_be_visible()
    expect(page.get_by_text("while the renewal runs")).to_be_visible()
    axe("license dashboard in its renewal grace at 390px")


@pytest.mark.parametrize("width", [1280, 390])
def test_an_expired_license_reads_accessibly_within_its_retention(
    page, live_server, login, axe, owner, width, tmp_path
):
    from billing.renewals import services as renewals
    from licensing.licenses.services import license_suspend

    build_catalog()
    today = clock.today()
    issued = license_create(
        organization=owner.memberships.get().organization,
        version=TierVersion.objects.get(tier__slug="team", number=2),
        seats=4,
        term_start=today - timedelta(days=40),
        term_end=today - timedelta(days=10),
        actor=Actor(label="test"),
        reason="Browser test.",
    )
    subscription = subscription_create(
        license=issued.license, currency="USD", cycle="monthly", actor=SYSTEM, reason="Test."
    )
    license_suspend(license=issued.license, actor=SYSTEM, reason="Browser test.")
    assert renewals.subscription_expire(subscription=subscription).outcome == "expired"
    page.set_viewport_size({"width": width, "height": 900})
    login(owner)
    page.goto(f"{live_server.url}/app/northwind/")

    expect(page.get_by_role("heading", name="Team v2 Expired")).to_be_visible()
    expect(page.get_by_text("Suspended at the end of its term")).to_be_visible()
    expect(page.get_by_role("link", name="Buy again")).to_be_visible()
    expect(page.get_by_role("link", name="Download license file")).to_be_visible()
    assert page.get_by_role("link", name="Rotate key…").count() == 0
    page.screenshot(path=str(tmp_path / f"expired-{width}.png"), full_page=True)
    axe(f"expired license dashboard at {width}px")
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert not overflow, f"the dashboard scrolls sideways at {width}px"
