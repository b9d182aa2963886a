"""A payment recorded while a worker renders the invoice's PDF: the worker's render of
version 1, made before the payment, is thrown away (version 1 is superseded, never
rendered), and version 2, which the payment added, shows the payment."""

from decimal import Decimal

import pytest

from billing import tasks
from billing.models import DocumentReason, InvoiceDocument
from billing.money import Money
from billing.payments.services import payment_record
from tests.helpers.invoices import finalized_invoice

pytestmark = pytest.mark.django_db


def test_a_render_overtaken_by_a_payment_is_not_kept(organization, monkeypatch):
    invoice = finalized_invoice(organization)
    document = InvoiceDocument.objects.get(invoice=invoice, version=1)
    rendered_contexts = []

    def render_while_paid(template, context):
        rendered_contexts.append(context)
        if len(rendered_contexts) == 1:  # the payment arrives mid-render
            payment_record(
                invoice=invoice,
                amount=Money(Decimal("153.00"), "USD"),
                received_on=invoice.issued_on,
                reference="BANK-1",
                actor=None,
                reason="On the statement.",
            )
        return b"%PDF-" + str(len(context["settlements"])).encode()

    monkeypatch.setattr(tasks, "render_pdf", render_while_paid)

    assert tasks.render_invoice_pdf.apply(args=[document.pk]).get() == "superseded"
    document.refresh_from_db()
    assert document.rendered_at is None and document.pdf is None
    assert document.superseded_at is not None
    # Superseded: a later delivery of its message renders nothing.
    assert tasks.render_invoice_pdf.apply(args=[document.pk]).get() == "skipped"

    newer = InvoiceDocument.objects.get(invoice=invoice, version=2)
    assert newer.reason == DocumentReason.PAYMENT_RECORDED
    assert tasks.render_invoice_pdf.apply(args=[newer.pk]).get() == "rendered"
    newer.refresh_from_db()
    assert bytes(newer.pdf) == b"%PDF-1"  # rendered with the one payment
