"""Reading dunning: the invoices the daily job visits, what was sent for one, a license's
overdue invoices, and what a customer's pages show of it (the overdue panel)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet

from billing.dunning import rules
from billing.invoices.selectors import invoice_outstanding
from billing.models import Invoice, InvoiceStatus, Notice, NoticeKind
from billing.money import Money
from licensing.models import CLOSED_STATUSES, HoldSource, License, LicenseHold, LicenseStatus
from portal.models import Organization

STAGE_KINDS = (NoticeKind.DUNNING_REMINDER, NoticeKind.PAST_DUE, NoticeKind.SUSPENDED)


def invoice_subject(invoice: Invoice) -> str:
    return f"invoice:{invoice.pk}"


def overdue(today: date) -> QuerySet[Invoice]:
    """Open invoices (so with an amount still due) past their due date."""
    return Invoice.objects.filter(status=InvoiceStatus.OPEN, due_on__lt=today)


def overdue_invoice_ids(today: date) -> list[int]:
    """The daily job's work list, oldest due first."""
    return list(overdue(today).order_by("due_on", "pk").values_list("pk", flat=True))


def sent_for(invoice: Invoice) -> rules.Sent:
    """The dunning notices already sent for the invoice (its notices' keys)."""
    rows = Notice.objects.filter(
        kind__in=STAGE_KINDS, subject=invoice_subject(invoice), period=invoice.due_on
    ).values_list("kind", "lead")
    kinds = {kind for kind, _ in rows}
    return rules.Sent(
        reminders=frozenset(lead for kind, lead in rows if kind == NoticeKind.DUNNING_REMINDER),
        past_due=NoticeKind.PAST_DUE in kinds,
        suspended=NoticeKind.SUSPENDED in kinds,
    )


def license_has_overdue(license_id: int, today: date) -> bool:
    return overdue(today).filter(license_id=license_id).exists()


def open_invoice_license_ids(organization: Organization, currency: str | None = None) -> list[int]:
    """The licenses of the organization's open invoices (in `currency`), ascending: the
    ones a payment or credit may settle, locked before any invoice (billing.locks)."""
    invoices = Invoice.objects.filter(
        organization=organization, status=InvoiceStatus.OPEN, license__isnull=False
    )
    if currency:
        invoices = invoices.filter(currency=currency)
    return sorted(set(invoices.values_list("license_id", flat=True)))


def dunning_hold(license_id: int) -> LicenseHold | None:
    return LicenseHold.objects.filter(
        license_id=license_id, source=HoldSource.DUNNING, lifted_at__isnull=True
    ).first()


def licenses_to_settle(today: date) -> list[int]:
    """Licenses dunning holds (a hold, or past due after its notice) with no overdue
    invoice left: the daily job's sweep, behind the payment's own settlement."""
    held = LicenseHold.objects.filter(
        source=HoldSource.DUNNING, lifted_at__isnull=True
    ).values_list("license_id", flat=True)
    past_due = Notice.objects.filter(
        kind=NoticeKind.PAST_DUE,
        license__status=LicenseStatus.PAST_DUE,
    ).values_list("license_id", flat=True)
    candidates = set(held) | set(past_due)
    still = set(
        overdue(today).filter(license_id__in=candidates).values_list("license_id", flat=True)
    )
    return sorted(candidates - still)


# --- What customers see ---------------------------------------------------------------


@dataclass(frozen=True)
class OverdueInvoice:
    invoice: Invoice
    outstanding: Money
    days: int
    timeline: list[rules.Event]
    next: rules.Event | None  # the next past-due or suspension date still to come


def dunned_license(license: License | None) -> bool:
    """Whether dunning acts on the license (past due, suspended): it has one that is not
    closed. An invoice of a canceled or expired license gets reminders only."""
    return license is not None and license.status not in CLOSED_STATUSES


def invoice_timeline(invoice: Invoice, today: date) -> list[rules.Event]:
    return rules.timeline(
        due_on=invoice.due_on,
        reminder_days=invoice.dunning_reminder_days or [],
        past_due_on=invoice.past_due_on,
        suspend_on=invoice.suspend_on,
        today=today,
        has_license=dunned_license(invoice.license),
    )


def overdue_invoices(
    *, organization: Organization, today: date, invoice: Invoice | None = None
) -> list[OverdueInvoice]:
    """The organization's overdue invoices (or only `invoice`, when it is overdue), oldest
    due first, each with what is still to pay and its timeline."""
    invoices = overdue(today).filter(organization=organization)
    if invoice is not None:
        invoices = invoices.filter(pk=invoice.pk)
    found = []
    for row in invoices.select_related("license__product").order_by("due_on", "pk"):
        events = invoice_timeline(row, today)
        found.append(
            OverdueInvoice(
                invoice=row,
                outstanding=invoice_outstanding(invoice=row),
                days=rules.overdue_days(due_on=row.due_on, today=today),
                timeline=events,
                next=rules.next_event(events),
            )
        )
    return found
