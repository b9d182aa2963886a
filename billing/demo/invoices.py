"""Demo invoices: something paid, something open, something overdue, and a credit
balance, for the demo organizations that have a license. Idempotent: an organization
that already has invoices is left as it is (they are never rewritten anyway)."""

from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from billing.invoices import services
from billing.models import BillingDetails, Invoice, PaymentTerms
from billing.money import Money
from billing.payments.services import payment_record
from licensing.models import License

# slug: (tax rate %, tax ID, terms, net days, monthly seat price, currency)
DETAILS = {
    "northwind-analytics": (Decimal("20"), "GB 123 4567 89", PaymentTerms.NET, 30, "12", "USD"),
    "acme-robotics": (Decimal("0"), "", PaymentTerms.DUE_ON_RECEIPT, 0, "12", "USD"),
    "globex-health": (Decimal("8.5"), "DE 811 234 567", PaymentTerms.NET, 14, "20", "EUR"),
}


def _month_invoice(
    license: License, first_day: date, price: str, currency: str, issued_on: date | None = None
) -> Invoice:
    last_day = (first_day + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    invoice = services.invoice_create_draft(
        organization=license.organization, currency=currency, license=license
    )
    services.invoice_add_line(
        invoice=invoice,
        description=f"{license.version.tier.name} plan, {license.seats} seats",
        quantity=license.seats,
        unit_price=Money(Decimal(price), currency),
        period_start=first_day,
        period_end=last_day,
    )
    return services.invoice_finalize(invoice=invoice, today=issued_on or first_day)


def _paid_by_transfer(invoice: Invoice) -> Invoice:
    """The whole amount due, arrived by bank transfer five days after it was issued."""
    payment_record(
        invoice=invoice,
        amount=invoice.money("amount_due"),
        received_on=invoice.issued_on + timedelta(days=5),
        reference=f"TRF {invoice.number}",
        actor=None,
        reason="Demo: transfer on the bank statement.",
    )
    invoice.refresh_from_db()
    return invoice


@transaction.atomic
def build_invoices() -> list[str]:
    """One line per organization: what its invoices are."""
    today = timezone.localdate()
    this_month = today.replace(day=1)
    two_months_ago = (this_month - timedelta(days=40)).replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    lines = []
    for slug, (rate, tax_id, terms, days, price, currency) in DETAILS.items():
        license = (
            License.objects.select_related("organization", "version__tier")
            .filter(organization__slug=slug)
            .first()
        )
        if license is None or Invoice.objects.filter(organization=license.organization).exists():
            continue
        BillingDetails.objects.update_or_create(
            organization=license.organization,
            defaults={"tax_rate": rate, "tax_id": tax_id, "payment_terms": terms, "net_days": days},
        )
        paid = _paid_by_transfer(_month_invoice(license, two_months_ago, price, currency))
        previous = _month_invoice(license, last_month, price, currency)
        current = _month_invoice(license, this_month, price, currency, issued_on=today)
        if slug == "acme-robotics":
            summary = f"{paid} paid, {previous} overdue, {current} open"
        else:
            _paid_by_transfer(previous)
            services.credit_note_issue(
                invoice=paid,
                subtotal=Money(Decimal(price) * 2, currency),
                reason="Two seats billed twice; credited to the next invoice.",
                today=last_month,
            )
            summary = f"{paid} and {previous} paid, {current} open, credit from a credit note"
        lines.append(f"{license.organization.name}: {summary}")
    return lines
