"""The term-end renewal of a subscription, and the end of one that does not renew.

`subscription_renew` is one transaction, in billing.locks' order: the organization's
billing details (the invoice's credit and buyer), the license, its scheduled change, the
subscription, its periods and the invoice, the invoice number last. It applies the
change scheduled for the renewal day (the version it quoted), starts the next term from
the billing anchor, bills it with the lines `next_renewal` says (what every reminder and
the dashboard said, to the cent), records the commercial ledger, signs the license file
and queues one email with a `Notice` row. The claim is the next term's first
`SubscriptionPeriod` (unique per subscription and first day): a renewal that finds it
made already, or the license no longer due, does nothing. Since the claim commits with
the renewal, a worker killed half-way leaves nothing behind but a renewal still due.

`subscription_expire` ends a license that does not renew (auto-renew off) once its
renewal grace is over (at the term's end for a canceled subscription: no grace), on
record in both ledgers, with one email. So does it a license that is suspended (by
dunning or staff) at its term's end: it is never renewed for a term it cannot use, and
once its last usable day has passed while still held (`lapsed`) it expires, its holds
left on record; one reinstated before that day renews as it was due.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from billing.cards import offsession
from billing.cards.selectors import saved_card
from billing.checkout.quote import discount_by_period
from billing.checkout.scheduled import scheduled_change_apply
from billing.emails import notices
from billing.emails.services import send_billing_email
from billing.invoices import services as invoices
from billing.invoices.kinds import LineKind
from billing.ledger.services import changes_recorded
from billing.locks import lock_billing_details, lock_license, lock_scheduled_changes
from billing.models import (
    BillingDetails,
    Invoice,
    Notice,
    NoticeKind,
    PeriodReason,
    RenewalFailure,
    Subscription,
    SubscriptionPeriod,
)
from billing.models.subscriptions import Billing
from billing.money import Money
from billing.renewals import terms
from billing.renewals.selectors import NextRenewal, next_cycle_lines, next_renewal
from billing.subscriptions.periods import ONE_DAY, Span
from billing.subscriptions.services import (
    subscription_lock_price,
    subscription_lock_until,
    subscription_period_add,
)
from billing.tax.rules import tax_label
from licensing.licenses import grace
from licensing.licenses import services as licenses
from licensing.models import License, LicenseHold, LicenseStatus
from licensing.models.licenses import USABLE_STATUSES as USABLE
from portal import clock

logger = logging.getLogger(__name__)

RENEW_ACTION = "subscription_renew"
EXPIRE_ACTION = "subscription_expire"
RENEWAL = licenses.Actor(label="renewal")


class Outcome(StrEnum):
    RENEWED = "renewed"
    EXPIRED = "expired"
    SKIPPED = "skipped"  # not due: renewed already, or not (yet) to be renewed or ended


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    license_id: int
    period_start: date | None = None
    invoice: Invoice | None = None
    notice: Notice | None = None
    why: str = ""


def subject(license_id: int) -> str:
    return f"license:{license_id}"


def renews(license: License) -> bool:
    """Whether the license renews by itself at its term's end."""
    return license.is_usable and license.auto_renew


def due(license: License, today: date) -> bool:
    """Whether its term has ended and it renews by itself."""
    return renews(license) and license.term_end < today


def ends_after(license: License) -> date:
    """The last day a license that does not renew stays usable: the end of its grace
    (licensing.licenses.grace), or the term's last day for one its customer canceled.
    For a suspended one, the day it would have had, had it been usable: the day by which
    a reinstatement still lets it renew."""
    return (
        grace.grace_until(
            term_end=license.term_end,
            usable=True,
            auto_renew=license.auto_renew,
            grace_days=settings.RENEWAL_GRACE_DAYS,
            ends_with_term=license.ends_with_term,
        )
        or license.term_end
    )


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def lapsed(license: License, today: date) -> bool:
    """Whether it was suspended at its term's end and still was past its last usable
    day (`ends_after`): it expires, never renews, so no term it could not use is billed.
    One reinstated late (a payment or staff after that day, before the job ran) has
    lapsed too. A question to the holds only for a term ended beyond its grace."""
    if license.term_end >= today or today <= ends_after(license):
        return False
    if license.status == LicenseStatus.SUSPENDED:
        return True
    if license.status not in USABLE:
        return False
    lifted_too_late = _midnight(ends_after(license) + ONE_DAY)
    return (
        LicenseHold.objects.filter(license=license, placed_at__lt=_midnight(license.renews_on))
        .filter(Q(lifted_at__isnull=True) | Q(lifted_at__gte=lifted_too_late))
        .exists()
    )


def _skip(license: License, why: str) -> Result:
    return Result(Outcome.SKIPPED, license.pk, why=why)


@transaction.atomic
def subscription_renew(
    *, subscription: Subscription, today: date | None = None, at: datetime | None = None
) -> Result:
    """Renew `subscription` for its next term if its term ended before `today` and it
    renews by itself; otherwise (renewed already, auto-renew off, not usable) skip."""
    at = at or clock.now()
    today = today or clock.today()
    # A plain renewal (its own plan again, no credit held) is the batch's, as the term-end
    # job renews it: one code for both. The batch module imports this one.
    from billing.renewals.batch import subscriptions_renew

    done = subscriptions_renew([subscription.pk], today=today, at=at)
    if subscription.pk in done.results:
        return done.results[subscription.pk]
    organization = subscription.license.organization  # never changes: read unlocked
    details = lock_billing_details(organization)  # lock 1: the invoice uses credit, the buyer
    license = lock_license(subscription.license_id)  # lock 3
    if not due(license, today) or lapsed(license, today):
        return _skip(license, "not due")
    renews_on = license.renews_on
    if SubscriptionPeriod.objects.filter(
        subscription_id=subscription.pk, starts_on=renews_on, replaced=False
    ).exists():
        return _skip(license, "renewed already")
    list(lock_scheduled_changes(license.pk))  # lock 4
    subscription = Subscription.objects.select_for_update(of=("self",)).get(pk=subscription.pk)
    subscription.license = license  # the row locked above, not read again
    renewal = next_renewal(subscription)
    if renewal.change is not None:
        # The version, seats, cycle and auto-renew it quoted, recorded in the ledger with
        # the change as its cause; the renewal's email tells of it.
        scheduled_change_apply(change=renewal.change, today=renews_on, at=at, notify=False)
        license = lock_license(license.pk)
        subscription = Subscription.objects.select_for_update(of=("self",)).get(pk=subscription.pk)
    reason = f"Renewed for {renews_on:%-d %B %Y} to {renewal.term_end:%-d %B %Y}."
    with changes_recorded(
        license=license, actor=RENEWAL, reason=reason, action=RENEW_ACTION, at=at
    ):
        if renewal.moves_to_successor:
            why = (
                f"{reason} The price lock on a retired version ended: moved to "
                f"{renewal.version.tier.name} v{renewal.version.number}."
            )
            # The successor the reminders announced, even one retired since: what was
            # told is what is applied.
            license = licenses.license_change_version(
                license=license,
                version=renewal.version,
                actor=RENEWAL,
                reason=why,
                at=at,
                as_quoted=True,
            )
            subscription.license = license
            subscription = subscription_lock_price(
                subscription=subscription, actor=RENEWAL, reason=why, at=at
            )
        license = licenses.license_start_term(
            license=license,
            term_start=renews_on,
            term_end=renewal.term_end,
            actor=RENEWAL,
            reason=reason,
            at=at,
            # The term is computed here from the anchor: the database keeps what the
            # SELECTs of full_clean would check again (portal.validation).
            validate=False,
        )
        subscription.license = license
        subscription = subscription_lock_until(
            subscription=subscription,
            locked_until=_locked_until(renewal, license),
            at=at,
        )
    invoice = _invoice(subscription, license, renewal, details=details, at=at)
    # The new term's signed file was issued by license_start_term (every license change
    # signs one): the renewal email links to it.
    RenewalFailure.objects.filter(
        subscription=subscription, period_start=renews_on, resolved_at__isnull=True
    ).update(resolved_at=timezone.now())
    card = saved_card(organization=organization) if offsession.would_charge(invoice) else None
    notice = _notify_renewed(license, renewal, invoice, today=today, card=card)
    if card is not None:
        invoice_id = invoice.pk
        transaction.on_commit(lambda: _charge_after_commit(invoice_id))
    return Result(Outcome.RENEWED, license.pk, renews_on, invoice, notice)


def _charge_after_commit(invoice_id: int) -> None:
    from billing.renewals.tasks import hand_charge  # the tasks module imports this one

    hand_charge(invoice_id)


def _locked_until(renewal: NextRenewal, license: License) -> date:
    """The price the next term runs on holds at least through it, and through a retired
    version's notice date."""
    return terms.locked_until(term_end=license.term_end, notice_date=license.version.notice_date)


def _invoice(
    subscription: Subscription,
    license: License,
    renewal: NextRenewal,
    *,
    details: BillingDetails,
    at: datetime,
) -> Invoice:
    """The next term's invoice: `next_renewal`'s lines, each linked to the period it
    bills (the first is the claim). A term billed per cycle bills its first period now."""
    lines = renewal.lines  # the first cycle's alone for a term invoiced per cycle
    off = discount_by_period(lines)
    # The draft, its periods and lines are computed from rows locked above: validated in
    # Python, their keys and constraints left to the database (portal.validation).
    draft = invoices.invoice_create_draft(
        organization=license.organization,
        currency=subscription.currency_id,
        license=license,
        validate=False,
    )
    for number, line in enumerate(lines):
        period = None
        if line.kind != LineKind.DISCOUNT:  # a discount line has no period of its own
            period = subscription_period_add(
                subscription=subscription,
                span=Span(line.period_start, line.period_end),
                reason=PeriodReason.RENEWAL,
                amount=line.amount,
                discount=off.get(line.period_start),
                invoice=draft,
                reanchor=number == 0 and renewal.anchor != subscription.billing_anchor,
                at=at,
                validate=False,
            )
        invoices.invoice_add_line(
            invoice=draft,
            kind=line.kind,
            description=line.description,
            unit_price=line.unit_price,
            quantity=line.quantity,
            period_start=line.period_start,
            period_end=line.period_end,
            period=period,
            list_unit_price=line.list_unit_price,
        )
    return invoices.invoice_finalize(invoice=draft, at=at, render_now=False, details=details)


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _notify_renewed(
    license: License, renewal: NextRenewal, invoice: Invoice, *, today: date, card=None
) -> Notice:
    emails = send_billing_email(
        "renewed",
        organization=license.organization,
        context=renewed_context(
            license, renewal, invoice, list(invoice.lines.order_by("position")), card=card
        ),
    )
    notice = renewed_notice(license, invoice, today=today, recipients=len(emails))
    notice.save()
    return notice


def renewed_notice(license: License, invoice: Invoice, *, today: date, recipients: int) -> Notice:
    """The renewal's notice (its claim on the email), unsaved."""
    return Notice(
        kind=NoticeKind.RENEWED,
        subject=subject(license.pk),
        period=license.term_start,
        license=license,
        invoice=invoice,
        sent_on=today,
        recipients=recipients,
    )


def renewed_context(
    license: License, renewal: NextRenewal, invoice: Invoice, lines: list, *, card=None
) -> dict:
    """What the renewal's email says: the new term, its invoice and lines, the card it
    will be charged to, the change applied with it."""
    organization = license.organization
    return {
        "license": license,
        "product": license.product.name,
        "tier": license.version.tier.name,
        "version": license.version.number,
        "seats": license.seats,
        "term_start": license.term_start,
        "term_end": license.term_end,
        "auto_renew": license.auto_renew,
        "invoice": invoice,
        "lines": [
            {
                "description": line.description,
                "amount": Money(line.amount, invoice.currency).format(),
            }
            for line in lines
        ],
        "subtotal": invoice.money("subtotal").format(),
        "tax": invoice.money("tax").format(),
        # As the invoice names it: "reverse charge, 0 %", "export, 0 %", "23 %".
        "tax_label": tax_label(invoice.tax_treatment, invoice.tax_rate),
        "total": invoice.money("total").format(),
        "credit_applied": None
        if invoice.money("credit_applied").is_zero
        else invoice.money("credit_applied").format(),
        "amount_due": invoice.money("amount_due").format(),
        "paid": invoice.money("amount_due").is_zero,
        "due_on": invoice.due_on,
        "card": f"{card.card_brand.title()} ending {card.card_last4}" if card else "",
        "change": renewal.change.summary if renewal.change is not None else "",
        "successor": renewal.moves_to_successor,
        "invoice_url": notices.invoice_url(invoice),
        "file_url": _absolute(
            reverse("license_file_download", args=[organization.slug, license.pk])
        ),
        "action_url": notices.dashboard_url(organization),
        "action_label": "Your plan",
    }


@transaction.atomic
def subscription_expire(
    *, subscription: Subscription, today: date | None = None, at: datetime | None = None
) -> Result:
    """End a license that does not renew once its last usable day has passed: expired,
    in both ledgers, with one email; likewise one suspended at its term's end
    (`lapsed`), its holds kept on record. Anything else (renewing, already closed, still
    in its term or grace) is skipped."""
    at = at or clock.now()
    today = today or clock.today()
    license = lock_license(subscription.license_id)
    suspended = lapsed(license, today)
    if not suspended and (not license.is_usable or license.auto_renew):
        return _skip(license, "renews, or closed")
    last_day = ends_after(license)
    if today <= last_day:
        return _skip(license, "still in its term or grace")
    reason = f"The term ended on {license.term_end:%-d %B %Y} without renewal."
    if suspended:
        reason = (
            f"Suspended at the end of its term on {license.term_end:%-d %B %Y} and not "
            f"reinstated by {last_day:%-d %B %Y}: not renewed."
        )
    with changes_recorded(
        license=license, actor=RENEWAL, reason=reason, action=EXPIRE_ACTION, at=at
    ):
        license = licenses.license_set_status(
            license=license, status=LicenseStatus.EXPIRED, actor=RENEWAL, reason=reason, at=at
        )
    emails = send_billing_email(
        "expired",
        organization=license.organization,
        context={
            "license": license,
            "product": license.product.name,
            "tier": license.version.tier.name,
            "term_end": license.term_end,
            "last_day": last_day,
            "suspended": suspended,
            # As the dashboard says it (portal.views.licenses._closed).
            "readable_until": license.term_end
            + timedelta(days=settings.CANCELED_DATA_RETENTION_DAYS),
            "action_url": notices.dashboard_url(license.organization),
            "action_label": "Choose a plan",
        },
    )
    notice = Notice.objects.create(
        kind=NoticeKind.EXPIRED,
        subject=subject(license.pk),
        period=license.term_end,
        license=license,
        sent_on=today,
        recipients=len(emails),
    )
    return Result(Outcome.EXPIRED, license.pk, notice=notice)


@transaction.atomic
def subscription_bill_next_cycle(
    *, subscription: Subscription, today: date | None = None, at: datetime | None = None
) -> Result:
    """A term billed per cycle (a three-year term invoiced yearly): invoice the next
    cycle inside the term once it has begun. The claim is its period, as a renewal's;
    its invoice is told by the invoice-issued email, with its PDF, as any invoice."""
    at = at or clock.now()
    today = today or clock.today()
    lock_billing_details(subscription.license.organization)
    license = lock_license(subscription.license_id)
    subscription = Subscription.objects.select_for_update(of=("self",)).get(pk=subscription.pk)
    last = (
        SubscriptionPeriod.objects.filter(subscription=subscription, replaced=False)
        .order_by("-ends_on")
        .first()
    )
    if (
        not license.is_usable
        or subscription.billing != Billing.PER_CYCLE
        or last is None
        or last.ends_on >= license.term_end
        or last.ends_on >= today
    ):
        return _skip(license, "no cycle due")
    starts_on = last.ends_on + ONE_DAY
    subscription.license = license
    lines = next_cycle_lines(subscription, starts_on=starts_on)
    off = discount_by_period(lines)
    draft = invoices.invoice_create_draft(
        organization=license.organization, currency=subscription.currency_id, license=license
    )
    period = None
    for line in lines:
        if line.kind != LineKind.DISCOUNT:  # its discount lines follow it, without a period
            period = subscription_period_add(
                subscription=subscription,
                span=Span(line.period_start, min(line.period_end, license.term_end)),
                reason=PeriodReason.RENEWAL,
                amount=line.amount,
                discount=off.get(line.period_start),
                invoice=draft,
                at=at,
            )
        invoices.invoice_add_line(
            invoice=draft,
            kind=line.kind,
            description=line.description,
            unit_price=line.unit_price,
            quantity=line.quantity,
            period_start=period.starts_on,
            period_end=period.ends_on,
            period=period if line.kind != LineKind.DISCOUNT else None,
            list_unit_price=line.list_unit_price,
        )
    invoice = invoices.invoice_finalize(invoice=draft, at=at)
    if offsession.would_charge(invoice):
        invoice_id = invoice.pk
        transaction.on_commit(lambda: _charge_after_commit(invoice_id))
    return Result(Outcome.RENEWED, license.pk, starts_on, invoice)


def subscription_term_end(
    *, subscription: Subscription, today: date | None = None, at: datetime | None = None
) -> Result:
    """What the term-end job does to one subscription: renew it, or end it. A failure
    recorded for a period it no longer has to start (renewed since, or not renewing any
    more) is resolved."""
    license = subscription.license
    today = today or clock.today()
    if license.term_end >= today:  # inside the term: a cycle billed on its own, if any
        return subscription_bill_next_cycle(subscription=subscription, today=today, at=at)
    if (
        license.auto_renew
        and license.status != LicenseStatus.SUSPENDED
        and not lapsed(license, today)
    ):
        result = subscription_renew(subscription=subscription, today=today, at=at)
    else:
        result = subscription_expire(subscription=subscription, today=today, at=at)
    if result.outcome != Outcome.RENEWED:
        _resolve_stale_failures(subscription.pk)
    return result


def _resolve_stale_failures(subscription_id: int) -> None:
    pending = RenewalFailure.objects.filter(
        subscription_id=subscription_id, resolved_at__isnull=True
    )
    if not pending.exists():
        return
    license = License.objects.get(subscription__pk=subscription_id)
    if renews(license):
        pending = pending.filter(period_start__lt=license.renews_on)
    pending.update(resolved_at=timezone.now())


def renewal_failure_record(
    *, subscription_id: int, error: Exception | str, run_id: int | None = None
) -> RenewalFailure:
    """Record (or count again) a renewal that raised, for the period it could not start;
    a later run retries it, and staff see it (billing.admin.renewals)."""
    at = timezone.now()  # when it really failed, for staff
    license = License.objects.get(subscription__pk=subscription_id)
    text = str(error) or type(error).__name__
    if isinstance(error, ValidationError):
        text = "; ".join(error.messages)
    with transaction.atomic():
        failure, made = RenewalFailure.objects.select_for_update().get_or_create(
            subscription_id=subscription_id,
            period_start=license.renews_on,
            defaults={
                "run_id": run_id,
                "last_error": text[:4000],
                "first_failed_at": at,
                "last_failed_at": at,
            },
        )
        if not made:
            failure.attempts += 1
            failure.last_error = text[:4000]
            failure.last_failed_at = at
            failure.run_id = run_id or failure.run_id
            failure.resolved_at = None
            failure.save()
    return failure


def renewal_retry(*, failure: RenewalFailure, user=None) -> Result:
    """Staff's "retry now": the same term-end service the job runs, at once. A renewal
    that fails again is counted on its failure and the error raised for staff to read."""
    subscription = Subscription.objects.select_related("license__organization").get(
        pk=failure.subscription_id
    )
    logger.info(
        "Renewal of subscription %s retried by %s", subscription.pk, getattr(user, "email", user)
    )
    try:
        return subscription_term_end(subscription=subscription)
    except Exception as exc:
        renewal_failure_record(subscription_id=subscription.pk, error=exc, run_id=failure.run_id)
        raise
