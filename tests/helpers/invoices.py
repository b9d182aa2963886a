"""Invoices made through the services, as a customer's would be."""

from datetime import UTC, date, datetime, time
from decimal import Decimal

from billing.invoices import services
from billing.invoices.kinds import LineKind
from billing.models import Invoice
from billing.money import Money
from billing.payments.services import payment_record

TEAM_LINES = [
    ("Team plan, 12 seats", 12, Decimal("12.00")),
    ("Extra API calls, 10,000", 2, Decimal("4.50")),
]


def finalized_invoice(
    organization, *, lines=TEAM_LINES, currency: str = "USD", today: date | None = None
) -> Invoice:
    invoice = services.invoice_create_draft(organization=organization, currency=currency)
    for description, quantity, unit_price in lines:
        services.invoice_add_line(
            invoice=invoice,
            kind=LineKind.ONE_OFF,
            description=description,
            quantity=quantity,
            unit_price=Money(unit_price, currency),
            period_start=date(2026, 3, 1),
            period_end=date(2026, 3, 31),
        )
    return services.invoice_finalize(invoice=invoice, at=morning_of(today) if today else None)


def morning_of(day: date) -> datetime:
    """A business moment on `day`: half past nine UTC, as the suite's frozen now."""
    return datetime.combine(day, time(9, 30), tzinfo=UTC)


def pay_in_full(invoice: Invoice, *, reference: str = "TRF-1") -> Invoice:
    """The invoice paid by one bank transfer of its whole amount due, as staff record it."""
    payment_record(
        invoice=invoice,
        amount=invoice.money("amount_due"),
        received_on=invoice.issued_on,
        reference=reference,
        actor=None,
        reason="On the bank statement.",
    )
    invoice.refresh_from_db()
    return invoice
