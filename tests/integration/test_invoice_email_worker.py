"""The invoice email goes with the first PDF stored, through real Celery workers fed
through the broker: a render handed over three times to two workers at once, or retried
after a failure, queues one email to each billing recipient, with the PDF the database
kept attached."""

import pytest

from billing.models import InvoiceDocument
from billing.tasks import render_invoice_pdf
from portal.models import OutboundEmail
from tests.helpers.invoices import finalized_invoice

pytestmark = pytest.mark.integration


def _emails(invoice) -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(subject__startswith=f"Invoice {invoice.number}"))


def _assert_once_each(invoice, owner, billing_admin) -> None:
    emails = _emails(invoice)
    assert sorted(email.to for email in emails) == sorted([owner.email, billing_admin.email])
    document = InvoiceDocument.objects.get(invoice=invoice, version=1)
    for email in emails:
        assert bytes(email.attachments.get().content) == bytes(document.pdf)


def test_a_render_delivered_three_times_to_two_workers_emails_once(
    pdf_workers, organization, owner, billing_admin
):
    pdf_workers.start(render_delay=3)
    pdf_workers.start(render_delay=3)
    pdf_workers.wait_for(pdf_workers.all_ready, "both workers to start")

    invoice = finalized_invoice(organization)  # its commit hands the PDF to the workers
    document = InvoiceDocument.objects.get(invoice=invoice)
    render_invoice_pdf.delay(document.pk)
    render_invoice_pdf.delay(document.pk)

    pdf_workers.wait_for(
        lambda: len(pdf_workers.results("render_invoice_pdf")) == 3, "three deliveries"
    )
    _assert_once_each(invoice, owner, billing_admin)


def test_a_render_retried_after_a_failure_emails_once(
    pdf_workers, organization, owner, billing_admin
):
    pdf_workers.start(render_failures=1)

    invoice = finalized_invoice(organization)
    pdf_workers.wait_for(
        lambda: "'rendered'" in pdf_workers.results("render_invoice_pdf"), "the retry"
    )
    _assert_once_each(invoice, owner, billing_admin)
