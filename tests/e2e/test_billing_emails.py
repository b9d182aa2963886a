"""Each billing email as a mail client shows it: its HTML part, from the outbox row,
rendered in Chromium at 600 px wide (the width mail clients give a message) and
screenshotted; nothing overflows sideways, the button links to the site, and the text
part reads as plain text."""

import re
from datetime import date
from decimal import Decimal

import pytest

from billing.invoices import services
from billing.models import InvoiceDocument
from billing.money import Money
from billing.payments.services import payment_record
from billing.tasks import render_invoice_pdf
from portal.models import OutboundEmail
from tests.helpers.checkout import confirm, subscribed
from tests.helpers.invoices import finalized_invoice, pay_in_full

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


@pytest.fixture
def billing_emails(now, organization, owner, billing_admin, catalog):
    """One of each billing email, queued through the services."""
    invoice = finalized_invoice(organization)
    render_invoice_pdf.apply(args=[InvoiceDocument.objects.get(invoice=invoice).pk])
    payment_record(
        invoice=invoice,
        amount=Money(Decimal("100"), "USD"),
        received_on=date(2026, 3, 14),
        reference="TRF-2026-0314",
        actor=None,
        reason="On the statement.",
    )
    paid = pay_in_full(finalized_invoice(organization), reference="TRF-2")
    services.credit_note_issue(
        invoice=paid, subtotal=Money(Decimal("24"), "USD"), reason="Two seats billed twice."
    )
    license = subscribed(organization, catalog, "business", seats=12)
    confirm(organization, license, billing_admin, tier="business", seats=10, cycle="monthly")
    confirm(organization, license, owner, tier="enterprise", seats=25, cycle="annual")
    to = owner.email
    return {
        "invoice-issued": OutboundEmail.objects.get(to=to, subject__startswith="Invoice"),
        "payment-received": OutboundEmail.objects.get(
            to=to, subject__startswith="Payment received: $100.00"
        ),
        "credit-note-issued": OutboundEmail.objects.get(to=to, subject__startswith="Credit note"),
        "plan-scheduled": OutboundEmail.objects.get(to=to, subject__startswith="A change"),
        "plan-changed": OutboundEmail.objects.get(to=to, subject__startswith="Your "),
    }


def test_each_billing_email_renders_at_600px_and_its_text_reads_well(
    page, billing_emails, tmp_path
):
    page.set_viewport_size({"width": 600, "height": 900})
    for name, message in billing_emails.items():
        page.set_content(message.body_html)
        shot = tmp_path / f"{name}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 0
        assert not page.evaluate("document.documentElement.scrollWidth > window.innerWidth"), (
            f"{name} scrolls sideways at 600px"
        )
        assert "Northwind" in page.inner_text("body"), name
        button = page.locator("a").first
        assert button.get_attribute("href").startswith("http://testserver/app/northwind/"), name
        assert button.is_visible(), name

        text = message.body_text
        assert "{%" not in text and "{{" not in text and "None" not in text, name
        assert not re.search(r"&[a-z]+;|&#\d+;", text), f"{name}: an HTML entity in\n{text}"
        assert "<" not in text, f"{name}: markup in the text part\n{text}"
        assert "http://testserver/app/northwind/" in text, name
