"""The dashboard's renewal panel in a real browser, at desktop and phone widths: a
grandfathered license whose price rises at the next renewal (both prices side by side),
and one that does not renew by itself (its expiry and the Renew button). No serious
accessibility problem, no sideways scrolling. Screenshots go to $RENEWAL_SHOTS when set."""

import os
from datetime import date

import pytest
from playwright.sync_api import expect

from billing.models import PeriodReason
from billing.subscriptions.cancellation import subscription_cancel
from billing.subscriptions.periods import Span
from billing.subscriptions.services import subscription_create, subscription_period_add
from licensing.demo.catalog import build_catalog
from licensing.licenses.services import Actor, license_create, license_set_auto_renew
from licensing.models import TierVersion
from portal import clock
from tests.helpers.licenses import SYSTEM

pytestmark = pytest.mark.browser


def _grandfathered(owner, *, auto_renew: bool):
    """Team v1 (flat $79 a month, retired; its successor v2 is $19 a seat) for this month:
    the lock ends with the term, so the next renewal moves to v2 at $95 for 5 seats."""
    build_catalog()
    today = clock.today()
    # The retired version's notice date passed: the lock holds to the term's end only.
    TierVersion.objects.filter(tier__slug="team", number=1).update(notice_date=today)
    start = today.replace(day=1)
    end = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    end = date.fromordinal(end.toordinal() - 1)
    issued = license_create(
        organization=owner.memberships.get().organization,
        version=TierVersion.objects.get(tier__slug="team", number=1),
        seats=5,
        term_start=start,
        term_end=end,
        actor=Actor(label="test"),
        reason="Browser test.",
    )
    subscription = subscription_create(
        license=issued.license, currency="USD", cycle="monthly", actor=SYSTEM, reason="Test."
    )
    subscription_period_add(
        subscription=subscription,
        span=Span(start, end),
        reason=PeriodReason.PURCHASE,
        amount=subscription.cycle_price.rounded(),
    )
    if not auto_renew:
        license_set_auto_renew(
            license=issued.license, auto_renew=False, actor=SYSTEM, reason="By hand."
        )
    return issued.license


def _inside(panel) -> None:
    """Every button and link of the panel within the card's right edge (they wrap)."""
    card = panel.bounding_box()
    for control in panel.locator(".btn").all():
        box = control.bounding_box()
        assert box["x"] + box["width"] <= card["x"] + card["width"] + 0.5, (
            f"{control.inner_text()!r} runs past the card's edge"
        )


def _shot(panel, name: str) -> None:
    folder = os.environ.get("RENEWAL_SHOTS")
    if folder:
        panel.screenshot(path=f"{folder}/{name}.png")


@pytest.mark.parametrize("width", [1280, 390])
def test_a_rise_shows_both_prices_readably(page, live_server, login, axe, owner, width):
    license = _grandfathered(owner, auto_renew=True)
    page.set_viewport_size({"width": width, "height": 900})
    login(owner)
    page.goto(f"{live_server.url}/app/northwind/")
    panel = page.locator(f"#renewal-{license.pk}")
    expect(panel.get_by_role("heading", name="Your next renewal")).to_be_visible()
    rise = panel.get_by_role("table", name="The price changes at this renewal (before tax)")
    expect(rise.get_by_role("cell", name="$79.00")).to_be_visible()
    expect(rise.get_by_role("cell", name="$95.00")).to_be_visible()
    stop = panel.get_by_role("link", name="Stop renewing: cancel at the term's end")
    expect(stop).to_be_visible()
    axe(f"renewal panel at {width}px")
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert not overflow, f"the dashboard scrolls sideways at {width}px"
    _shot(panel, f"renewal-rise-{width}")


@pytest.mark.parametrize("width", [1280, 390])
def test_without_renewal_it_says_when_it_expires_and_offers_renew(
    page, live_server, login, axe, owner, width
):
    license = _grandfathered(owner, auto_renew=False)
    page.set_viewport_size({"width": width, "height": 900})
    login(owner)
    page.goto(f"{live_server.url}/app/northwind/")
    panel = page.locator(f"#renewal-{license.pk}")
    expect(panel.get_by_role("heading", name="Your term's end")).to_be_visible()
    expect(panel.get_by_text("Expires on")).to_be_visible()
    axe(f"renewal panel, renewal off, at {width}px")
    _inside(panel)
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert not overflow, f"the dashboard scrolls sideways at {width}px"
    _shot(panel, f"renewal-off-{width}")
    panel.get_by_role("link", name="Renew: turn automatic renewal back on").click()
    expect(page.get_by_text("confirming turns automatic renewal back on")).to_be_visible()


@pytest.mark.parametrize("width", [1280, 390])
def test_a_canceled_subscription_ends_with_its_term_and_offers_resume(
    page, live_server, login, axe, owner, width
):
    license = _grandfathered(owner, auto_renew=True)
    subscription_cancel(subscription=license.subscription, actor=Actor.of(owner, "owner"))
    page.set_viewport_size({"width": width, "height": 900})
    login(owner)
    page.goto(f"{live_server.url}/app/northwind/")
    panel = page.locator(f"#renewal-{license.pk}")
    expect(panel.get_by_text("a canceled subscription has no grace days")).to_be_visible()
    resume = panel.get_by_role("button", name="Resume subscription")
    expect(resume).to_be_visible()
    axe(f"renewal panel, canceled, at {width}px")
    _inside(panel)
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert not overflow, f"the dashboard scrolls sideways at {width}px"
    _shot(panel, f"renewal-canceled-{width}")
    resume.click()
    expect(page.locator(f"#renewal-{license.pk}").get_by_role("heading")).to_have_text(
        "Your next renewal"
    )
