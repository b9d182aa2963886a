"""On PostgreSQL the database refuses to rewrite history, whatever the caller: raw SQL
and queryset .update()/.delete() on finalized invoices, their lines, credit notes, the
credit ledger, payments, the license ledger and the subscription ledger all fail; drafts
stay editable."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction

from billing.invoices import services
from billing.invoices.kinds import LineKind
from billing.models import (
    CreditEntry,
    CreditNote,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    SubscriptionEvent,
)
from billing.money import Money
from billing.subscriptions.services import subscription_create
from licensing.models import LicenseEvent
from tests.helpers.invoices import finalized_invoice, pay_in_full
from tests.helpers.licenses import SYSTEM
from tests.helpers.services import NEEDS_POSTGRESQL

pytestmark = [
    pytest.mark.integration,
    NEEDS_POSTGRESQL,
]


RESTRICT_VIOLATION = "23001"  # what the triggers raise


def refused(statement, *params) -> bool:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, params)
    except DatabaseError as error:
        assert error.__cause__.sqlstate == RESTRICT_VIOLATION, error
        return True
    return False


def refused_orm(action) -> bool:
    try:
        with transaction.atomic():
            action()
    except DatabaseError:
        return True
    return False


@pytest.fixture
def invoice(organization):
    return finalized_invoice(organization, today=date(2026, 3, 14))


def test_raw_sql_cannot_rewrite_a_finalized_invoice_or_its_lines(invoice):
    assert refused("UPDATE billing_invoice SET total = 1 WHERE id = %s", invoice.pk)
    assert refused("UPDATE billing_invoice SET status = 'draft' WHERE id = %s", invoice.pk)
    assert refused("DELETE FROM billing_invoice WHERE id = %s", invoice.pk)
    assert refused("UPDATE billing_invoiceline SET amount = 0 WHERE invoice_id = %s", invoice.pk)
    assert refused("DELETE FROM billing_invoiceline WHERE invoice_id = %s", invoice.pk)
    assert refused(
        "INSERT INTO billing_invoiceline (invoice_id, description, quantity, unit_price, "
        "amount, position) VALUES (%s, 'Sneaked in', 1, 1, 1, 9)",
        invoice.pk,
    )
    invoice.refresh_from_db()
    assert (invoice.total, invoice.lines.count()) == (Decimal("153.00"), 2)


def test_a_bulk_update_cannot_either(invoice):
    assert refused_orm(lambda: Invoice.objects.filter(pk=invoice.pk).update(total=1))
    assert refused_orm(lambda: Invoice.objects.filter(pk=invoice.pk).update(number="INV-X"))
    assert refused_orm(lambda: InvoiceLine.objects.filter(invoice=invoice).update(amount=0))
    assert Invoice.objects.get(pk=invoice.pk).number == "INV-2026-000001"


def test_its_status_still_moves_forward_only(invoice):
    assert not refused_orm(
        lambda: Invoice.objects.filter(pk=invoice.pk).update(status=InvoiceStatus.PAID)
    )
    assert refused_orm(
        lambda: Invoice.objects.filter(pk=invoice.pk).update(status=InvoiceStatus.OPEN)
    )


def test_a_draft_stays_editable(organization):
    draft = services.invoice_create_draft(organization=organization, currency="USD")
    services.invoice_add_line(
        invoice=draft, kind=LineKind.ONE_OFF, description="Team", unit_price=Money(5, "USD")
    )

    assert not refused("UPDATE billing_invoiceline SET amount = 6 WHERE invoice_id = %s", draft.pk)
    assert not refused("DELETE FROM billing_invoiceline WHERE invoice_id = %s", draft.pk)
    assert not refused("DELETE FROM billing_invoice WHERE id = %s", draft.pk)


def test_credit_notes_and_the_credit_ledger_are_append_only(invoice):
    note = services.invoice_void_with_credit_note(
        invoice=pay_in_full(invoice), reason="Refund as credit"
    )

    assert refused("UPDATE billing_creditnote SET total = 0 WHERE id = %s", note.pk)
    assert refused("DELETE FROM billing_creditnote WHERE id = %s", note.pk)
    assert refused_orm(lambda: CreditEntry.objects.filter(credit_note=note).update(amount=1))
    assert refused("DELETE FROM billing_creditentry WHERE credit_note_id = %s", note.pk)
    assert CreditNote.objects.get(pk=note.pk).total == Decimal("153.00")


def test_payments_are_append_only(invoice):
    pay_in_full(invoice, reference="BANK-1")
    payment = Payment.objects.get(invoice=invoice)

    assert refused("UPDATE billing_payment SET amount = 1 WHERE id = %s", payment.pk)
    assert refused("UPDATE billing_payment SET reference = 'other' WHERE id = %s", payment.pk)
    assert refused("DELETE FROM billing_payment WHERE id = %s", payment.pk)
    assert refused_orm(lambda: Payment.objects.filter(pk=payment.pk).update(amount=1))
    assert refused_orm(lambda: Payment.objects.filter(pk=payment.pk).delete())
    stored = Payment.objects.get(pk=payment.pk)
    assert (stored.amount, stored.reference) == (Decimal("153.00"), "BANK-1")


def test_the_license_ledger_is_append_only(issued):
    event = LicenseEvent.objects.filter(license=issued.license).first()

    assert refused("UPDATE licensing_licenseevent SET reason = 'rewritten' WHERE id = %s", event.pk)
    assert refused("DELETE FROM licensing_licenseevent WHERE id = %s", event.pk)
    assert LicenseEvent.objects.get(pk=event.pk).reason == event.reason


def test_the_subscription_ledger_is_append_only(issued):
    subscription_create(
        license=issued.license, currency="USD", cycle="monthly", actor=SYSTEM, reason="Bought."
    )
    event = SubscriptionEvent.objects.filter(subscription__license=issued.license).first()
    update = "UPDATE billing_subscriptionevent SET reason = 'rewritten' WHERE id = %s"
    assert refused(update, event.pk)
    assert refused("DELETE FROM billing_subscriptionevent WHERE id = %s", event.pk)
    # The commercial ledger's columns too: no MRR, kind or cause is rewritten.
    assert refused("UPDATE billing_subscriptionevent SET mrr_after = 0 WHERE id = %s", event.pk)
    assert refused("UPDATE billing_subscriptionevent SET kind = 'canceled' WHERE id = %s", event.pk)
    assert refused(
        "UPDATE billing_subscriptionevent SET operation_id = NULL WHERE id = %s", event.pk
    )
    assert refused("DELETE FROM billing_adminoperation WHERE id = %s", event.operation_id)
    update = "UPDATE billing_adminoperation SET reason = 'rewritten' WHERE id = %s"
    assert refused(update, event.operation_id)
    stored = SubscriptionEvent.objects.get(pk=event.pk)
    assert (stored.reason, stored.mrr_after, stored.kind) == (event.reason, 9500, "purchased")


APPEND_ONLY_TABLES = [
    "billing_invoice",
    "billing_invoiceline",
    "billing_creditnote",
    "billing_creditentry",
    "billing_payment",
    "billing_subscriptionevent",
    "billing_adminoperation",
    "billing_documentsequence",
    "billing_invoicedocument",
    "licensing_licenseevent",
]


@pytest.mark.parametrize("table", APPEND_ONLY_TABLES)
def test_truncate_is_refused_on_every_append_only_table(invoice, table):
    # The test's transaction holds deferred foreign-key checks for the rows it made, and
    # PostgreSQL will not truncate past pending ones: check them now, as a commit would.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    assert refused(f"TRUNCATE {table} CASCADE")
    assert Invoice.objects.filter(pk=invoice.pk).exists()


def test_paid_at_is_set_once_by_the_payment_that_pays(invoice):
    assert refused("UPDATE billing_invoice SET paid_at = now() WHERE id = %s", invoice.pk)
    paid = pay_in_full(invoice)

    assert refused("UPDATE billing_invoice SET paid_at = now() WHERE id = %s", paid.pk)
    assert refused("UPDATE billing_invoice SET paid_at = NULL WHERE id = %s", paid.pk)
    assert refused("UPDATE billing_invoice SET voided_at = now() WHERE id = %s", paid.pk)
    assert Invoice.objects.get(pk=paid.pk).paid_at == paid.paid_at


def test_voided_at_is_set_once_by_the_void(invoice):
    note = services.invoice_void_with_credit_note(invoice=pay_in_full(invoice), reason="Refund")
    voided = Invoice.objects.get(pk=note.invoice_id)
    assert voided.status == InvoiceStatus.VOID and voided.voided_at is not None

    assert refused("UPDATE billing_invoice SET voided_at = now() WHERE id = %s", voided.pk)
    assert refused("UPDATE billing_invoice SET paid_at = NULL WHERE id = %s", voided.pk)
    assert Invoice.objects.get(pk=voided.pk).voided_at == voided.voided_at


def test_numbers_move_forward_by_one_and_are_never_deleted(invoice):
    change = "UPDATE billing_documentsequence SET last_number = last_number + %s"

    assert refused(change, -1)
    assert refused(change, 0)
    assert refused(change, 2)
    assert refused("UPDATE billing_documentsequence SET year = year + 1")
    assert refused("DELETE FROM billing_documentsequence")
    assert finalized_invoice(invoice.organization, today=date(2026, 3, 14)).number == (
        "INV-2026-000002"
    )
