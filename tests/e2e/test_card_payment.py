"""Paying an invoice by card in a real browser, through localstripe's fake Stripe.js (as
Stripe.js would, the card goes from the browser to the Stripe server, never to ours):
the pay page passes axe at desktop and phone widths under the site's real CSP, and the
invoice shows paid when the browser comes back."""

import os
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from billing.models import InvoiceStatus, Payment
from tests.helpers.browser import wait_until_ready
from tests.helpers.invoices import finalized_invoice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1280, 390])
def test_an_owner_pays_an_open_invoice_by_card_in_the_browser(
    page, live_server, login, axe, owner, stripe_settings, localstripe_url, width
):
    organization = owner.memberships.get().organization
    invoice = finalized_invoice(organization, lines=[("Team plan, 12 seats", 12, Decimal("19"))])
    posted_to_us = []
    page.on(
        "request",
        lambda r: (
            posted_to_us.append(r.post_data or "")
            if r.url.startswith(live_server.url) and r.method == "POST"
            else None
        ),
    )
    page.set_viewport_size({"width": width, "height": 900})
    login(owner)

    page.goto(f"{live_server.url}/app/northwind/invoices/{invoice.number}/")
    page.get_by_role("link", name="Pay now").click()
    expect(page.get_by_role("heading", name=f"Pay invoice {invoice.number}")).to_be_visible()
    wait_until_ready(page)
    card_number = page.get_by_label("Card number")
    expect(card_number).to_be_visible()
    axe(f"pay page at {width}px")
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert not overflow, f"the pay page scrolls sideways at {width}px"
    _screenshot(page, f"pay-{width}.png")

    card_number.fill("4242424242424242")
    page.get_by_label("Expiry month (MM)").fill("12")
    page.get_by_label("Expiry year (YY)").fill("31")
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_label("Postal code").fill("10115")
    keep = page.get_by_label("Keep this card for later invoices (you can remove it)")
    expect(keep).not_to_be_checked()  # kept only when the customer asks
    keep.check()
    page.get_by_role("button", name="Pay $228.00").click()

    expect(page.get_by_role("heading", name=f"Invoice {invoice.number}")).to_be_visible()
    expect(page.get_by_text("Paid by card (Visa ending 4242). Thank you.")).to_be_visible()
    expect(page.locator(".page-lede .badge")).to_have_text("Paid")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert Payment.objects.get(invoice=invoice).provider == "stripe"
    # What the form posted us: Stripe's ids, never the card.
    assert posted_to_us and not any("4242424242424242" in body for body in posted_to_us)

    # The next invoice: the saved card, on the pay page and in one click on the invoice.
    later = finalized_invoice(organization, lines=[("Extra seats", 2, Decimal("10"))])
    page.goto(f"{live_server.url}/app/northwind/invoices/{later.number}/pay/")
    expect(page.get_by_role("heading", name="Your saved card")).to_be_visible()
    expect(page.get_by_text("Visa ending 4242, expires 12/2031")).to_be_visible()
    wait_until_ready(page)
    axe(f"pay page with a saved card at {width}px")
    _screenshot(page, f"pay-saved-{width}.png")
    page.goto(f"{live_server.url}/app/northwind/invoices/{later.number}/")
    _screenshot(page, f"invoice-saved-card-{width}.png")
    axe(f"invoice page with a saved card at {width}px")
    page.get_by_role("button", name="Pay with saved card").click()
    expect(page.get_by_text("Paid by card (Visa ending 4242). Thank you.")).to_be_visible()
    later.refresh_from_db()
    assert later.status == InvoiceStatus.PAID


def _screenshot(page, name: str) -> None:
    if os.environ.get("TIERWISE_SCREENSHOTS"):
        shots = Path(os.environ["TIERWISE_SCREENSHOTS"])
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / name), full_page=True)


def test_a_card_that_asks_the_banks_confirmation_is_paid_once_confirmed(
    page, live_server, login, owner, stripe_settings, localstripe_url
):
    organization = owner.memberships.get().organization
    invoice = finalized_invoice(organization, lines=[("Team plan", 1, Decimal("49"))])
    login(owner)

    page.goto(f"{live_server.url}/app/northwind/invoices/{invoice.number}/pay/")
    wait_until_ready(page)
    page.get_by_label("Card number").fill("4000002760003184")
    page.get_by_label("Expiry month (MM)").fill("12")
    page.get_by_label("Expiry year (YY)").fill("31")
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_label("Postal code").fill("10115")
    page.get_by_label("Keep this card for later invoices (you can remove it)").uncheck()
    page.get_by_role("button", name="Pay $49.00").click()
    # Stripe.js asks the bank's confirmation for the card, then for the payment (here
    # localstripe's fake 3-D Secure box, twice).
    page.get_by_role("button", name="Complete authentication").click()
    expect(page.get_by_role("heading", name="Confirm the payment with your bank")).to_be_visible()
    page.get_by_role("button", name="Complete authentication").click()

    expect(page.get_by_role("heading", name=f"Invoice {invoice.number}")).to_be_visible()
    expect(page.get_by_text("Paid by card (Visa ending 3184). Thank you.")).to_be_visible()
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert Payment.objects.filter(invoice=invoice).count() == 1
