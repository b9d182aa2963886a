"""What the customer sees of payments: the invoice page lists the payments received and,
while something is left to pay, how to pay it by bank transfer with the invoice number as
the reference; the list and the dashboard show what remains after part payments; the
PDF says the same."""

import shutil
import subprocess
from datetime import date
from decimal import Decimal

import pytest

from billing.models import InvoiceDocument
from billing.money import Money
from billing.payments.services import payment_record
from tests.helpers.invoices import finalized_invoice, pay_in_full

pytestmark = pytest.mark.django_db


def receive(invoice, amount: str, *, on: date, reference: str) -> None:
    """A bank transfer of `amount` dollars, as staff record it."""
    payment_record(
        invoice=invoice,
        amount=Money(Decimal(amount), "USD"),
        received_on=on,
        reference=reference,
        actor=None,
        reason="On the statement.",
    )


@pytest.fixture
def part_paid(organization, now):
    invoice = finalized_invoice(organization)  # $153.00
    receive(invoice, "100.00", on=date(2026, 3, 14), reference="BANK-778")
    return invoice


def test_the_invoice_page_shows_payments_and_how_to_pay_the_rest(client_for, owner, part_paid):
    html = client_for(owner).get(f"/app/northwind/invoices/{part_paid.number}/").content.decode()

    assert "Paid by bank transfer on 14 Mar 2026 (reference BANK-778)" in html
    assert "\u2212$100.00" in html  # a minus sign
    assert "Still to pay" in html and "$53.00" in html
    assert "Pay by bank transfer" in html
    assert "GB33 BUKB 2020 1555 5555 55" in html  # the demo account of the settings
    assert f"Quote {part_paid.number} as the reference" in html


def test_a_paid_invoice_no_longer_says_how_to_pay(client_for, owner, organization, now):
    invoice = pay_in_full(finalized_invoice(organization), reference="BANK-1")

    html = client_for(owner).get(f"/app/northwind/invoices/{invoice.number}/").content.decode()

    assert "Paid by bank transfer" in html and "BANK-1" in html
    assert "Pay by bank transfer" not in html and "IBAN" not in html


def test_an_overpayment_is_shown_as_credit(client_for, owner, organization, now):
    invoice = finalized_invoice(organization)
    receive(invoice, "160.00", on=date(2026, 3, 14), reference="BANK-9")
    client = client_for(owner)

    page = client.get(f"/app/northwind/invoices/{invoice.number}/").content.decode()
    listing = client.get("/app/northwind/invoices/").content.decode()

    assert "$7.00 paid beyond the amount due went to your credit balance" in page
    assert "<strong>$7.00</strong>." in listing and "oldest first" in listing


def test_the_list_and_the_dashboard_show_what_remains(client_for, billing_admin, part_paid):
    client = client_for(billing_admin)

    listing = client.get("/app/northwind/invoices/").content.decode()
    dashboard = client.get("/app/northwind/").content.decode()

    assert '<td class="num" data-label="Still to pay">$53.00</td>' in listing
    assert "$53.00 on 1 open invoice" in dashboard


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils (pdftotext)")
def test_the_pdf_is_rendered_again_with_the_payment(
    client_for, owner, organization, now, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invoice = finalized_invoice(organization)
    first = bytes(InvoiceDocument.objects.get(invoice=invoice).pdf)
    with django_capture_on_commit_callbacks(execute=True):
        receive(invoice, "100.00", on=date(2026, 3, 14), reference="BANK-778")

    answer = client_for(owner).get(f"/app/northwind/invoices/{invoice.number}.pdf")

    before, after = pdf_text(first), pdf_text(answer.content)
    assert "BANK-778" not in before and "$153.00" in before
    assert "Paid by bank transfer" in after and "reference BANK-778" in after
    assert "Still to pay" in after and "$53.00" in after
    assert "Pay by bank transfer" in after and "GB33 BUKB 2020 1555 5555 55" in after
    assert "Payment reference" in after and invoice.number in after


def pdf_text(pdf: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
