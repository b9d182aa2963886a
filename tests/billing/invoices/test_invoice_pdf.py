"""The invoice PDF, rendered by the task through WeasyPrint and read back with pdftotext:
it carries the number, every line and the total, and the task renders only once."""

import shutil
import subprocess
from datetime import date, timedelta
from decimal import Decimal
from unittest import mock

import pytest
import time_machine
from celery.exceptions import Retry

from billing.models import BillingDetails, InvoiceDocument
from billing.tasks import render_invoice_pdf, render_stalled_invoice_pdfs
from tests.helpers.invoices import finalized_invoice

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils (pdftotext)"),
]


def pdf_text(pdf: bytes) -> str:
    result = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    )
    return result.stdout.decode()


def test_finalizing_renders_a_pdf_with_the_number_lines_and_total(
    organization, django_capture_on_commit_callbacks
):
    BillingDetails.objects.create(
        organization=organization,
        tax_rate_override=Decimal("20"),
        tax_override_reason="Staff set the rate",
        tax_id="GB99",
    )
    with django_capture_on_commit_callbacks(execute=True):
        invoice = finalized_invoice(organization, today=date(2026, 3, 14))

    document = InvoiceDocument.objects.get(invoice=invoice)
    assert document.rendered_at is not None and document.attempts == 1
    pdf = bytes(document.pdf)
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)
    assert "Invoice INV-2026-000001" in text
    # A document: an open invoice says when it is due, never a status that goes stale
    # ("Open" on an invoice the site calls overdue).
    assert f"DUE {invoice.due_on:%-d %B %Y}".upper() in text  # the badge is set in capitals
    assert "Open\n" not in text and "OPEN\n" not in text
    assert "Northwind" in text and "GB99" in text
    assert "Team plan, 12 seats" in text and "$144.00" in text
    assert "Extra API calls, 10,000" in text and "$9.00" in text
    assert "Tax (20 %)" in text and "$30.60" in text
    assert "Amount due" in text and "$183.60" in text
    assert "Page 1 of 1" in text


def test_a_second_delivery_of_the_task_renders_nothing(
    organization, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invoice = finalized_invoice(organization, today=date(2026, 3, 14))
    document = InvoiceDocument.objects.get(invoice=invoice)
    rendered_at = document.rendered_at

    assert render_invoice_pdf.delay(document.pk).get() == "skipped"

    document.refresh_from_db()
    assert (document.rendered_at, document.attempts) == (rendered_at, 1)


def test_the_sweep_renders_pdfs_whose_hand_over_was_lost(organization, now):
    # No on_commit: as if the broker was down when the invoice was finalized.
    invoice = finalized_invoice(organization, today=date(2026, 3, 14))
    assert render_stalled_invoice_pdfs.delay().get() == 0  # too recent to call it lost

    with time_machine.travel(now + timedelta(minutes=3), tick=False):
        assert render_stalled_invoice_pdfs.delay().get() == 1
        assert InvoiceDocument.objects.get(invoice=invoice).rendered_at is not None
        assert render_stalled_invoice_pdfs.delay().get() == 0


def test_a_failed_render_is_recorded_released_and_retried_once(organization):
    invoice = finalized_invoice(organization, today=date(2026, 3, 14))
    document = InvoiceDocument.objects.get(invoice=invoice)
    with (
        mock.patch("billing.tasks.render_pdf", side_effect=OSError("Font cache is locked")),
        pytest.raises(Retry),
    ):
        render_invoice_pdf.apply(args=[document.pk])

    document.refresh_from_db()
    assert (document.rendered_at, document.claimed_at, document.pdf) == (None, None, None)
    assert (document.attempts, document.last_error) == (1, "Font cache is locked")

    assert render_invoice_pdf.apply(args=[document.pk]).get() == "rendered"
    assert render_invoice_pdf.apply(args=[document.pk]).get() == "skipped"
    document.refresh_from_db()
    assert bytes(document.pdf).startswith(b"%PDF-")
    assert (document.attempts, document.last_error) == (2, "")
