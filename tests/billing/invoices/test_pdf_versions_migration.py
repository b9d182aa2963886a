"""Migration 0014 on the PDFs made before it: each invoice's one document becomes its
version 1, reason "issued", created when the invoice was finalized, with its PDF (or its
pending render) kept; afterwards the database refuses to rewrite it."""

from datetime import date

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from billing.models import DocumentReason, Invoice, InvoiceDocument
from tests.helpers.invoices import finalized_invoice

BEFORE = [("billing", "0013_checkout_replan")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.fixture
def before_versions(transactional_db, organization):
    """Two invoices as 0013 left them: one PDF rendered, one waiting for its render."""
    rendered = finalized_invoice(organization, today=date(2026, 3, 14))
    waiting = finalized_invoice(organization, today=date(2026, 3, 15))
    migrate(BEFORE)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE billing_invoicedocument SET pdf = %s, rendered_at = %s, attempts = 1, "
            "claimed_at = NULL WHERE invoice_id = %s",
            [b"%PDF- as sent", rendered.finalized_at, rendered.pk],
        )
        cursor.execute(
            "UPDATE billing_invoicedocument SET pdf = NULL, rendered_at = NULL, attempts = 0, "
            "claimed_at = NULL WHERE invoice_id = %s",
            [waiting.pk],
        )
    yield rendered.pk, waiting.pk
    migrate(latest())


def test_each_document_becomes_version_1_with_its_pdf(before_versions):
    rendered, waiting = before_versions
    migrate(latest())

    rows = {
        document.invoice_id: (
            document.version,
            document.reason,
            document.pdf and bytes(document.pdf),
            document.attempts,
            document.created_at,
        )
        for document in InvoiceDocument.objects.all()
    }
    finalized = dict(Invoice.objects.values_list("pk", "finalized_at"))
    assert rows == {
        rendered: (1, DocumentReason.ISSUED, b"%PDF- as sent", 1, finalized[rendered]),
        waiting: (1, DocumentReason.ISSUED, None, 0, finalized[waiting]),
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        InvoiceDocument.objects.filter(invoice_id=rendered).update(pdf=b"%PDF- forged")
    assert bytes(InvoiceDocument.objects.get(invoice_id=rendered).pdf) == b"%PDF- as sent"
