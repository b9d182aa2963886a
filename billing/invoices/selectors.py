"""Reads of invoices and credit that pages and services share."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import QuerySet

from billing.invoices import credit, rules
from billing.models import CreditEntry, Invoice, InvoiceDocument, InvoiceStatus, Payment
from billing.money import Money
from portal.models import Organization


def sums_by_currency(rows: QuerySet, field: str) -> dict[str, Decimal]:
    """The exact sum of a money column per currency, added up here over the Decimals each
    row holds. Never the database's SUM: SQLite sums decimals in floating point (credit
    entries of +23.01 and -23.00 give 0.0100000000000016); PostgreSQL's sum is exact, and
    this is the same on both."""
    return _add_up(rows.values_list("currency", field).order_by())


def _add_up(pairs: Iterable[tuple[str, Decimal]]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for currency, amount in pairs:
        totals[currency] += amount
    return dict(totals)


def credit_balance(*, organization: Organization, currency: str) -> Money:
    entries = CreditEntry.objects.filter(organization=organization, currency=currency)
    return Money(sums_by_currency(entries, "amount").get(currency, Decimal(0)), currency)


def credit_balances(*, organization: Organization) -> list[Money]:
    """Every currency in which the organization holds credit, by currency code."""
    totals = sums_by_currency(CreditEntry.objects.filter(organization=organization), "amount")
    return [Money(totals[currency], currency) for currency in sorted(totals) if totals[currency]]


def credit_balances_of(organization_ids: Iterable[int]) -> dict[int, list[Money]]:
    """credit_balances of each organization, in one query (a batch of reminders): by
    organization id, each with no credit held left out."""
    rows = CreditEntry.objects.filter(organization_id__in=list(organization_ids)).values_list(
        "organization_id", "currency", "amount"
    )
    pairs: dict[int, list[tuple[str, Decimal]]] = defaultdict(list)
    for organization_id, currency, amount in rows.order_by():
        pairs[organization_id].append((currency, amount))
    found = {}
    for organization_id, entries in pairs.items():
        totals = _add_up(entries)
        found[organization_id] = [
            Money(totals[currency], currency) for currency in sorted(totals) if totals[currency]
        ]
    return found


def invoice_remaining(*, invoice: Invoice) -> Money:
    """What of the invoice's total no credit note has credited yet."""
    return rules.remaining(
        invoice.money("total"), (note.money("total") for note in invoice.credit_notes.all())
    )


def credit_applications(*, invoice: Invoice) -> list[CreditEntry]:
    """Credit applied to the invoice after it was issued (billing.invoices.credit), oldest
    first. Reads `invoice.credit_entries`, so a list of invoices prefetches them once."""
    entries = [entry for entry in invoice.credit_entries.all() if entry.applied_on is not None]
    return sorted(entries, key=lambda entry: (entry.applied_on, entry.created_at, entry.pk))


def invoice_credit_applied_later(*, invoice: Invoice) -> Money:
    """What credit has paid of the invoice since it was issued."""
    return -Money.total(
        (Money(entry.amount, entry.currency) for entry in credit_applications(invoice=invoice)),
        invoice.currency,
    )


def _due_after_credit(invoice: Invoice) -> Money:
    return invoice.money("amount_due") - invoice_credit_applied_later(invoice=invoice)


def invoice_paid(*, invoice: Invoice) -> Money:
    """What payments have paid of the invoice's amount due: what they brought, up to what
    credit applied after its issue left of that amount (an overpayment beyond it went to
    the credit balance). Reads `invoice.payments` and `invoice.credit_entries`, so a list
    of invoices prefetches them once."""
    return rules.paid(
        received=(payment.money() for payment in invoice.payments.all()),
        amount_due=_due_after_credit(invoice),
    )


def invoice_outstanding(*, invoice: Invoice) -> Money:
    """What the customer still has to pay: the amount due less what credit applied since
    and payments have paid, while the invoice is open; nothing once it is paid or void."""
    if invoice.status != InvoiceStatus.OPEN:  # no payments to read
        return Money.zero(invoice.currency)
    return rules.outstanding(
        status=invoice.status,
        amount_due=_due_after_credit(invoice),
        paid=invoice_paid(invoice=invoice),
    )


@dataclass(frozen=True)
class InvoiceSummary:
    open_count: int
    overdue_count: int
    outstanding: list[Money]  # still to pay, per currency
    credit: list[Money]
    # How credit is spent, said where the balance is shown.
    credit_rule: str = credit.RULE


def invoice_summary(*, organization: Organization, today: date) -> InvoiceSummary:
    """What the dashboard says about the organization's invoices."""
    open_invoices = Invoice.objects.filter(organization=organization, status=InvoiceStatus.OPEN)
    due = sums_by_currency(open_invoices, "amount_due")
    # Payments towards an open invoice never reach its amount due (the one that does
    # marks it paid), so their sum is what they have paid of it.
    paid = sums_by_currency(Payment.objects.filter(invoice__in=open_invoices), "amount")
    # Credit applied since issue is negative in the ledger: adding it takes it off.
    applied = sums_by_currency(
        CreditEntry.objects.filter(invoice__in=open_invoices, applied_on__isnull=False), "amount"
    )
    return InvoiceSummary(
        open_count=open_invoices.count(),
        overdue_count=open_invoices.filter(due_on__lt=today).count(),
        outstanding=[
            Money(due[currency] - paid.get(currency, 0) + applied.get(currency, 0), currency)
            for currency in sorted(due)
        ],
        credit=credit_balances(organization=organization),
    )


@dataclass(frozen=True)
class PdfVersions:
    """The invoice's newest PDF version, and the one a download serves: the newest
    rendered, an earlier one while the newest is being rendered (None: none yet)."""

    newest: InvoiceDocument | None
    served: InvoiceDocument | None

    @property
    def newest_pending(self) -> bool:
        return self.newest is not None and self.served != self.newest


def pdf_versions(*, invoice: Invoice) -> PdfVersions:
    """Without the PDFs' bytes: for pages, and to choose which one to send."""
    versions = list(
        InvoiceDocument.objects.filter(invoice=invoice).defer("pdf").order_by("-version")
    )
    return PdfVersions(
        newest=versions[0] if versions else None,
        served=next((version for version in versions if version.rendered_at), None),
    )
