"""Reading dunning: the invoices the daily job visits, what was sent for one, a license's
overdue invoices, and what a customer's pages show of it (the overdue panel: each
overdue invoice once, and what happens next to each license as a whole)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet

from billing.accounts.signals import totals_by_currency
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
    rows = list(
        Notice.objects.filter(
            kind__in=STAGE_KINDS, subject=invoice_subject(invoice), period=invoice.due_on
        ).values_list("kind", "lead", "sent_on")
    )
    kinds = {kind for kind, _, _ in rows}
    return rules.Sent(
        reminders=frozenset(lead for kind, lead, _ in rows if kind == NoticeKind.DUNNING_REMINDER),
        past_due=NoticeKind.PAST_DUE in kinds,
        suspended=NoticeKind.SUSPENDED in kinds,
        on=tuple(
            (NOTICE_RULE[kind], lead if kind == NoticeKind.DUNNING_REMINDER else 0, sent_on)
            for kind, lead, sent_on in rows
        ),
    )


NOTICE_RULE = {
    NoticeKind.DUNNING_REMINDER: rules.REMINDER,
    NoticeKind.PAST_DUE: rules.PAST_DUE,
    NoticeKind.SUSPENDED: rules.SUSPEND,
}


def license_has_overdue(license_id: int, today: date) -> bool:
    return overdue(today).filter(license_id=license_id).exists()


def license_reached(license_id: int, today: date) -> str | None:
    """The most serious stage the license's open overdue invoices have reached today
    (rules.license_stage): what a settlement leaves in place."""
    return rules.license_stage(
        overdue(today).filter(license_id=license_id).values_list("past_due_on", "suspend_on"),
        today,
    )


def license_stage(license: License | None) -> str | None:
    """The license's own dunning stage: SUSPEND under a dunning hold, PAST_DUE while past
    due, else None."""
    if license is None:
        return None
    if dunning_hold(license.pk) is not None:
        return rules.SUSPEND
    if license.status == LicenseStatus.PAST_DUE:
        return rules.PAST_DUE
    return None


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


def staff_hold(license_id: int) -> bool:
    """Staff hold the license suspended too: no payment lifts their hold (only staff's
    Reinstate does), so settling its invoices leaves it suspended."""
    return LicenseHold.objects.filter(
        license_id=license_id, source=HoldSource.ADMIN, lifted_at__isnull=True
    ).exists()


def licenses_to_settle(today: date) -> list[int]:
    """Licenses dunning holds (a hold, or past due after its notice) that a settlement
    would change today (rules.settlement): the daily job's sweep, behind the payment's
    own settlement."""
    held = set(
        LicenseHold.objects.filter(source=HoldSource.DUNNING, lifted_at__isnull=True).values_list(
            "license_id", flat=True
        )
    )
    past_due = set(
        Notice.objects.filter(
            kind=NoticeKind.PAST_DUE,
            license__status=LicenseStatus.PAST_DUE,
        ).values_list("license_id", flat=True)
    )
    reached: dict[int, list] = {}
    for license_id, past_due_on, suspend_on in (
        overdue(today)
        .filter(license_id__in=held | past_due)
        .values_list("license_id", "past_due_on", "suspend_on")
    ):
        reached.setdefault(license_id, []).append((past_due_on, suspend_on))
    return sorted(
        license_id
        for license_id in held | past_due
        if rules.settlement(
            held=license_id in held,
            past_due=license_id in past_due,
            reached=rules.license_stage(reached.get(license_id, []), today),
        )
    )


# --- What customers see ---------------------------------------------------------------


@dataclass(frozen=True)
class OverdueInvoice:
    invoice: Invoice
    outstanding: Money
    days: int
    timeline: list[rules.Event]
    next: rules.Event | None  # the next past-due or suspension date still to come
    stage: str | None = None  # the license's own (rules.PAST_DUE, SUSPEND or None)
    # While the license is suspended by dunning: the open invoices that have reached
    # their suspension day, all of which must be paid to lift it (this one among them or
    # not), oldest due first.
    to_lift: tuple[Invoice, ...] = ()
    # For an invoice that does not hold the suspension: its next stage once the
    # suspension is lifted (the license back to active).
    after_lift: rules.Event | None = None
    # While suspended by dunning, staff hold it too: paying lifts only the dunning hold,
    # the license stays suspended (so nothing is told of what follows the lifting).
    held_by_staff: bool = False

    @property
    def lifts(self) -> bool:
        """Paying this invoice alone lifts the suspension."""
        return [i.pk for i in self.to_lift] == [self.invoice.pk]

    @property
    def holds(self) -> bool:
        """This invoice is one of those holding the suspension."""
        return any(i.pk == self.invoice.pk for i in self.to_lift)

    @property
    def others(self) -> tuple[Invoice, ...]:
        """The other invoices that must be paid to lift the suspension."""
        return tuple(i for i in self.to_lift if i.pk != self.invoice.pk)


def dunned_license(license: License | None) -> bool:
    """Whether dunning acts on the license (past due, suspended): it has one that is not
    closed. An invoice of a canceled or expired license gets reminders only."""
    return license is not None and license.status not in CLOSED_STATUSES


def invoice_timeline(
    invoice: Invoice, today: date, *, stage: str | bool | None = False
) -> list[rules.Event]:
    """The invoice's timeline as it happened (its notices) and as it stands for its
    license (`stage`, the license's own, read when not given)."""
    if stage is False:
        stage = license_stage(invoice.license)
    return rules.timeline(
        due_on=invoice.due_on,
        reminder_days=invoice.dunning_reminder_days or [],
        past_due_on=invoice.past_due_on,
        suspend_on=invoice.suspend_on,
        today=today,
        has_license=dunned_license(invoice.license),
        sent=sent_for(invoice),
        license_stage=stage,
    )


def holding_invoices(license: License | None, today: date) -> tuple[Invoice, ...]:
    """While the license is suspended by dunning: its open overdue invoices that have
    reached their suspension day, oldest due first (all must be paid to lift it)."""
    if license is None or dunning_hold(license.pk) is None:
        return ()
    return tuple(
        overdue(today).filter(license=license, suspend_on__lte=today).order_by("due_on", "pk")
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
        stage = license_stage(row.license) if dunned_license(row.license) else None
        events = invoice_timeline(row, today, stage=stage)
        to_lift = holding_invoices(row.license, today) if stage == rules.SUSPEND else ()
        held_by_staff = stage == rules.SUSPEND and staff_hold(row.license_id)
        found.append(
            OverdueInvoice(
                invoice=row,
                outstanding=invoice_outstanding(invoice=row),
                days=rules.overdue_days(due_on=row.due_on, today=today),
                timeline=events,
                next=rules.next_event(events),
                stage=stage,
                to_lift=to_lift,
                after_lift=(
                    rules.next_event(invoice_timeline(row, today, stage=None))
                    if to_lift
                    and not held_by_staff
                    and all(other.pk != row.pk for other in to_lift)
                    else None
                ),
                held_by_staff=held_by_staff,
            )
        )
    return found


@dataclass(frozen=True)
class Consequence:
    """Something still ahead for a license (its `event`: becoming past due, or suspended)
    and the overdue invoices whose date it is (several when they reach it the same day:
    each must be paid to avoid it); `after_lift`: it comes only once the dunning
    suspension in force is lifted (back to active), unless those invoices are paid."""

    license: License
    invoices: tuple[Invoice, ...]
    event: rules.Event
    after_lift: bool = False


@dataclass(frozen=True)
class OverdueLicense:
    """Where dunning leaves one license with overdue invoices: its stage (rules.PAST_DUE,
    SUSPEND or None), whether it is suspended by something else than dunning (paying does
    not lift that), the invoices to pay to lift a dunning suspension, whether staff hold
    it suspended too (paying them leaves it suspended), and what comes next (rules.ahead,
    across its invoices)."""

    license: License
    stage: str | None
    suspended_otherwise: bool
    to_lift: tuple[Invoice, ...]
    ahead: list[Consequence]
    held_by_staff: bool = False


@dataclass(frozen=True)
class OverduePanel:
    """The overdue panel of a customer's pages: each overdue invoice once (`invoices`,
    oldest due first), what is still to pay of them by currency, each license they put at
    risk, and one timeline for the account (`ahead`: what happens next to each license, in
    date order), instead of one timeline per invoice."""

    invoices: list[OverdueInvoice]
    licenses: list[OverdueLicense]
    ahead: list[Consequence]
    outstanding: list[Money]

    def __bool__(self) -> bool:
        return bool(self.invoices)

    def __len__(self) -> int:
        return len(self.invoices)

    @property
    def severe(self) -> bool:
        """A license is suspended, or a suspension is what comes next."""
        return any(
            license.stage == rules.SUSPEND
            or license.suspended_otherwise
            or (license.ahead and license.ahead[0].event.kind == rules.SUSPEND)
            for license in self.licenses
        )


def _overdue_license(rows: list[OverdueInvoice], today: date) -> OverdueLicense:
    """One license's part of the panel, from its overdue invoices (oldest due first)."""
    license = rows[0].invoice.license
    stage, to_lift, held_by_staff = rows[0].stage, rows[0].to_lift, rows[0].held_by_staff
    suspended_otherwise = license.status == LicenseStatus.SUSPENDED and stage != rules.SUSPEND
    if suspended_otherwise or held_by_staff:
        # Staff's hold outlives any payment: what would follow the lifting is not dated.
        ahead = []
    elif stage == rules.SUSPEND:
        # What comes once the suspension is lifted (back to active) from the invoices that
        # do not hold it: their timelines as they would stand for an active license.
        lifted = [row.invoice for row in rows if row.invoice not in to_lift]
        found = rules.ahead(
            (invoice, invoice_timeline(invoice, today, stage=None)) for invoice in lifted
        )
        ahead = [
            Consequence(license, invoices, event, after_lift=True) for invoices, event in found
        ]
    else:
        found = rules.ahead((row.invoice, row.timeline) for row in rows)
        ahead = [Consequence(license, invoices, event) for invoices, event in found]
    return OverdueLicense(
        license=license,
        stage=stage,
        suspended_otherwise=suspended_otherwise,
        to_lift=to_lift,
        ahead=ahead,
        held_by_staff=held_by_staff,
    )


def overdue_panel(
    *, organization: Organization, today: date, invoice: Invoice | None = None
) -> OverduePanel:
    """The overdue panel (overdue_invoices, or only `invoice` on its own page), with each
    license that dunning acts on once, however many of its invoices are overdue."""
    rows = overdue_invoices(organization=organization, today=today, invoice=invoice)
    by_license: dict[int, list[OverdueInvoice]] = {}
    for row in rows:
        if dunned_license(row.invoice.license):
            by_license.setdefault(row.invoice.license_id, []).append(row)
    licenses = [_overdue_license(found, today) for found in by_license.values()]
    return OverduePanel(
        invoices=rows,
        licenses=licenses,
        ahead=sorted(
            (consequence for license in licenses for consequence in license.ahead),
            key=lambda consequence: consequence.event.on,
        ),
        outstanding=totals_by_currency([row.outstanding for row in rows]),
    )
