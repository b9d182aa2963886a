"""An invoice's PDF is kept as versions, as Stripe keeps each document it issued: a
payment or a void adds the next version, the earlier ones stay byte for byte as they were
sent, and the database itself refuses to rewrite a rendered version or to delete one
(PostgreSQL and SQLite: run this module with DATABASE_URL=postgres://… too; TRUNCATE,
PostgreSQL's alone, is refused in tests/integration/test_invoice_immutability.py).

The renders here are stand-ins that print the invoice's status and payments, so each
version's bytes say which state of the invoice it was made from."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from billing import tasks
from billing.invoices import services
from billing.models import DocumentReason, FinalizedDocumentError, InvoiceDocument
from billing.money import Money
from billing.payments.services import payment_record
from tests.factories import OrganizationFactory
from tests.helpers.invoices import finalized_invoice

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def stand_in_render(monkeypatch):
    def render(template, context):
        invoice = context["invoice"]
        paid = sum(row["kind"] == "payment" for row in context["settlements"])
        return f"%PDF- {invoice.number} {invoice.status} paid {paid}".encode()

    monkeypatch.setattr(tasks, "render_pdf", render)


def receive(invoice, amount: str, *, reference: str) -> None:
    payment_record(
        invoice=invoice,
        amount=Money(Decimal(amount), "USD"),
        received_on=invoice.issued_on,
        reference=reference,
        actor=None,
        reason="On the statement.",
    )


def versions(invoice) -> list[tuple[int, str, bytes | None]]:
    return [
        (document.version, document.reason, document.pdf and bytes(document.pdf))
        for document in InvoiceDocument.objects.filter(invoice=invoice).order_by("version")
    ]


@pytest.fixture
def rendered(organization, now, django_capture_on_commit_callbacks):
    """A finalized invoice ($153.00 due) whose version 1 the worker rendered."""
    with django_capture_on_commit_callbacks(execute=True):
        return finalized_invoice(organization, today=date(2026, 3, 14))


def test_a_payment_adds_version_2_and_leaves_version_1_as_it_was_sent(
    rendered, django_capture_on_commit_callbacks
):
    first = InvoiceDocument.objects.get(invoice=rendered, version=1)
    sent = (bytes(first.pdf), first.rendered_at)

    with django_capture_on_commit_callbacks(execute=True):
        receive(rendered, "100.00", reference="BANK-1")
    with django_capture_on_commit_callbacks(execute=True):
        receive(rendered, "53.00", reference="BANK-2")

    number = rendered.number
    assert versions(rendered) == [
        (1, DocumentReason.ISSUED, f"%PDF- {number} open paid 0".encode()),
        (2, DocumentReason.PAYMENT_RECORDED, f"%PDF- {number} open paid 1".encode()),
        (3, DocumentReason.PAYMENT_RECORDED, f"%PDF- {number} paid paid 2".encode()),
    ]
    first.refresh_from_db()
    assert (bytes(first.pdf), first.rendered_at) == sent


def test_a_void_adds_a_version_that_says_void(rendered, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.invoice_void_with_credit_note(invoice=rendered, reason="Ordered in error.")

    assert versions(rendered)[-1] == (
        2,
        DocumentReason.VOIDED,
        f"%PDF- {rendered.number} void paid 0".encode(),
    )


def test_a_version_waiting_for_its_render_is_superseded_and_never_rendered(organization, now):
    # No on_commit: version 1 is still waiting for the worker when the payment comes.
    invoice = finalized_invoice(organization, today=date(2026, 3, 14))
    receive(invoice, "100.00", reference="BANK-1")
    first, second = InvoiceDocument.objects.filter(invoice=invoice).order_by("version")

    assert first.superseded_at is not None and second.superseded_at is None
    assert tasks.render_invoice_pdf.apply(args=[first.pk]).get() == "skipped"
    assert tasks.render_invoice_pdf.apply(args=[second.pk]).get() == "rendered"
    assert versions(invoice) == [
        (1, DocumentReason.ISSUED, None),
        (2, DocumentReason.PAYMENT_RECORDED, f"%PDF- {invoice.number} open paid 1".encode()),
    ]


def test_the_sweep_leaves_a_superseded_version_alone(organization, now):
    # Neither version was handed to the worker (no on_commit), as with the broker down.
    invoice = finalized_invoice(organization, today=date(2026, 3, 14))
    receive(invoice, "100.00", reference="BANK-1")

    with time_machine.travel(now + timedelta(minutes=3), tick=False):
        assert tasks.render_stalled_invoice_pdfs.delay().get() == 1
        assert tasks.render_stalled_invoice_pdfs.delay().get() == 0

    assert versions(invoice) == [
        (1, DocumentReason.ISSUED, None),
        (2, DocumentReason.PAYMENT_RECORDED, f"%PDF- {invoice.number} open paid 1".encode()),
    ]


# The database refuses -----------------------------------------------------------------

REWRITES = {
    "the PDF": "UPDATE billing_invoicedocument SET pdf = %s WHERE id = %s",
    "the PDF, emptied": "UPDATE billing_invoicedocument SET pdf = NULL WHERE id = %s",
    "the render's time, emptied": (
        "UPDATE billing_invoicedocument SET rendered_at = NULL WHERE id = %s"
    ),
    "the version": "UPDATE billing_invoicedocument SET version = 7 WHERE id = %s",
    "the reason": "UPDATE billing_invoicedocument SET reason = 'voided' WHERE id = %s",
    "a delete": "DELETE FROM billing_invoicedocument WHERE id = %s",
}


@pytest.mark.parametrize("statement", REWRITES.values(), ids=REWRITES.keys())
def test_the_database_refuses_to_rewrite_a_rendered_version(rendered, statement):
    document = InvoiceDocument.objects.get(invoice=rendered)
    sent = bytes(document.pdf)
    params = [b"%PDF- forged", document.pk] if "%s WHERE" in statement else [document.pk]

    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)

    document.refresh_from_db()
    assert (document.version, document.reason, bytes(document.pdf)) == (1, "issued", sent)


def test_the_database_refuses_queryset_rewrites_and_deletes(rendered):
    rows = InvoiceDocument.objects.filter(invoice=rendered)
    sent = bytes(rows.get().pdf)

    with pytest.raises(IntegrityError), transaction.atomic():
        rows.update(pdf=b"%PDF- forged")
    with pytest.raises(IntegrityError), transaction.atomic():
        rows.delete()
    with pytest.raises(FinalizedDocumentError):
        rows.get().delete()
    with pytest.raises(FinalizedDocumentError):
        rows.get().save()

    assert bytes(rows.get().pdf) == sent


def test_a_version_waiting_for_its_render_takes_its_pdf_once(organization, now):
    invoice = finalized_invoice(organization, today=date(2026, 3, 14))
    rows = InvoiceDocument.objects.filter(invoice=invoice)

    assert rows.update(pdf=b"%PDF- first", rendered_at=now) == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        rows.update(pdf=b"%PDF- second")
    assert bytes(rows.get().pdf) == b"%PDF- first"


def test_the_claim_bookkeeping_of_a_rendered_version_stays_free(rendered, now):
    # The task's claim is not the document: an expired claim is aged, errors recorded.
    rows = InvoiceDocument.objects.filter(invoice=rendered)
    assert rows.update(claimed_at=None, attempts=3, last_error="Font cache is locked") == 1


@pytest.mark.django_db(transaction=True)
def test_the_suites_flush_empties_the_versions_and_the_refusal_comes_back(organization):
    """Between transactional tests the suite's flush sets the refusal aside for itself
    only (tests/conftest.py)."""
    # Committed for real here, so the commit hands the PDF to the (eager) worker.
    invoice = finalized_invoice(organization, today=date(2026, 3, 14))
    assert invoice.documents.get().rendered_at is not None

    call_command("flush", interactive=False, verbosity=0)

    assert not InvoiceDocument.objects.exists()
    invoice = finalized_invoice(OrganizationFactory(), today=date(2026, 3, 14))
    assert invoice.documents.get().rendered_at is not None
    with pytest.raises(IntegrityError), transaction.atomic():
        invoice.documents.all().delete()
