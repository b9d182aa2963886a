"""Reads of invoices and credit that pages and services share."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Sum

from billing.invoices import rules
from billing.models import CreditEntry, Invoice, InvoiceStatus, Payment
from billing.money import Money
from portal.models import Organization


def credit_balance(*, organization: Organization, currency: str) -> Money:
    total = CreditEntry.objects.filter(organization=organization, currency=currency).aggregate(
        total=Sum("amount")
    )["total"]
    return Money(total or 0, currency)


def credit_balances(*, organization: Organization) -> list[Money]:
    """Every currency in which the organization holds credit, largest first."""
    rows = (
        CreditEntry.objects.filter(organization=organization)
        .values("currency")
        .annotate(total=Sum("amount"))
        .order_by("currency")
    )
    return [Money(row["total"], row["currency"]) for row in rows if row["total"]]


def invoice_remaining(*, invoice: Invoice) -> Money:
    """What of the invoice's total no credit note has credited yet."""
    return rules.remaining(
        invoice.money("total"), (note.money("total") for note in invoice.credit_notes.all())
    )


def invoice_paid(*, invoice: Invoice) -> Money:
    """What payments have paid of the invoice's amount due: what they brought, up to that
    amount (an overpayment beyond it went to the credit balance). Reads
    `invoice.payments`, so a list of invoices prefetches them once."""
    return rules.paid(
        received=(payment.money() for payment in invoice.payments.all()),
        amount_due=invoice.money("amount_due"),
    )


def invoice_outstanding(*, invoice: Invoice) -> Money:
    """What the customer still has to pay: the amount due less what payments have paid
    while the invoice is open; nothing once it is paid or void."""
    if invoice.status != InvoiceStatus.OPEN:  # no payments to read
        return Money.zero(invoice.currency)
    return rules.outstanding(
        status=invoice.status,
        amount_due=invoice.money("amount_due"),
        paid=invoice_paid(invoice=invoice),
    )


@dataclass(frozen=True)
class InvoiceSummary:
    open_count: int
    overdue_count: int
    outstanding: list[Money]  # still to pay, per currency
    credit: list[Money]


def invoice_summary(*, organization: Organization, today: date) -> InvoiceSummary:
    """What the dashboard says about the organization's invoices."""
    open_invoices = Invoice.objects.filter(organization=organization, status=InvoiceStatus.OPEN)
    rows = open_invoices.values("currency").annotate(due=Sum("amount_due")).order_by("currency")
    # Payments towards an open invoice never reach its amount due (the one that does
    # marks it paid), so their sum is what they have paid of it.
    paid = dict(
        Payment.objects.filter(invoice__in=open_invoices)
        .values("currency")
        .annotate(total=Sum("amount"))
        .values_list("currency", "total")
    )
    return InvoiceSummary(
        open_count=open_invoices.count(),
        overdue_count=open_invoices.filter(due_on__lt=today).count(),
        outstanding=[
            Money(row["due"] - paid.get(row["currency"], 0), row["currency"]) for row in rows
        ],
        credit=credit_balances(organization=organization),
    )
