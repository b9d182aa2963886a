"""A payment recorded while a worker renders the invoice's PDF: the worker's render, made
before the payment, is thrown away, and the next one shows the payment."""

from decimal import Decimal

import pytest

from billing import tasks
from billing.models import InvoiceDocument
from billing.money import Money
from billing.payments.services import payment_record
from tests.helpers.invoices import finalized_invoice

pytestmark = pytest.mark.django_db


def test_a_render_overtaken_by_a_payment_is_not_kept(organization, monkeypatch):
    invoice = finalized_invoice(organization)
    document = InvoiceDocument.objects.get(invoice=invoice)
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
        return b"%PDF-" + str(len(context["payments"])).encode()

    monkeypatch.setattr(tasks, "render_pdf", render_while_paid)

    assert tasks.render_invoice_pdf.apply(args=[document.pk]).get() == "superseded"
    document.refresh_from_db()
    assert document.rendered_at is None and document.pdf is None

    assert tasks.render_invoice_pdf.apply(args=[document.pk]).get() == "rendered"
    document.refresh_from_db()
    assert bytes(document.pdf) == b"%PDF-1"  # rendered with the one payment
