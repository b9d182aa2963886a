"""Every write to invoices and credit notes. Each service is one transaction that locks
the rows two requests could race for: the invoice, the organization's billing details
(which serialise its credit balance) and the series' number row."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from billing.dunning import rules as dunning_rules
from billing.dunning.services import dunning_settle, lock_for_settlement
from billing.emails import notices
from billing.invoices import credit, rules, totals
from billing.invoices.numbering import take_next_number, take_numbers
from billing.invoices.selectors import (
    credit_balance,
    credit_balances,
    invoice_credit_applied_later,
    invoice_outstanding,
    invoice_paid,
    invoice_remaining,
    pdf_versions,
)
from billing.locks import lock_billing_details, lock_licenses
from billing.models import (
    BillingDetails,
    CreditEntry,
    CreditNote,
    DocumentReason,
    Invoice,
    InvoiceDocument,
    InvoiceLine,
    InvoiceStatus,
    Series,
    SubscriptionPeriod,
)
from billing.money import Money
from billing.tasks import render_invoice_pdf
from billing.tax.selectors import decision_key, tax_decision
from billing.tax.seller import seller_block
from portal import clock
from portal.bulk import update_rows
from portal.models import Organization
from portal.unavailable import SERVICE_ERRORS
from portal.validation import clean_computed

logger = logging.getLogger(__name__)


def billing_details_for(*, organization: Organization) -> BillingDetails:
    """The organization's billing details to read: unsaved defaults when none were
    entered, so reading never makes a row (nor a history entry)."""
    found = BillingDetails.objects.filter(organization=organization).first()
    return found or BillingDetails(organization=organization)


def _record_credit(*, organization: Organization, amount: Money, description: str, **source):
    """A row of the credit ledger: + credit granted, - credit used; `source` names the
    invoice or credit note it comes from."""
    CreditEntry.objects.create(
        organization=organization,
        currency=amount.currency,
        amount=amount.amount,
        description=description,
        **source,
    )


def credit_apply(*, organization: Organization, currency: str, at: datetime) -> list[CreditEntry]:
    """Apply the organization's credit in `currency` to its open invoices, oldest first
    (the rule: billing.invoices.credit), each application a credit entry on the invoice
    with its day; an invoice it covers is paid, and gets the next version of its PDF.
    Runs in the transaction where the credit arose, which holds the organization's
    billing details locked (billing.locks: lock 1); the invoices are locked after them
    (lock 6), in the order they are paid."""
    balance = credit_balance(organization=organization, currency=currency)
    if balance.amount <= 0:
        return []
    open_invoices = {
        invoice.number: invoice
        for invoice in Invoice.objects.select_for_update()
        .filter(organization=organization, currency=currency, status=InvoiceStatus.OPEN)
        .order_by("issued_on", "number")
    }
    owed = [
        credit.Owed(number, invoice.issued_on, invoice_outstanding(invoice=invoice))
        for number, invoice in open_invoices.items()
    ]
    entries = []
    for application in credit.allocate(balance, owed):
        invoice = open_invoices[application.number]
        outstanding = invoice_outstanding(invoice=invoice)
        entries.append(
            CreditEntry.objects.create(
                organization=organization,
                currency=currency,
                amount=-application.amount.amount,
                description=f"Credit applied to {invoice.number}",
                invoice=invoice,
                applied_on=timezone.localdate(at),
            )
        )
        if application.amount == outstanding:
            invoice.status = InvoiceStatus.PAID
            invoice.paid_at = at
            invoice.save()
        invoice_pdf_refresh(invoice=invoice, reason=DocumentReason.CREDIT_APPLIED)
    return entries


@transaction.atomic
def credit_apply_waiting(*, organization: Organization, at: datetime | None = None) -> int:
    """Apply credit that waits beside open invoices (held before the rule was applied as
    credit arose), in every currency; the number of invoices it paid towards."""
    at = at or clock.now()
    lock_billing_details(organization)
    licenses = lock_for_settlement(organization)
    applied = sum(
        len(credit_apply(organization=organization, currency=balance.currency, at=at))
        for balance in credit_balances(organization=organization)
    )
    dunning_settle(license_ids=licenses, at=at, reason="Credit applied to the overdue invoice.")
    return applied


def _lock_draft(invoice: Invoice) -> Invoice:
    locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if locked.status != InvoiceStatus.DRAFT:
        raise ValidationError(f"Invoice {locked.number} is finalized; it cannot change.")
    return locked


@transaction.atomic
def invoice_create_draft(
    *, organization: Organization, currency: str, license=None, validate: bool = True
) -> Invoice:
    """`validate=False` (the renewal: the organization, license and currency of rows it
    has locked): the checks below still run, the foreign keys and the draft's
    constraints are the database's (portal.validation)."""
    Money.zero(currency)  # refuses what is not an ISO 4217 code
    if license is not None and license.organization_id != organization.pk:
        raise ValidationError("The license belongs to another organization.")
    invoice = Invoice(organization=organization, currency=currency, license=license)
    if validate:
        invoice.full_clean()
    else:
        clean_computed(invoice)
    invoice.save()
    return invoice


@transaction.atomic
def invoice_add_line(
    *,
    invoice: Invoice,
    kind: str,
    description: str,
    unit_price: Money,
    quantity: Decimal | int = 1,
    period_start: date | None = None,
    period_end: date | None = None,
    period: SubscriptionPeriod | None = None,
    list_unit_price: Money | None = None,
) -> InvoiceLine:
    """Add a line of `kind` (billing.invoices.kinds). A line that bills (part of) a
    subscription's period links to it: the period of the invoice's own license."""
    locked = _lock_draft(invoice)
    line = _line(
        locked,
        NewLine(
            kind,
            description,
            unit_price,
            quantity,
            period_start,
            period_end,
            period,
            list_unit_price,
        ),
        position=locked.lines.count(),
    )
    line.save()
    return line


@dataclass(frozen=True)
class NewLine:
    """A line to add to a draft (invoice_add_line's arguments; invoices_add_lines)."""

    kind: str
    description: str
    unit_price: Money
    quantity: Decimal | int = 1
    period_start: date | None = None
    period_end: date | None = None
    period: SubscriptionPeriod | None = None
    list_unit_price: Money | None = None


def _line(invoice: Invoice, new: NewLine, *, position: int) -> InvoiceLine:
    """The line, checked and unsaved."""
    if new.unit_price.currency != invoice.currency:
        raise ValidationError(
            f"This invoice is in {invoice.currency}; the line is in {new.unit_price.currency}."
        )
    if new.list_unit_price is not None and new.list_unit_price.currency != invoice.currency:
        raise ValidationError(f"This invoice is in {invoice.currency}; the list price is not.")
    if new.period_start and new.period_end and new.period_end < new.period_start:
        raise ValidationError("A period ends on or after the day it starts.")
    if new.period is not None and new.period.subscription.license_id != invoice.license_id:
        raise ValidationError("The period is another license's; bill it on that one's invoice.")
    quantity = Decimal(new.quantity)
    line = InvoiceLine(
        invoice=invoice,
        kind=new.kind,
        description=new.description,
        quantity=quantity,
        unit_price=new.unit_price.amount,
        list_unit_price=new.list_unit_price.amount if new.list_unit_price is not None else None,
        amount=totals.line_amount(quantity=quantity, unit_price=new.unit_price).amount,
        period_start=new.period_start,
        period_end=new.period_end,
        period=new.period,
        subscription=new.period.subscription if new.period is not None else None,
        position=position,
    )
    line.full_clean(exclude=["invoice", "period", "subscription"])
    return line


@transaction.atomic
def invoice_finalize(
    *,
    invoice: Invoice,
    at: datetime | None = None,
    render_now: bool = True,
    details: BillingDetails | None = None,
) -> Invoice:
    """Fix the invoice at `at`: copy the organization's billing details (the buyer), the
    seller, the tax the rule chooses on `at`'s day (billing.tax, as the checkout preview
    chose it) and the terms, work out the totals, use its credit, give it the next number
    of its series and its dates (issued on `at`'s day). A negative total becomes credit,
    which pays open invoices first (billing.invoices.credit).

    `render_now=False` (the term-end renewals, thousands at once): its PDF is not handed
    to the worker; it is rendered on its first download (invoice_pdf_request) or by the
    stalled-PDF sweep, a few hundred every few minutes (billing.tasks).

    `details`: the organization's billing details its caller locked already in this
    transaction (lock 1, as the renewal does first), so they are not read and locked
    a second time."""
    at = at or clock.now()
    today = timezone.localdate(at)
    # The lock order (billing.locks): the billing details before the invoice.
    if details is None or details.organization_id != invoice.organization_id:
        details = lock_billing_details(invoice.organization)
    locked = _lock_draft(invoice)
    lines = list(locked.lines.all())
    result = _finalized(
        locked,
        lines=lines,
        details=details,
        credit=credit_balance(organization=locked.organization, currency=locked.currency),
        at=at,
    )
    _numbered(locked, take_next_number(series=locked.series, year=today.year), result, at=at)
    locked.save()
    if not result.credit_applied.is_zero:
        _record_credit(
            organization=locked.organization,
            amount=-result.credit_applied,
            description=f"Used on {locked.number}",
            invoice=locked,
        )
    if not result.credit_granted.is_zero:
        _record_credit(
            organization=locked.organization,
            amount=result.credit_granted,
            description=f"Credit from {locked.number}",
            invoice=locked,
        )
        applied = credit_apply(organization=locked.organization, currency=locked.currency, at=at)
        _settle_after_commit(applied, at=at)
    document = InvoiceDocument.objects.create(
        invoice=locked, version=1, reason=DocumentReason.ISSUED
    )
    if render_now:
        transaction.on_commit(lambda: _hand_to_worker(document.pk))
    return locked


def _finalized(
    locked: Invoice,
    *,
    lines: list[InvoiceLine],
    details: BillingDetails,
    credit: Money,
    at,
    decisions: dict | None = None,
) -> totals.InvoiceTotals:
    """Fix a draft's buyer, seller, tax, terms, totals and dates at `at` (everything
    but its number and status: `_numbered`); its totals, with the credit it uses.
    `decisions`: tax decisions a batch shares, by billing.tax.selectors.decision_key."""
    if not lines:
        raise ValidationError("An invoice needs at least one line.")
    today = timezone.localdate(at)
    currency = locked.currency
    decisions = {} if decisions is None else decisions
    key = decision_key(details, today)
    if key not in decisions:
        decisions[key] = tax_decision(details=details, on=today)
    tax = decisions[key]
    result = totals.invoice_totals(
        line_amounts=[Money(line.amount, currency) for line in lines],
        tax_rate=tax.rate,
        credit_balance=max(credit, Money.zero(currency)),
        currency=currency,
    )
    locked.tax_rate = tax.rate
    locked.tax_treatment = tax.treatment
    locked.tax_note = tax.wording
    locked.tax_id = details.tax_id
    locked.billed_to_name = details.legal_name or locked.organization.name
    locked.billed_to_address = "\n".join(details.address_lines)
    locked.billed_to_country = details.country
    locked.po_number = details.po_number
    locked.seller = seller_block()
    locked.payment_terms = details.payment_terms
    locked.net_days = details.days_to_pay
    locked.subtotal = result.subtotal.amount
    locked.tax = result.tax.amount
    locked.total = result.total.amount
    locked.credit_applied = result.credit_applied.amount
    locked.amount_due = result.amount_due.amount
    locked.issued_on = today
    locked.due_on = rules.due_on(today, details.days_to_pay)
    if result.amount_due.amount > 0:
        # The dunning dates in force now, copied so a later settings change never moves a
        # date the customer was shown (billing.dunning.rules); set while still a draft.
        dunning = dunning_rules.dates(
            due_on=locked.due_on,
            reminder_days=settings.DUNNING_REMINDER_DAYS,
            past_due_days=settings.DUNNING_PAST_DUE_DAYS,
            suspend_days=settings.DUNNING_SUSPEND_DAYS,
        )
        locked.dunning_reminder_days = list(dunning.reminder_days)
        locked.past_due_on = dunning.past_due_on
        locked.suspend_on = dunning.suspend_on
    return result


def _numbered(locked: Invoice, number: str, result: totals.InvoiceTotals, *, at) -> None:
    locked.number = number
    locked.finalized_at = at
    locked.status = rules.status_when_finalized(result.amount_due)
    if locked.status == InvoiceStatus.PAID:
        locked.paid_at = locked.finalized_at


def invoices_create_drafts(*, drafts: list[tuple]) -> list[Invoice]:
    """invoice_create_draft for many (license, currency) pairs whose licenses the caller
    has locked (the term-end job's renewals, a batch at a time): a draft each, in its
    license's organization, in one statement with their history rows. The values are
    the caller's rows (portal.validation)."""
    made = []
    for license, currency in drafts:
        Money.zero(currency)
        draft = Invoice(organization=license.organization, currency=currency, license=license)
        clean_computed(draft)
        made.append(draft)
    return bulk_create_with_history(made, Invoice, batch_size=500)


def invoices_add_lines(*, lines: list[tuple[Invoice, NewLine]]) -> list[InvoiceLine]:
    """invoice_add_line for new drafts of invoices_create_drafts, each draft's lines in
    order, in one statement with their history rows: the same checks and rows."""
    positions: dict[int, int] = defaultdict(int)
    rows = []
    for invoice, new in lines:
        rows.append(_line(invoice, new, position=positions[invoice.pk]))
        positions[invoice.pk] += 1
    return bulk_create_with_history(rows, InvoiceLine, batch_size=500)


def invoices_finalize(
    *, invoices: list[tuple[Invoice, list[InvoiceLine]]], details: dict, at: datetime
) -> list[Invoice]:
    """invoice_finalize (render_now=False) for many drafts the caller has just made, with
    their lines, for organizations whose billing details it locked (`details`:
    organization id -> their row, or None for none entered) and which hold no credit in
    the invoice's currency (credit used or granted is invoice_finalize's, one at a
    time: refused here). Each is fixed as invoice_finalize fixes it, the numbers taken
    last, one after another, in the invoices' order; their first PDF versions wait for
    a download or the stalled-PDF sweep."""
    if not invoices:
        return []
    today = timezone.localdate(at)
    results, decisions = [], {}
    for invoice, lines in invoices:
        organization = invoice.organization
        found = details.get(organization.pk)
        result = _finalized(
            invoice,
            lines=lines,
            details=found or BillingDetails(organization=organization),
            credit=Money.zero(invoice.currency),
            at=at,
            decisions=decisions,
        )
        if not (result.credit_applied.is_zero and result.credit_granted.is_zero):
            raise ValidationError(f"Invoice {invoice.pk} moves credit: finalize it on its own.")
        results.append(result)
    series = {invoice.series for invoice, _ in invoices}
    if len(series) != 1:
        raise ValidationError("Finalize one series' invoices at a time.")
    numbers = take_numbers(series=series.pop(), year=today.year, count=len(invoices))
    drafts = [invoice for invoice, _ in invoices]
    for invoice, number, result in zip(drafts, numbers, results, strict=True):
        _numbered(invoice, number, result, at=at)
        clean_computed(invoice)
    update_rows(drafts, FINALIZED_FIELDS)
    bulk_update_with_history(drafts, Invoice, [], batch_size=500)  # their history rows
    for invoice in drafts:
        invoice._stored_status = invoice.status  # as save() leaves it: finalized
    InvoiceDocument.objects.bulk_create(
        [
            InvoiceDocument(invoice=invoice, version=1, reason=DocumentReason.ISSUED)
            for invoice in drafts
        ]
    )
    return drafts


# What finalizing fixes on a draft (_finalized and _numbered).
FINALIZED_FIELDS = [
    "tax_rate",
    "tax_treatment",
    "tax_note",
    "tax_id",
    "billed_to_name",
    "billed_to_address",
    "billed_to_country",
    "po_number",
    "seller",
    "payment_terms",
    "net_days",
    "subtotal",
    "tax",
    "total",
    "credit_applied",
    "amount_due",
    "issued_on",
    "due_on",
    "dunning_reminder_days",
    "past_due_on",
    "suspend_on",
    "number",
    "finalized_at",
    "status",
    "paid_at",
]


def _settle_after_commit(applied: list[CreditEntry], *, at: datetime) -> None:
    """Credit a new invoice gave paid overdue invoices: their licenses are settled once
    this commits, in a transaction of their own. Not in this one: a finalization may hold
    its own license and later rows, and may not go back for other licenses (billing.locks);
    the daily dunning job's sweep settles any this misses."""
    license_ids = sorted(
        {entry.invoice.license_id for entry in applied if entry.invoice.license_id is not None}
    )
    if not license_ids:
        return

    def settle() -> None:
        try:
            with transaction.atomic():
                dunning_settle(
                    license_ids=lock_licenses(license_ids),
                    at=at,
                    reason="Credit applied to the overdue invoice.",
                )
        except Exception as exc:  # the daily sweep settles it
            logger.warning("Settling licenses %s after credit failed: %r", license_ids, exc)

    transaction.on_commit(settle)


def _hand_to_worker(document_id: int) -> None:
    """The invoice stands either way; without a broker its PDF is rendered when someone
    first asks for it (invoice_pdf_request)."""
    try:
        render_invoice_pdf.delay(document_id)
    except SERVICE_ERRORS as exc:
        logger.warning("Invoice PDF %s waits; no broker: %r", document_id, exc)


def invoice_pdf_refresh(*, invoice: Invoice, reason: DocumentReason) -> InvoiceDocument:
    """Add the next version of the invoice's PDF, after its status or payments changed,
    so the newest never asks for money already paid; the versions already rendered stay
    as they were sent. Called in the transaction that changed the invoice, which holds
    its row locked, so versions are numbered one after another. A version still waiting
    for its render is superseded and never rendered (a render under way when this
    commits is thrown away by the task); the new one is handed to the worker."""
    InvoiceDocument.objects.filter(
        invoice=invoice, rendered_at__isnull=True, superseded_at__isnull=True
    ).update(superseded_at=timezone.now())
    newest = invoice.documents.aggregate(newest=Max("version"))["newest"] or 0
    document = InvoiceDocument.objects.create(invoice=invoice, version=newest + 1, reason=reason)
    transaction.on_commit(lambda: _hand_to_worker(document.pk))
    return document


def invoice_pdf_request(*, invoice: Invoice) -> InvoiceDocument | None:
    """The version of the invoice's PDF to download: the newest, rendered here and now if
    no worker has done it (the broker was down, or the worker is behind; it takes well
    under a second). The task's claim keeps this from rendering what a worker is
    rendering at this moment: then the newest version rendered before it, or None when
    there is none yet, for the caller to say "try again in a moment"."""
    newest = pdf_versions(invoice=invoice).newest
    if newest is None:  # an invoice finalized before its PDF was kept
        newest, _ = InvoiceDocument.objects.get_or_create(invoice=invoice, version=1)
    if newest.rendered_at is None:
        try:
            render_invoice_pdf.apply(args=[newest.pk], throw=True)
        except Exception as exc:  # the worker's retries will try again
            logger.warning("Rendering invoice PDF %s on request failed: %r", newest.pk, exc)
    served = pdf_versions(invoice=invoice).served
    return InvoiceDocument.objects.get(pk=served.pk) if served else None


def _lock_finalized(invoice: Invoice) -> Invoice:
    locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
    refusal = rules.correction_refusal(locked.status)
    if refusal:
        raise ValidationError(refusal)
    return locked


def _issue_credit_note(
    *, invoice: Invoice, subtotal: Money, reason: str, actor, today: date
) -> CreditNote:
    refusal = rules.reason_refusal(reason)
    if refusal:
        raise ValidationError(refusal)
    notes = list(invoice.credit_notes.all())
    rest_subtotal = rules.remaining(
        invoice.money("subtotal"), (note.money("subtotal") for note in notes)
    )
    tax = rules.note_tax(
        subtotal=subtotal,
        tax_rate=invoice.tax_rate,
        rest_subtotal=rest_subtotal,
        rest_tax=rules.remaining(invoice.money("tax"), (note.money("tax") for note in notes)),
    )
    note = CreditNote(
        organization=invoice.organization,
        invoice=invoice,
        currency=invoice.currency,
        issued_on=today,
        reason=reason,
        subtotal=subtotal.amount,
        tax=tax.amount,
        total=(subtotal + tax).amount,
        issued_by=actor,
    )
    refusal = rules.over_credit_refusal(
        total=note.money("total"),
        remaining=invoice_remaining(invoice=invoice),
        number=invoice.number,
        subtotal=subtotal,
        rest_subtotal=rest_subtotal,
    )
    if refusal:
        raise ValidationError(refusal)
    lock_billing_details(invoice.organization)
    note.number = take_next_number(series=Series.CREDIT_NOTE, year=today.year)
    note.full_clean()
    note.save()
    return note


@transaction.atomic
def credit_note_issue(
    *, invoice: Invoice, subtotal: Money, reason: str, actor=None, at: datetime | None = None
) -> CreditNote:
    """Credit part of a paid invoice (before tax; tax at the invoice's rate is added). The
    credit note's total becomes credit, applied by the rule (billing.invoices.credit)."""
    at = at or clock.now()
    today = timezone.localdate(at)
    # The lock order (billing.locks): the billing details, which serialise the credit
    # balance, and the licenses the credit may reinstate, before the invoice.
    lock_billing_details(invoice.organization)
    licenses = lock_for_settlement(invoice.organization, invoice.currency)
    locked = _lock_finalized(invoice)
    refusal = rules.credit_refusal(
        status=locked.status, currency=locked.currency, subtotal=subtotal
    )
    if refusal:
        raise ValidationError(refusal)
    note = _issue_credit_note(
        invoice=locked, subtotal=subtotal.rounded(), reason=reason, actor=actor, today=today
    )
    _record_credit(
        organization=locked.organization,
        amount=note.money("total"),
        description=f"Credit note {note.number}",
        credit_note=note,
    )
    _credit_arose(note, credited=note.money("total"), at=at)
    dunning_settle(license_ids=licenses, at=at, reason=f"Credit note {note.number} applied.")
    return note


def _credit_arose(note: CreditNote, *, credited: Money, at: datetime) -> None:
    """Credit a credit note gave goes to the open invoices at once (the rule), and the
    billing recipients are told of the note, with the balance left after that."""
    applied = (
        credit_apply(organization=note.organization, currency=note.currency, at=at)
        if not credited.is_zero
        else []
    )
    notices.credit_note_issued(
        note=note,
        credit_created=credited,
        applied=applied,
        balance=credit_balance(organization=note.organization, currency=note.currency),
    )


@transaction.atomic
def invoice_void_with_credit_note(
    *, invoice: Invoice, reason: str, actor=None, at: datetime | None = None
) -> CreditNote:
    """Cancel an invoice at `at`: a credit note for what remains of it, and back to the
    organization's credit whatever was already paid towards it (in money or credit)."""
    at = at or clock.now()
    today = timezone.localdate(at)
    lock_billing_details(invoice.organization)  # before the invoice (billing.locks)
    licenses = lock_for_settlement(invoice.organization, invoice.currency)
    locked = _lock_finalized(invoice)
    remaining_total = invoice_remaining(invoice=locked)
    refusal = rules.void_refusal(
        status=locked.status, number=locked.number, remaining=remaining_total
    )
    if refusal:
        raise ValidationError(refusal)
    # The credit note repeats the invoice's own split of net and tax for what remains.
    remaining_subtotal = rules.remaining(
        locked.money("subtotal"), (note.money("subtotal") for note in locked.credit_notes.all())
    )
    # The PDF's next version, rendered once this commits, before the credit note's number
    # is taken (the lock order: the number last).
    invoice_pdf_refresh(invoice=locked, reason=DocumentReason.VOIDED)
    note = _issue_credit_note(
        invoice=locked, subtotal=remaining_subtotal, reason=reason, actor=actor, today=today
    )
    paid_towards = rules.paid_towards(
        status=locked.status,
        remaining=remaining_total,
        # Credit it took when issued and credit applied to it since.
        credit_applied=locked.money("credit_applied")
        + invoice_credit_applied_later(invoice=locked),
        paid=invoice_paid(invoice=locked),
    )
    if paid_towards.amount > 0:
        _record_credit(
            organization=locked.organization,
            amount=paid_towards,
            description=f"Credit note {note.number} for void {locked.number}",
            credit_note=note,
        )
    locked.status = InvoiceStatus.VOID
    locked.voided_at = at
    locked.save()
    _credit_arose(note, credited=max(paid_towards, Money.zero(locked.currency)), at=at)
    dunning_settle(
        license_ids=licenses, at=at, reason=f"Invoice {locked.number} voided ({note.number})."
    )
    return note
