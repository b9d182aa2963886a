"""Invoices made through the services, as a customer's would be."""

from datetime import date
from decimal import Decimal

from billing.invoices import services
from billing.models import Invoice
from billing.money import Money

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
            description=description,
            quantity=quantity,
            unit_price=Money(unit_price, currency),
            period_start=date(2026, 3, 1),
            period_end=date(2026, 3, 31),
        )
    return services.invoice_finalize(invoice=invoice, today=today)
