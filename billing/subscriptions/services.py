"""Writes to subscriptions. Each service locks the license's row, then the subscription's
(the documented lock order), validates, changes it and records the change in the
commercial ledger (billing.ledger.services: who, when, why, before, after, MRR), all in
one transaction: a refusal writes nothing. Nothing else writes to a Subscription.

The price is copied from the catalog row of the license's version, in the subscription's
currency and cycle, on the day it is locked; publishing a new price later changes no
subscription.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from billing.ledger.services import changes_recorded
from billing.models import (
    Billing,
    Invoice,
    PeriodReason,
    Subscription,
    SubscriptionEventKind,
    SubscriptionPeriod,
)
from billing.money import Money
from billing.pricing import MONTHS_PER_YEAR, BillingCycle
from billing.renewals import terms
from billing.subscriptions.periods import ONE_DAY, Span, index_of, term_end_for
from licensing.licenses.services import (
    Actor,
    license_lock,
    license_renew,
    license_set_auto_renew,
)
from licensing.models import License, TierVersionPrice
from portal import clock
from portal.bulk import update_rows
from portal.validation import clean_computed


def _check_reason(reason: str) -> str:
    if not reason.strip():
        raise ValidationError("Say why; the reason is kept on record.")
    return reason.strip()


def _lock(subscription: Subscription) -> Subscription:
    # Two staff members (or a checkout and an admin) changing one subscription serialise
    # on its row, so every ledger entry's "before" is what the change really started from.
    return (
        Subscription.objects.select_for_update(of=("self",))
        .select_related("license", "license__version__tier")
        .get(pk=subscription.pk)
    )


def _catalog_price(license: License, *, currency: str, cycle: str) -> TierVersionPrice:
    if cycle not in BillingCycle.values:
        raise ValidationError(f"{cycle!r} is not a billing cycle.")
    row = license.version.price_rows.filter(currency_id=currency, cycle=cycle).first()
    if row is None:
        raise ValidationError(
            f"{license.version.tier.name} v{license.version.number} has no "
            f"{BillingCycle(cycle).label.lower()} price in {currency}."
        )
    return row


def _copy_price(subscription: Subscription, row: TierVersionPrice, at: datetime) -> None:
    subscription.price_source = row
    subscription.currency_id = row.currency_id
    subscription.cycle = row.cycle
    subscription.unit_amount = row.amount
    subscription.per_seat = row.per_seat
    subscription.min_seats = row.min_seats
    subscription.price_locked_on = timezone.localdate(at)
    license = subscription.license
    subscription.price_locked_until = terms.locked_until(
        term_end=license.term_end, notice_date=license.version.notice_date
    )


def _save(subscription: Subscription, at: datetime, *, validate: bool = True) -> None:
    """`validate=False`: values the service computed (portal.validation)."""
    subscription.updated_at = at
    if validate:
        subscription.full_clean()
    else:
        clean_computed(subscription)
    subscription.save()


@transaction.atomic
def subscription_create(
    *,
    license: License,
    currency: str,
    cycle: str,
    term_cycles: int = 1,
    actor: Actor,
    reason: str,
    billing_anchor: date | None = None,
    at: datetime | None = None,
) -> Subscription:
    """Start paying for `license`: its version's price in `currency` and `cycle`, locked
    today. Its periods are counted from `billing_anchor` (default: the license's first
    day of term)."""
    at = at or clock.now()
    reason = _check_reason(reason)
    # Locking the license makes two starts for one license queue; the second is refused.
    license = license_lock(license)
    if Subscription.objects.filter(license=license).exists():
        raise ValidationError("This license already has a subscription.")
    with changes_recorded(
        license=license, actor=actor, reason=reason, action="subscription_create", at=at
    ):
        subscription = Subscription(
            license=license,
            term_cycles=term_cycles,
            billing_anchor=billing_anchor or license.term_start,
            created_at=at,
        )
        _copy_price(subscription, _catalog_price(license, currency=currency, cycle=cycle), at)
        _save(subscription, at)
    return subscription


@transaction.atomic
def subscription_lock_price(
    *,
    subscription: Subscription,
    actor: Actor,
    reason: str,
    currency: str | None = None,
    cycle: str | None = None,
    at: datetime | None = None,
) -> Subscription:
    """Lock today's catalog price of the license's version (after a tier change, or to
    move to another currency or cycle; each defaults to the current one)."""
    at = at or clock.now()
    reason = _check_reason(reason)
    with changes_recorded(
        license=subscription.license,
        actor=actor,
        reason=reason,
        action="subscription_lock_price",
        at=at,
        unchanged_kind=SubscriptionEventKind.PRICE_LOCKED,
    ):
        subscription = _lock(subscription)
        row = _catalog_price(
            subscription.license,
            currency=currency or subscription.currency_id,
            cycle=cycle or subscription.cycle,
        )
        _copy_price(subscription, row, at)
        _save(subscription, at)
    return subscription


@transaction.atomic
def subscription_set_auto_renew(
    *,
    subscription: Subscription,
    auto_renew: bool,
    actor: Actor,
    reason: str,
    at: datetime | None = None,
    ends_with_term: bool = False,
) -> Subscription:
    """Turn renewal at the end of the term on or off. The flag is the license's, so the
    license's ledger records it too. `ends_with_term`: off by the customer's choice (a
    cancellation, a checkout), so the license ends with its term, without grace."""
    at = at or clock.now()
    reason = _check_reason(reason)
    with changes_recorded(
        license=subscription.license,
        actor=actor,
        reason=reason,
        action="subscription_set_auto_renew",
        at=at,
    ):
        subscription = _lock(subscription)
        subscription.license = license_set_auto_renew(
            license=subscription.license,
            auto_renew=auto_renew,
            actor=actor,
            reason=reason,
            at=at,
            ends_with_term=ends_with_term,
        )
        _save(subscription, at)
    return subscription


# --- Periods ---------------------------------------------------------------------------
# How periods are made, split and linked to invoice lines: billing.subscriptions.periods.
# Lock order: the license (the caller's), the subscription, then its periods.


def _period_values(subscription: Subscription) -> dict:
    """The seats and price a period is billed at: the subscription's now."""
    return {
        "seats": subscription.license.seats,
        "currency": subscription.currency_id,
        "cycle": subscription.cycle,
        "unit_amount": subscription.unit_amount,
        "per_seat": subscription.per_seat,
        "min_seats": subscription.min_seats,
    }


def _amounts(amount: Money, discount: Money | None = None) -> dict:
    """A period's list amount, what discounts took off it (positive: billing.discounts,
    the invoice's discount lines of the period) and the net charged."""
    off = Decimal(0) if discount is None else discount.amount
    return {
        "list_amount": amount.amount,
        "discount_amount": off,
        "net_amount": amount.amount - off,
    }


def _save_period(period: SubscriptionPeriod, *, validate: bool = True) -> SubscriptionPeriod:
    """`validate=False`: a span its caller computed (portal.validation)."""
    if validate:
        period.full_clean()
    else:
        clean_computed(period)
    period.save()
    return period


def _period_on(subscription: Subscription, day: date) -> SubscriptionPeriod:
    period = (
        SubscriptionPeriod.objects.select_for_update()
        .filter(subscription=subscription, starts_on__lte=day, ends_on__gte=day, replaced=False)
        .first()
    )
    if period is None:
        raise ValidationError(f"No billing period of this subscription contains {day}.")
    return period


@transaction.atomic
def subscription_period_add(
    *,
    subscription: Subscription,
    span: Span,
    reason: str,
    amount: Money,
    invoice: Invoice | None = None,
    discount: Money | None = None,
    note: str = "",
    reanchor: bool = False,
    at: datetime | None = None,
    validate: bool = True,
) -> SubscriptionPeriod:
    """Record a billed span at the subscription's seats and price (a purchase, the new
    term of a change of cycle with `reanchor`, later a renewal). Refuses a span that
    overlaps one recorded already. `validate=False` (the renewal: a span it computed from
    the anchor, past a claim it checked): the checks below still run; the database keeps
    the period's unique start, its order and its foreign keys (portal.validation)."""
    at = at or clock.now()
    subscription = _lock(subscription)
    if reanchor:
        subscription.billing_anchor = span.starts_on
        if validate:
            subscription.full_clean()
        else:
            clean_computed(subscription)
        subscription.save(update_fields=["billing_anchor"])
    overlapping = SubscriptionPeriod.objects.filter(
        subscription=subscription,
        starts_on__lte=span.ends_on,
        ends_on__gte=span.starts_on,
        replaced=False,
    )
    if overlapping.exists():
        raise ValidationError(
            f"A billing period already covers part of {span.starts_on} to {span.ends_on}."
        )
    return _save_period(
        _new_period(NewPeriod(subscription, span, reason, amount, discount, invoice, note), at=at),
        validate=validate,
    )


@dataclass(frozen=True)
class NewPeriod:
    """A billed span to record (subscription_period_add, subscription_periods_add)."""

    subscription: Subscription  # locked, with its license
    span: Span
    reason: str
    amount: Money
    discount: Money | None = None
    invoice: Invoice | None = None
    note: str = ""


def _new_period(new: NewPeriod, *, at: datetime) -> SubscriptionPeriod:
    subscription, span = new.subscription, new.span
    if new.amount.currency != subscription.currency_id:
        raise ValidationError(f"This subscription is billed in {subscription.currency_id}.")
    if span.starts_on < subscription.billing_anchor:
        raise ValidationError("A period cannot start before the subscription's billing anchor.")
    return SubscriptionPeriod(
        subscription=subscription,
        index=index_of(subscription.billing_anchor, span.starts_on, cycle=subscription.cycle),
        starts_on=span.starts_on,
        ends_on=span.ends_on,
        invoice=new.invoice,
        reason=new.reason,
        note=new.note.strip(),
        created_at=at,
        **_period_values(subscription),
        **_amounts(new.amount, new.discount),
    )


def subscription_periods_add(*, periods: list[NewPeriod], at: datetime) -> list[SubscriptionPeriod]:
    """subscription_period_add for many subscriptions the caller has locked (the term-end
    job's renewals, a batch at a time; no re-anchoring), each span computed by the
    caller: the same checks and rows in two statements for all of them. A span that
    overlaps one recorded already is refused, as one at a time."""
    if not periods:
        return []
    overlap = Q()
    for new in periods:
        overlap |= Q(
            subscription_id=new.subscription.pk,
            starts_on__lte=new.span.ends_on,
            ends_on__gte=new.span.starts_on,
        )
    found = SubscriptionPeriod.objects.filter(overlap, replaced=False).first()
    if found is not None:
        raise ValidationError(
            f"A billing period already covers part of {found.starts_on} to {found.ends_on}."
        )
    rows = [_new_period(new, at=at) for new in periods]
    for row in rows:
        clean_computed(row)
    return SubscriptionPeriod.objects.bulk_create(rows, batch_size=500)


@transaction.atomic
def subscription_period_split(
    *,
    subscription: Subscription,
    on: date,
    amount: Money,
    invoice: Invoice | None = None,
    at: datetime | None = None,
) -> tuple[SubscriptionPeriod, SubscriptionPeriod]:
    """A change of seats or price on `on`, in the middle of a period: the period ends the
    day before, keeping what it was invoiced for, and a `change` period at the
    subscription's new seats and price runs from `on` to its old end, costing `amount`
    (the prorated charge). Returns (the period credited, the change period). On a
    period's first day the period is credited in full: one an invoice billed is kept as
    it was billed, marked replaced (billing records are never rewritten; the change's
    invoice credits it), beside a `change` period for the whole span; one nothing billed
    (a term made outside the portal, a free extension) takes the new terms and adds
    `amount`, one row for both."""
    at = at or clock.now()
    subscription = _lock(subscription)
    current = _period_on(subscription, on)
    # Days staff added free of charge after this period run at the new seats and price
    # too (they stay free): a later period never holds terms the license no longer has.
    for later in SubscriptionPeriod.objects.select_for_update().filter(
        subscription=subscription, starts_on__gt=on, reason=PeriodReason.EXTENSION, replaced=False
    ):
        for name, value in _period_values(subscription).items():
            setattr(later, name, value)
        _save_period(later)
    if current.starts_on == on:
        if invoice is not None and (
            current.invoice_id is not None or current.invoice_lines.exists()
        ):
            # Billed: kept as its invoice billed it, as subscription_term_restart does.
            current.replaced = True
            _save_period(current)
        else:
            for name, value in _period_values(subscription).items():
                setattr(current, name, value)
            current.list_amount += amount.amount
            current.net_amount += amount.amount
            return current, _save_period(current)
    change = SubscriptionPeriod(
        subscription=subscription,
        index=current.index,
        starts_on=on,
        ends_on=current.ends_on,
        invoice=invoice,
        reason=PeriodReason.CHANGE,
        created_at=at,
        **_period_values(subscription),
        **_amounts(amount),
    )
    if not current.replaced:
        current.ends_on = on - ONE_DAY
        _save_period(current)
    return current, _save_period(change)


@transaction.atomic
def subscription_term_restart(
    *,
    subscription: Subscription,
    span: Span,
    amount: Money,
    invoice: Invoice | None = None,
    discount: Money | None = None,
    at: datetime | None = None,
) -> tuple[SubscriptionPeriod, SubscriptionPeriod]:
    """A change of cycle (or an accepted proposal's option) starts a new term on
    `span`'s first day: the period containing that day ends the day before (keeping
    what it was invoiced for; the change credits its unused part), free extensions
    after it go (nothing billed them), the anchor moves to the new term's first day and
    `span` is its first period, a `change` costing `amount` (less `discount`). Returns
    (the period credited, the new one). On a period's first day the period is credited
    in full: one an invoice billed is kept as it was billed, marked replaced (billing
    records are never rewritten), beside the new one; one nothing billed (a term made
    outside the portal) becomes the new term's first period."""
    at = at or clock.now()
    subscription = _lock(subscription)
    on = span.starts_on
    current = _period_on(subscription, on)
    later = SubscriptionPeriod.objects.filter(
        subscription=subscription, starts_on__gt=on, replaced=False
    )
    if later.filter(invoice_lines__isnull=False).exists():
        raise ValidationError("Periods after this one were invoiced already; credit them first.")
    later.delete()
    subscription.billing_anchor = on
    subscription.full_clean()
    subscription.save(update_fields=["billing_anchor"])
    if current.starts_on != on:
        current.ends_on = on - ONE_DAY
        _save_period(current)
    elif current.invoice_id is not None or current.invoice_lines.exists():
        # Billed: kept as its invoice billed it, beside the new term's first period.
        current.replaced = True
        _save_period(current)
    else:
        for name, value in {**_period_values(subscription), **_amounts(amount, discount)}.items():
            setattr(current, name, value)
        current.ends_on, current.index, current.reason = span.ends_on, 0, PeriodReason.CHANGE
        current.invoice = invoice
        return current, _save_period(current)
    return current, subscription_period_add(
        subscription=subscription,
        span=span,
        reason=PeriodReason.CHANGE,
        amount=amount,
        discount=discount,
        invoice=invoice,
        at=at,
    )


def agreed_discount_ends_on(starts_on: date, *, cycle: str, term_cycles: int) -> date:
    """The last day an accepted proposal's negotiated discount covers: its term on an
    annual cycle (one to three years); on a monthly cycle its first twelve months, the
    year its price path shows and prices (billing.proposals.pricing: a monthly option's
    year 1 is twelve discounted months), although each month is a term of its own."""
    if cycle == BillingCycle.MONTHLY:
        return term_end_for(starts_on, cycle=cycle, cycles=MONTHS_PER_YEAR)
    return term_end_for(starts_on, cycle=cycle, cycles=term_cycles)


@transaction.atomic
def subscription_set_terms(
    *,
    subscription: Subscription,
    term_cycles: int,
    billing: str,
    discount_percent: Decimal,
    discount_reason: str,
    discount_ends_on: date | None,
    actor: Actor,
    reason: str,
    at: datetime | None = None,
) -> Subscription:
    """The term's length in cycles, how it is invoiced and its negotiated discount (an
    accepted proposal's option: off every period that starts on or before
    `discount_ends_on`, the last day of the term it was agreed for; 0 for none)."""
    at = at or clock.now()
    reason = _check_reason(reason)
    with changes_recorded(
        license=subscription.license,
        actor=actor,
        reason=reason,
        action="subscription_set_terms",
        at=at,
    ):
        subscription = _lock(subscription)
        subscription.term_cycles = term_cycles
        subscription.billing = billing
        subscription.discount_percent = discount_percent
        subscription.discount_reason = discount_reason if discount_percent else ""
        subscription.discount_ends_on = discount_ends_on if discount_percent else None
        _save(subscription, at)
    return subscription


def subscription_one_cycle_terms(
    *, subscription: Subscription, actor: Actor, reason: str, at: datetime | None = None
) -> Subscription:
    """A change of cycle made by the customer (the checkout, now or at the term's end)
    starts a term of one cycle, invoiced up front: a term of several years and its
    negotiated discount were agreed for the other cycle (billing.proposals.pricing
    refuses a monthly term of several cycles). Nothing is written when that is so
    already."""
    if (
        subscription.term_cycles == 1
        and subscription.billing == Billing.UPFRONT
        and not subscription.discount_percent
    ):
        return subscription
    return subscription_set_terms(
        subscription=subscription,
        term_cycles=1,
        billing=Billing.UPFRONT,
        discount_percent=Decimal(0),
        discount_reason="",
        discount_ends_on=None,
        actor=actor,
        reason=reason,
        at=at,
    )


@transaction.atomic
def subscription_extend(
    *,
    subscription: Subscription,
    term_end: date,
    actor: Actor,
    reason: str,
    at: datetime | None = None,
) -> SubscriptionPeriod:
    """Staff extend the term free of charge: the license's last day moves to `term_end`
    and a free period (net 0, the reason as its note) covers the days added, so a later
    change is still prorated over the days that were paid for."""
    at = at or clock.now()
    reason = _check_reason(reason)
    # The license first (the lock order), so two extensions queue and each adds the days
    # after the other's.
    license = License.objects.select_for_update(of=("self",)).get(pk=subscription.license_id)
    old_end = license.term_end
    _refuse_extending_before_the_last_cycle(subscription, license)
    license = license_renew(license=license, term_end=term_end, actor=actor, reason=reason, at=at)
    subscription.license = license
    return subscription_period_add(
        subscription=subscription,
        span=Span(old_end + ONE_DAY, license.term_end),
        reason=PeriodReason.EXTENSION,
        amount=Money.zero(subscription.currency_id),
        note=reason,
        at=at,
    )


def _refuse_extending_before_the_last_cycle(subscription: Subscription, license: License):
    """A term invoiced a cycle at a time bills each cycle from the day after its last
    billed period: free days added after the term before its later cycles are invoiced
    would read as billed to the end, and those cycles would never be invoiced. Extended
    once its last cycle is invoiced."""
    if subscription.billing != Billing.PER_CYCLE:
        return
    billed_to = (
        SubscriptionPeriod.objects.filter(subscription=subscription, replaced=False)
        .exclude(reason=PeriodReason.EXTENSION)
        .aggregate(last=Max("ends_on"))["last"]
    )
    if billed_to is not None and billed_to < license.term_end:
        cycle = "month" if subscription.cycle == BillingCycle.MONTHLY else "year"
        raise ValidationError(
            f"This term is invoiced a {cycle} at a time and is invoiced to "
            f"{billed_to:%-d %B %Y}: extend it once its last {cycle} is invoiced, on that "
            f"{cycle}'s first day."
        )


@transaction.atomic
def subscription_lock_until(
    *, subscription: Subscription, locked_until: date, at: datetime | None = None
) -> Subscription:
    """The day the locked price holds to, set for a new term (billing.renewals: the later
    of the term's last day and a retired version's notice date). Only the renewal calls
    it, with a date it computed: the database keeps the row's constraints and keys
    (portal.validation)."""
    at = at or clock.now()
    subscription = _lock(subscription)
    subscription.price_locked_until = locked_until
    _save(subscription, at, validate=False)
    return subscription


def subscriptions_lock_until(*, locks: list[tuple[Subscription, date]], at: datetime) -> None:
    """subscription_lock_until for many subscriptions the caller has locked (the term-end
    job's renewals): each one's date set, checked and kept in its history, in two
    statements for all of them."""
    for subscription, locked_until in locks:
        subscription.price_locked_until = locked_until
        subscription.updated_at = at
        clean_computed(subscription)
    changed = [subscription for subscription, _ in locks]
    update_rows(changed, ["price_locked_until", "updated_at"])
    bulk_update_with_history(changed, Subscription, [], batch_size=500)  # their history rows
