"""History for any date: the invoice and payment services take `at` and stamp every
moment and date from it, never from now (the suite's now is 14 March 2026)."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from billing.invoices import services
from billing.invoices.kinds import LineKind
from billing.models import InvoiceStatus
from billing.money import Money
from billing.payments.services import payment_record
from tests.helpers.invoices import TEAM_LINES

pytestmark = pytest.mark.django_db

LAST_AUTUMN = datetime(2025, 10, 20, 15, 45, tzinfo=UTC)
A_WEEK_LATER = LAST_AUTUMN + timedelta(days=7)


def draft(organization):
    invoice = services.invoice_create_draft(organization=organization, currency="USD")
    for description, quantity, unit_price in TEAM_LINES:
        services.invoice_add_line(
            invoice=invoice,
            kind=LineKind.ONE_OFF,
            description=description,
            quantity=quantity,
            unit_price=Money(unit_price, "USD"),
        )
    return invoice


def pay(invoice, *, received_on: date, at: datetime) -> None:
    """The whole amount due, by bank transfer, recorded at `at`."""
    payment_record(
        invoice=invoice,
        amount=invoice.money("amount_due"),
        received_on=received_on,
        reference="TRF-1",
        actor=None,
        reason="Bank statement.",
        at=at,
    )


def test_an_invoice_finalized_in_the_past_is_dated_and_numbered_then(organization, now):
    invoice = services.invoice_finalize(invoice=draft(organization), at=LAST_AUTUMN)

    assert invoice.finalized_at == LAST_AUTUMN
    assert invoice.issued_on == date(2025, 10, 20)
    assert invoice.due_on == date(2025, 10, 20) + timedelta(days=invoice.net_days)
    assert invoice.number == "INV-2025-000001"  # the year it was issued in


def test_a_payment_recorded_in_the_past_pays_the_invoice_then(organization, now):
    invoice = services.invoice_finalize(invoice=draft(organization), at=LAST_AUTUMN)

    with pytest.raises(ValidationError, match="cannot arrive in the future"):
        # Received the day after the moment it is recorded at.
        pay(invoice, received_on=date(2025, 10, 28), at=A_WEEK_LATER)
    pay(invoice, received_on=date(2025, 10, 27), at=A_WEEK_LATER)

    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_at) == (InvoiceStatus.PAID, A_WEEK_LATER)


def test_an_invoice_voided_in_the_past_is_stamped_then_and_credited_that_day(organization, now):
    invoice = services.invoice_finalize(invoice=draft(organization), at=LAST_AUTUMN)

    note = services.invoice_void_with_credit_note(
        invoice=invoice, reason="Wrong tier", at=A_WEEK_LATER
    )

    invoice.refresh_from_db()
    assert (invoice.status, invoice.voided_at) == (InvoiceStatus.VOID, A_WEEK_LATER)
    assert (note.issued_on, note.number) == (date(2025, 10, 27), "CN-2025-000001")


def test_a_credit_note_issued_in_the_past_is_dated_then(organization, now):
    invoice = services.invoice_finalize(invoice=draft(organization), at=LAST_AUTUMN)
    pay(invoice, received_on=date(2025, 10, 20), at=LAST_AUTUMN)

    note = services.credit_note_issue(
        invoice=invoice,
        subtotal=Money(Decimal("10.00"), "USD"),
        reason="An outage.",
        at=A_WEEK_LATER,
    )

    assert (note.issued_on, note.number) == (date(2025, 10, 27), "CN-2025-000001")
