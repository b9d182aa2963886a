"""The checkout in a real browser, as a newcomer meets it: from "Choose Team" on the
pricing page through sign-up to a first purchase, then more seats mid-term, an upgrade,
and a downgrade scheduled and canceled from the dashboard. Each preview's lines equal its
invoice's, axe finds nothing serious at desktop and phone widths, nothing scrolls
sideways, and the checkout works without JavaScript.

Screenshots of each page land in /tmp/shots/ for a person to look at."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from billing.models import BillingDetails, Invoice, ScheduledChange, ScheduledChangeStatus
from licensing.demo.catalog import build_catalog
from licensing.models import License
from tests.factories import PASSWORD
from tests.helpers.browser import wait_until_ready

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots")
WIDTHS = (1280, 390)
NEW_PASSWORD = "a-long-and-unguessable-passphrase"
# A first purchase confirms as one, a change of plan as a change.
CONFIRMED = re.compile(r"^Your (purchase|change) is confirmed$")
# The first password field, not "Password (again)"; the required marker may follow.
PASSWORD_LABEL = re.compile(r"^Password\W*$")

ROWS = "rows => rows.map(row => Array.from(row.cells, cell => cell.innerText.trim()))"


@pytest.fixture
def owner(owner, organization):
    """The owner of an organization whose billing details are complete: its first
    purchase goes straight to Confirm (the newcomer's test walks the details step)."""
    BillingDetails.objects.create(
        organization=organization,
        legal_name="Northwind Ltd",
        address_line1="1 Main Street",
        city="Dublin",
        country="IE",
    )
    return owner


@pytest.fixture
def demo_catalog(transactional_db):
    build_catalog()


@pytest.fixture
def review(page, axe):
    """review(label) saves a full-page screenshot at each width to /tmp/shots/, and
    unless `look_only`, runs axe and fails if the page scrolls sideways."""
    SHOTS.mkdir(exist_ok=True)

    def check(label: str, *, look_only: bool = False) -> None:
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            name = f"{label.replace(' ', '-')}-{width}.png"
            page.screenshot(path=str(SHOTS / name), full_page=True)
            if look_only:
                continue
            axe(f"{label} at {width}px")
            overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
            assert not overflow, f"{label} scrolls sideways at {width}px"
        page.set_viewport_size({"width": WIDTHS[0], "height": 900})

    return check


def preview_lines(page) -> list[list[str]]:
    """The lines charged now, as the checkout shows them (without the discounts row)."""
    rows = page.get_by_role("region", name="What you pay now").locator("tbody tr")
    return [row for row in rows.evaluate_all(ROWS) if row[0] != "Discounts"]


def preview_totals(page) -> dict[str, str]:
    rows = page.get_by_role("region", name="What you pay now").locator("tfoot tr")
    return {name: amount for name, amount in rows.evaluate_all(ROWS)}


def amount_due(totals: dict[str, str], starts: tuple[str, ...] = ("Due ",)) -> str:
    """The row of what is to pay: "Due now" on terms due on receipt, otherwise "Due by
    <date> (net N days)" (a preview) or "Still to pay, by <date>" (an invoice)."""
    (label,) = [label for label in totals if label.startswith(starts)]
    return totals.pop(label)


def invoice_lines(page) -> list[list[str]]:
    return (
        page.get_by_role("region", name=re.compile("^Lines of invoice"))
        .locator("tbody tr")
        .evaluate_all(ROWS)
    )


def invoice_totals(page) -> dict[str, str]:
    rows = page.get_by_role("region", name=re.compile("^Lines of invoice")).locator("tfoot tr")
    return {name: amount for name, amount in rows.evaluate_all(ROWS)}


def shown_due(invoice: Invoice) -> str:
    return invoice.money("amount_due").format()


def confirm_and_open_invoice(page) -> Invoice:
    """Confirm what the checkout shows: one invoice is issued, and its page shows the
    same lines and totals. Returns the invoice."""
    lines, totals = preview_lines(page), preview_totals(page)
    issued = Invoice.objects.count()
    page.get_by_role("button", name=re.compile(r"^Confirm: .* due (now|by .*)$")).click()
    expect(page.get_by_role("heading", name=CONFIRMED)).to_be_visible()
    assert Invoice.objects.count() == issued + 1
    invoice = Invoice.objects.latest("pk")
    expect(page.get_by_role("heading", name=f"Invoice {invoice.number}")).to_be_visible()
    expect(page.get_by_role("link", name="Download the new license file")).to_be_visible()
    page.get_by_role("link", name="View the invoice").click()
    expect(page.get_by_role("heading", name=f"Invoice {invoice.number}")).to_be_visible()
    assert invoice_lines(page) == lines
    shown = invoice_totals(page)
    assert shown.pop("Amount due") == amount_due(totals)
    # Nothing is paid yet: all of it is still to pay.
    assert amount_due(shown, ("Still to pay", "Due now")) == shown_due(invoice)
    assert shown == totals  # subtotal, tax and total
    return invoice


def sign_in(page, live_server, user) -> None:
    """Through the login form (a page without JavaScript has no `login` fixture)."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()


def open_checkout_from_dashboard(page, live_server, slug: str) -> None:
    page.goto(f"{live_server.url}/app/{slug}/")
    page.get_by_role("link", name="Change plan or seats").click()
    expect(page.get_by_role("heading", name="Change your plan")).to_be_visible()
    wait_until_ready(page)


def test_a_newcomer_buys_adds_seats_upgrades_and_schedules_a_downgrade(
    page, live_server, demo_catalog, review
):
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})
    page.goto(f"{live_server.url}/pricing/")
    page.get_by_role("link", name="Choose Team").click()

    # Sign up (the organization is named on the same form), verify the address, and the
    # browser lands on the checkout with Team, monthly, USD already chosen.
    page.get_by_label("Email").fill("rosa@example.com")
    page.get_by_label(PASSWORD_LABEL).fill(NEW_PASSWORD)
    page.get_by_label("Password (again)").fill(NEW_PASSWORD)
    page.get_by_label("Organization name").fill("Rosa Robotics")
    page.get_by_role("button", name="Sign Up").click()
    page.wait_for_url(f"{live_server.url}/accounts/confirm-email/")
    [message] = [m for m in mail.outbox if m.to == ["rosa@example.com"]]
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+)", message.body).group(1)
    page.goto(live_server.url + link)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Buy a plan")).to_be_visible()
    expect(page.get_by_label("Tier")).to_have_value("team")
    expect(page.get_by_label("Monthly")).to_be_checked()
    expect(page.get_by_label("Currency")).to_have_value("USD")
    wait_until_ready(page)

    # 8 seats: htmx redraws the lines and pushes the preview's address.
    page.get_by_label("Seats").fill("8")
    preview = page.locator("#checkout-preview")
    expect(preview).to_contain_text("Team, 8 seats, monthly")
    expect(page).to_have_url(re.compile(r"seats=8"))
    assert preview_lines(page)[0][2:] == ["8", "$19.00", "$152.00"]
    assert amount_due(preview_totals(page)) == "$152.00"
    review("checkout buy")

    # A first purchase asks who to invoice before Confirm, once: a German business with
    # its VAT number, so the invoice is reverse charged (no tax), and back to the checkout.
    expect(page.get_by_role("button", name=re.compile(r"^Confirm: "))).to_have_count(0)
    page.get_by_role("link", name="Next: your billing details").click()
    expect(page.get_by_role("heading", name="Billing details", exact=True)).to_be_visible()
    page.get_by_label("Legal name").fill("Rosa Robotics GmbH")
    page.locator("#id_address_line1").fill("Friedrichstraße 68")
    page.get_by_label("City").fill("Berlin")
    page.get_by_label("Postal code").fill("10117")
    page.get_by_label("Country").select_option("DE")
    page.get_by_label("Tax ID").fill("DE136695976")
    review("billing details step")
    page.get_by_role("button", name="Save and go back to your checkout").click()
    expect(page.get_by_role("heading", name="Buy a plan")).to_be_visible()
    expect(preview).to_contain_text("Team, 8 seats, monthly")
    expect(preview).to_contain_text("Invoiced to Rosa Robotics GmbH")
    expect(preview).to_contain_text("Article 196 Council Directive 2006/112/EC")
    wait_until_ready(page)

    confirm_and_open_invoice(page)
    page.go_back()
    review("confirmation")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the new license file").click()
    assert download.value.suggested_filename
    license = License.objects.get(organization__slug="rosa-robotics")
    assert (license.version.tier.slug, license.seats) == ("team", 8)

    # Ten days into the month: 4 more seats, prorated, take effect now.
    with time_machine.travel(timezone.now() + timedelta(days=10), tick=True):
        open_checkout_from_dashboard(page, live_server, "rosa-robotics")
        page.get_by_label("Seats").fill("12")
        expect(preview).to_contain_text("Team, 12 seats, monthly")
        expect(preview).to_contain_text("of Team, 8 seats at $152.00 a month")
        confirm_and_open_invoice(page)
        license.refresh_from_db()
        assert license.seats == 12

        # Upgrade to Business, same seats.
        open_checkout_from_dashboard(page, live_server, "rosa-robotics")
        page.get_by_label("Tier").select_option("business")
        expect(preview).to_contain_text("Business, 12 seats, monthly")
        expect(preview).to_contain_text("what you gain, keep and lose")
        review("checkout upgrade", look_only=True)
        confirm_and_open_invoice(page)
        license.refresh_from_db()
        assert license.version.tier.slug == "business"

        # Back to Team with 5 seats: nothing now; the change waits for the term's end,
        # and the page says what exceeds the smaller plan.
        open_checkout_from_dashboard(page, live_server, "rosa-robotics")
        page.get_by_label("Tier").select_option("team")
        page.get_by_label("Seats").fill("5")
        expect(preview).to_contain_text("Team, 5 seats, monthly")
        expect(preview.get_by_role("heading", name="What exceeds the new plan")).to_be_visible()
        expect(preview).to_contain_text("Nothing is charged now")
        review("checkout downgrade")
        invoices = Invoice.objects.count()
        page.get_by_role("button", name=re.compile(r"^Confirm: schedule for ")).click()
        expect(page.get_by_role("heading", name="Your change is scheduled")).to_be_visible()
        expect(page.get_by_role("heading", name=re.compile("^Scheduled for "))).to_be_visible()
        assert Invoice.objects.count() == invoices
        review("confirmation scheduled", look_only=True)

        page.get_by_role("link", name="Back to your dashboard").click()
        scheduled = page.get_by_text(re.compile(r"^Scheduled for "))
        expect(scheduled).to_be_visible()
        review("dashboard scheduled")
        page.get_by_role("button", name="Cancel this change").click()
        expect(page.get_by_text(re.compile(r"^Canceled: "))).to_be_visible()
        expect(scheduled).to_have_count(0)
        assert ScheduledChange.objects.get().status == ScheduledChangeStatus.CANCELED
        license.refresh_from_db()
        assert (license.version.tier.slug, license.seats) == ("business", 12)

    # With a second organization, "Choose" asks which one the plan is for.
    page.goto(f"{live_server.url}/app/new/")
    page.get_by_label("Organization name").fill("Rosa Labs")
    page.get_by_role("button", name="Create organization").click()
    page.goto(f"{live_server.url}/pricing/")
    page.get_by_role("link", name="Choose Business").click()
    expect(page.get_by_role("heading", name="Which organization is this for?")).to_be_visible()
    review("pick organization")
    page.get_by_role("link", name="Rosa Labs").click()
    expect(page.get_by_role("heading", name="Buy a plan")).to_be_visible()
    expect(page.get_by_label("Tier")).to_have_value("business")


def test_it_buys_without_javascript(page_without_javascript, live_server, demo_catalog, owner):
    page = page_without_javascript
    sign_in(page, live_server, owner)
    page.goto(f"{live_server.url}/app/buy/?tier=team&cycle=monthly&currency=USD")
    expect(page.get_by_role("heading", name="Buy a plan")).to_be_visible()

    page.get_by_label("Seats").fill("6")
    page.get_by_label("Annual").check()
    page.get_by_role("button", name="Update the preview").click()
    preview = page.locator("#checkout-preview")
    expect(preview).to_contain_text("Team, 6 seats, annual")
    due = amount_due(preview_totals(page))

    page.get_by_role("button", name=re.compile(f"^Confirm: {re.escape(due)} due by ")).click()
    expect(page.get_by_role("heading", name="Your purchase is confirmed")).to_be_visible()
    invoice = Invoice.objects.get()
    assert f"{invoice.money('amount_due')}" == due
    license = License.objects.get(organization=owner.memberships.get().organization)
    assert (license.version.tier.slug, license.seats) == ("team", 6)


HTMX = "**/django_htmx/htmx-2*.js"


def test_a_form_typed_into_before_its_scripts_load_still_previews(
    page, live_server, demo_catalog, login, owner
):
    """Seats typed while htmx is still on its way are sent once it arrives: the preview
    shows them without another keystroke."""
    login(owner)
    held = []
    page.route(HTMX, lambda route: held.append(route))
    # Deferred scripts run before DOMContentLoaded: only the response is waited for.
    page.goto(
        f"{live_server.url}/app/buy/?tier=team&cycle=monthly&currency=USD", wait_until="commit"
    )
    expect(page.get_by_role("heading", name="Buy a plan")).to_be_visible()
    page.get_by_label("Seats").fill("7")
    expect(page.locator("html[data-ready]")).to_have_count(0)
    [request] = held
    request.continue_()

    wait_until_ready(page)
    expect(page.locator("#checkout-preview")).to_contain_text("Team, 7 seats, monthly")
    expect(page).to_have_url(re.compile(r"seats=7"))


def test_an_untouched_form_sends_nothing_when_its_scripts_load(
    page, live_server, demo_catalog, login, owner
):
    """htmx sends a preview when the form changes, not because its scripts loaded."""
    login(owner)
    sent = []
    page.on(
        "request",
        lambda request: sent.append(request) if request.headers.get("hx-request") else None,
    )
    page.goto(f"{live_server.url}/app/buy/?tier=team&cycle=monthly&currency=USD")
    wait_until_ready(page)
    # A change afterwards is the first request htmx sends.
    page.get_by_label("Seats").fill("9")
    expect(page.locator("#checkout-preview")).to_contain_text("Team, 9 seats, monthly")
    assert [re.search(r"seats=\d+", request.url).group() for request in sent] == ["seats=9"]


# --- The customer confirms what the form shows ------------------------------------------


@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
def test_a_seat_count_the_tier_does_not_allow_takes_the_confirm_away(
    page, live_server, demo_catalog, login, owner, settings, debug
):
    """Typing 2 seats (Team is sold from 3) on the way from 8 to 5: the error replaces
    the preview of 8 and its Confirm button, in place, under DEBUG too (where
    django-htmx's script would replace the whole page with a 400's fragment); once the
    box says 5 the preview is of 5, and confirming buys 5."""
    settings.DEBUG = debug
    login(owner)
    page.goto(f"{live_server.url}/app/buy/?tier=team&cycle=monthly&currency=USD")
    wait_until_ready(page)
    preview = page.locator("#checkout-preview")
    confirm = page.get_by_role("button", name=re.compile(r"^Confirm: "))
    page.get_by_label("Seats").fill("8")
    expect(preview).to_contain_text("Team, 8 seats, monthly")
    expect(confirm).to_be_enabled()

    page.get_by_label("Seats").fill("2")
    expect(preview).to_contain_text("Team is sold from 3 seats; choose 3 or more.")
    expect(confirm).to_have_count(0)
    expect(page.get_by_role("heading", name="Buy a plan")).to_be_visible()
    expect(page.get_by_label("Seats")).to_have_value("2")

    page.get_by_label("Seats").fill("5")
    expect(preview).to_contain_text("Team, 5 seats, monthly")
    confirm.click()
    expect(page.get_by_role("heading", name=CONFIRMED)).to_be_visible()
    license = License.objects.get(organization=owner.memberships.get().organization)
    assert license.seats == 5


def test_the_confirm_of_a_preview_goes_as_soon_as_the_box_says_otherwise(
    page, live_server, demo_catalog, login, owner
):
    """A keystroke disables the Confirm of the preview on screen at once, before its
    new preview is asked for (half a second later); the new preview brings its own."""
    login(owner)
    page.goto(f"{live_server.url}/app/buy/?tier=team&cycle=monthly&currency=USD")
    wait_until_ready(page)
    preview = page.locator("#checkout-preview")
    page.get_by_label("Seats").fill("8")
    expect(preview).to_contain_text("Team, 8 seats, monthly")
    eight = page.locator("[data-confirms-preview]:enabled", has_text="$152.00")
    expect(eight).to_have_count(1)

    page.get_by_label("Seats").fill("6")
    expect(eight).to_have_count(0)
    expect(preview).to_contain_text("Team, 6 seats, monthly")
    page.get_by_role("button", name=re.compile(r"^Confirm: \$114\.00 due by ")).click()
    expect(page.get_by_role("heading", name=CONFIRMED)).to_be_visible()
    license = License.objects.get(organization=owner.memberships.get().organization)
    assert license.seats == 6


def test_without_javascript_confirm_submits_the_seats_the_box_shows(
    page_without_javascript, live_server, demo_catalog, owner
):
    page = page_without_javascript
    sign_in(page, live_server, owner)
    page.goto(f"{live_server.url}/app/buy/?tier=team&cycle=monthly&currency=USD")
    page.get_by_label("Seats").fill("8")
    page.get_by_role("button", name="Update the preview").click()
    preview = page.locator("#checkout-preview")
    expect(preview).to_contain_text("Team, 8 seats, monthly")
    expect(page).to_have_url(re.compile(r"seats=8"))
    assert "csrfmiddlewaretoken" not in page.url

    # 5 typed, and Confirm clicked without asking for its preview first.
    page.get_by_label("Seats").fill("5")
    page.get_by_role("button", name=re.compile(r"^Confirm: ")).click()
    expect(preview).to_contain_text("Something changed since you saw this preview")
    expect(preview).to_contain_text("Team, 5 seats, monthly")
    assert Invoice.objects.count() == 0

    # A count the tier does not allow: its error, and nothing to confirm.
    page.get_by_label("Seats").fill("2")
    page.get_by_role("button", name=re.compile(r"^Confirm: ")).click()
    expect(preview).to_contain_text("Team is sold from 3 seats; choose 3 or more.")
    expect(page.get_by_role("button", name=re.compile(r"^Confirm: "))).to_have_count(0)

    page.get_by_label("Seats").fill("5")
    page.get_by_role("button", name="Update the preview").click()
    page.get_by_role("button", name=re.compile(r"^Confirm: ")).click()
    expect(page.get_by_role("heading", name=CONFIRMED)).to_be_visible()
    license = License.objects.get(organization=owner.memberships.get().organization)
    assert license.seats == 5
