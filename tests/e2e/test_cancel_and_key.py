"""The key shown once and cancel / resume in a real browser: a first purchase shows its
key once, with a copy button and a .txt download; an owner cancels with a reason and
resumes from the dashboard. axe finds nothing serious at 1280 and 390 px, nothing scrolls
sideways. Screenshots land in /tmp/shots/ for a person to look at."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from billing.details.services import billing_details_update
from billing.models import PeriodReason, SubscriptionEvent
from billing.subscriptions.periods import Span
from billing.subscriptions.services import subscription_create, subscription_period_add
from licensing.demo.catalog import build_catalog
from licensing.licenses import keys
from licensing.licenses.services import Actor, license_create
from licensing.models import License, TierVersion
from portal import clock
from tests.helpers.browser import wait_until_ready
from tests.helpers.licenses import SYSTEM

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots")
WIDTHS = (1280, 390)


@pytest.fixture
def review(page, axe):
    """review(label): a full-page screenshot at each width, axe, and no sideways scroll."""
    SHOTS.mkdir(exist_ok=True)

    def check(label: str) -> None:
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.screenshot(path=str(SHOTS / f"{label}-{width}.png"), full_page=True)
            axe(f"{label} at {width}px")
            overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
            assert not overflow, f"{label} scrolls sideways at {width}px"
        page.set_viewport_size({"width": WIDTHS[0], "height": 900})

    return check


def test_a_purchase_shows_the_new_key_once_with_copy_and_download(
    page, live_server, login, review, owner, tmp_path
):
    build_catalog()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    # A first purchase asks once who the invoice is made out to.
    organization = owner.memberships.get().organization
    billing_details_update(
        organization=organization,
        actor=owner,
        legal_name="Northwind Ltd",
        address_line1="1 Harbour Road",
        city="Cork",
        country="IE",
    )
    login(owner)
    page.goto(f"{live_server.url}/app/buy/?tier=team&cycle=monthly&currency=USD")
    wait_until_ready(page)
    page.get_by_role("button", name=re.compile(r"^Confirm")).click()
    expect(page.get_by_role("heading", name="Your license key")).to_be_visible()
    wait_until_ready(page)
    key = page.locator("#secret-value").inner_text().strip()
    assert keys.same_hash(key, License.objects.get().key_hash)

    page.get_by_role("button", name="Copy the key").click()
    expect(page.get_by_role("status").filter(has_text="Copied")).to_have_text(
        "Copied to the clipboard."
    )
    assert page.evaluate("navigator.clipboard.readText()") == key
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the key as a .txt file").click()
    saved = tmp_path / "key.txt"
    download.value.save_as(saved)
    assert download.value.suggested_filename == "tierwise-northwind-team-key.txt"
    assert saved.read_text() == f"{key}\n"
    review("account-key-shown-once")

    page.reload()
    expect(page.get_by_text("was shown once, on this page's first view")).to_be_visible()
    assert key not in page.content()


def _subscribed(owner) -> License:
    """Team v2, 5 seats a month, for the month from today (the live server's clock)."""
    today = clock.today()
    license = license_create(
        organization=owner.memberships.get().organization,
        version=TierVersion.objects.get(tier__slug="team", number=2),
        seats=5,
        term_start=today,
        term_end=today + timedelta(days=29),
        actor=Actor(label="test"),
        reason="Browser test.",
    ).license
    subscription = subscription_create(
        license=license, currency="USD", cycle="monthly", actor=SYSTEM, reason="Test."
    )
    subscription_period_add(
        subscription=subscription,
        span=Span(license.term_start, license.term_end),
        reason=PeriodReason.PURCHASE,
        amount=subscription.cycle_price.rounded(),
    )
    return license


def test_an_owner_cancels_with_a_reason_and_resumes(page, live_server, login, review, owner):
    build_catalog()
    license = _subscribed(owner)
    ends = f"{license.term_end.day} {license.term_end:%B %Y}"
    login(owner)
    page.goto(f"{live_server.url}/app/northwind/")
    # The license card and the renewal panel both say it.
    expect(page.get_by_text("Renews on", exact=True).first).to_be_visible()
    page.get_by_role("link", name="Cancel subscription").click()

    expect(page.get_by_role("heading", name="Cancel the Team subscription?")).to_be_visible()
    expect(page.get_by_text("What happens at the end of the term")).to_be_visible()
    review("account-cancel-page")
    page.get_by_label("It costs too much").check()
    page.get_by_label("Anything you would like us to know (optional)").fill("Budget cut.")
    page.get_by_role("button", name="Cancel the subscription", exact=True).click()

    expect(page.get_by_text(f"Canceled: ends on {ends}.")).to_be_visible()
    expect(page.get_by_text("Renews on", exact=True)).to_have_count(0)
    event = SubscriptionEvent.objects.order_by("-pk").first()
    assert event.kind == "auto_renew_off"
    assert event.reason.endswith("Reason: It costs too much: Budget cut.")
    review("account-dashboard-canceled")

    # The canceled alert and the renewal panel both offer it (the same flow).
    resume = page.get_by_role("button", name="Resume subscription")
    expect(resume).to_have_count(2)
    expect(page.locator(f"#renewal-{license.pk}").get_by_role("button")).to_have_text(
        "Resume subscription"
    )
    resume.first.click()
    expect(page.get_by_text("Resumed. Your subscription renews on")).to_be_visible()
    expect(page.get_by_text("Renews on", exact=True).first).to_be_visible()
    license.refresh_from_db()
    assert license.auto_renew is True


def test_an_owner_rotates_the_key_with_an_overlap(page, live_server, login, review, owner):
    build_catalog()
    license = _subscribed(owner)
    old_prefix = license.key_prefix
    login(owner)
    page.goto(f"{live_server.url}/app/northwind/")
    page.get_by_role("link", name="Rotate key…").click()
    expect(page.get_by_role("heading", name="Rotate the license key?")).to_be_visible()
    expect(page.get_by_label("24 hours")).to_be_checked()
    review("account-rotate-confirm")
    page.get_by_label("Routine rotation").check()
    page.get_by_role("button", name="Rotate the key now").click()

    expect(page.get_by_role("heading", name="Your new license key")).to_be_visible()
    expect(page.get_by_text("The previous key keeps working until")).to_be_visible()
    key = page.locator("#secret-value").inner_text().strip()
    license.refresh_from_db()
    assert keys.same_hash(key, license.key_hash)
    review("account-rotated-key-shown-once")

    # A reload is a GET of the page that showed it: nothing rotates again.
    page.reload()
    expect(page.get_by_text("The new key was shown once")).to_be_visible()
    assert key not in page.content()
    license.refresh_from_db()
    assert keys.same_hash(key, license.key_hash)
    keys_list = page.get_by_role("list", name="License keys")
    expect(keys_list.get_by_role("listitem")).to_have_count(2)
    expect(keys_list).to_contain_text(old_prefix)
    expect(keys_list).to_contain_text("Being retired")
    page.locator(".key-list").screenshot(path=str(SHOTS / "account-dashboard-both-keys.png"))


def test_the_cancellation_emails_read_well_at_600px(page, owner):
    """Both emails, as queued for the owner, rendered at an email client's width."""
    build_catalog()
    from billing.subscriptions.cancellation import subscription_cancel, subscription_resume
    from portal.models import OutboundEmail

    license = _subscribed(owner)
    actor = Actor.of(owner, "owner")
    subscription_cancel(
        subscription=license.subscription, actor=actor, reason="pause", details="Back in spring."
    )
    subscription_resume(subscription=license.subscription, actor=actor)
    SHOTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 600, "height": 900})
    for name, subject in (("scheduled", "ends on"), ("resumed", "renews again")):
        email = OutboundEmail.objects.get(subject__contains=subject)
        page.set_content(email.body_html)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        assert not overflow, f"the {name} email scrolls sideways at 600px"
        page.screenshot(
            path=str(SHOTS / f"account-email-cancellation-{name}-600.png"), full_page=True
        )


def test_a_renewal_by_hand_reads_as_one_not_as_a_cancellation(
    page, live_server, login, review, owner
):
    from billing.subscriptions.services import subscription_set_auto_renew

    build_catalog()
    license = _subscribed(owner)
    subscription_set_auto_renew(
        subscription=license.subscription,
        auto_renew=False,
        actor=SYSTEM,
        reason="Renewed by hand under the framework agreement.",
    )
    ends = f"{license.term_end.day} {license.term_end:%B %Y}"
    login(owner)
    page.goto(f"{live_server.url}/app/northwind/")
    expect(page.get_by_text("Renews by hand:")).to_be_visible()
    expect(page.get_by_text(f"will contact you before {ends}")).to_be_visible()
    expect(page.get_by_role("button", name="Resume subscription")).to_have_count(0)
    expect(page.get_by_text("Canceled: ends on")).to_have_count(0)
    review("account-dashboard-renewed-by-hand")
