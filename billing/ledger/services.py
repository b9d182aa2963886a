"""The one writer of the commercial ledger.

`subscription_event_record` writes one SubscriptionEvent; nothing else does (a trial's
events come through `trial_event_record`, which calls it). Callers do
not call it step by step: they wrap a change in `changes_recorded(...)`, which reads the
subscription's terms before (after locking the license: the documented lock order puts
the license before the subscription), lets the change run, reads the terms after and
records one event per step (billing.ledger.steps), all inside the change's transaction.

A change made inside another's recording joins it (a checkout's subscription_lock_price,
a purchase's subscription_create): the outer one records the whole change once, with
its cause. A license changed by licensing alone (the licensing admin's suspend, seats,
renewal…), which may not import billing, is recorded from licensing's
`license_changed` signal, with an AdminOperation as its cause.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from billing.emails import notices
from billing.ledger.steps import Step, Terms, steps
from billing.models import (
    AdminOperation,
    Checkout,
    ScheduledChange,
    Subscription,
    SubscriptionEvent,
    SubscriptionEventKind,
)
from licensing.licenses.services import Actor
from licensing.licenses.signals import license_changed
from licensing.models import License, LicenseStatus, Trial
from licensing.trials.services import trial_fields
from portal.validation import clean_computed


@dataclass(frozen=True)
class Cause:
    """What caused a change: exactly one of these (an AdminOperation is made from the
    actor and reason when neither a checkout nor a scheduled change is given)."""

    checkout: Checkout | None = None
    scheduled_change: ScheduledChange | None = None
    operation: AdminOperation | None = None


@dataclass
class _Recording:
    license_id: int | None
    before: Terms | None
    cause: Cause | None
    actor: Actor
    reason: str
    action: str
    at: datetime
    unchanged_kind: str | None = None
    # A trial this change converts (closed inside it): its event is written after the
    # change's own, with the change's MRR before and after (trial_event_record).
    converted: _TrialChange | None = None
    # changes_recorded_many: the licenses it records (license_id is None then).
    batch: frozenset[int] = frozenset()


@dataclass(frozen=True)
class _TrialChange:
    trial: Trial
    before: dict
    actor: Actor
    reason: str
    at: datetime


_active: ContextVar[_Recording | None] = ContextVar("ledger_recording", default=None)


def _subscription_of(license_id: int) -> Subscription | None:
    return (
        Subscription.objects.select_related("license__version__tier")
        .filter(license_id=license_id)
        .first()
    )


def terms_of(license_id: int) -> Terms | None:
    """The terms the license's subscription is on now; None without a subscription."""
    subscription = _subscription_of(license_id)
    if subscription is None:
        return None
    return _terms(subscription, subscription.license)


def _terms(subscription: Subscription, license: License) -> Terms:
    version = license.version
    return Terms(
        status=license.status,
        version=version.pk,
        tier=version.tier_id,
        tier_rank=version.tier.order,
        seats=license.seats,
        currency=subscription.currency_id,
        cycle=subscription.cycle,
        unit_amount=subscription.unit_amount,
        per_seat=subscription.per_seat,
        min_seats=subscription.min_seats,
        term_start=license.term_start,
        term_end=license.term_end,
        auto_renew=license.auto_renew,
        price_locked_on=subscription.price_locked_on,
        discount_percent=_discount_in_term(subscription, license),
    )


def _discount_in_term(subscription: Subscription, license: License) -> Decimal:
    """The negotiated discount the license's current term gets: the subscription's, for
    a term that starts inside the one it was agreed for (billing.subscriptions.selectors
    .discounts_from's rule), none after it."""
    ends_on = subscription.discount_ends_on
    if not subscription.discount_percent or ends_on is None or license.term_start > ends_on:
        return Decimal(0)
    return subscription.discount_percent


def _as_data(terms: Terms | None) -> dict:
    if terms is None:
        return {}
    return {
        name: value if isinstance(value, bool | int | str) else str(value)
        for name, value in asdict(terms).items()
    }


def subscription_event_record(
    *,
    subscription: Subscription,
    step: Step,
    before: Terms | None,
    cause: Cause,
    actor: Actor,
    reason: str,
    at: datetime,
) -> SubscriptionEvent:
    """Append one event to the ledger: with `trial_event_record`, the one place a
    SubscriptionEvent is written (`changes_recorded_many` writes many at once)."""
    event = _event(
        subscription=subscription,
        step=step,
        before=before,
        cause=cause,
        actor=actor,
        reason=reason,
        at=at,
    )
    event.save()
    return event


def _event(
    *,
    subscription: Subscription,
    step: Step,
    before: Terms | None,
    cause: Cause,
    actor: Actor,
    reason: str,
    at: datetime,
) -> SubscriptionEvent:
    terms = step.terms
    event = SubscriptionEvent(
        license_id=subscription.license_id,
        subscription=subscription,
        kind=step.kind,
        effective_at=at,
        mrr_before=step.mrr_before,
        mrr_after=step.mrr_after,
        currency_id=terms.currency,
        version_id=terms.version,
        seats=terms.seats,
        checkout=cause.checkout,
        scheduled_change=cause.scheduled_change,
        operation=cause.operation,
        actor=actor.user,
        actor_label=actor.label[:200],
        reason=reason,
        before=_as_data(before),
        after=_as_data(terms),
        happened_at=at,
    )
    # Every value of an event is computed here from the terms before and after (the
    # reason's length is checked with the fields): its foreign keys and constraints are
    # the database's, not a SELECT each (portal.validation).
    clean_computed(event)
    return event


def _trial_data(trial: Trial) -> dict:
    ended = {"ended_at": trial.ended_at.isoformat()} if trial.ended_at else {}
    return trial_fields(trial) | ended


def _trial_event(
    change: _TrialChange,
    *,
    kind: str,
    before: Terms | None,
    after: Terms | None,
    subscription: Subscription | None,
) -> SubscriptionEvent:
    trial = change.trial
    license = trial.license
    event = SubscriptionEvent(
        license_id=trial.license_id,
        subscription=subscription,
        kind=kind,
        effective_at=change.at,
        # A trial moves no MRR, its conversion included: the checkout's own events carry
        # the movement, and the events chain (each one's MRR before is the last one's after).
        mrr_before=after.mrr if after else 0,
        mrr_after=after.mrr if after else 0,
        currency_id=after.currency if after else None,
        version_id=after.version if after else license.version_id,
        seats=after.seats if after else license.seats,
        trial=trial,
        actor=change.actor.user,
        actor_label=change.actor.label[:200],
        reason=change.reason,
        before=_as_data(before) | ({"trial": change.before} if change.before else {}),
        after=_as_data(after) | {"trial": _trial_data(trial)},
        happened_at=change.at,
    )
    clean_computed(event)
    event.save()
    return event


def trial_event_record(
    *, trial: Trial, kind: str, before: dict, actor: Actor, reason: str, at: datetime
) -> SubscriptionEvent | None:
    """Append a trial's event (`kind`, one of TRIAL_KINDS; `before`: the trial's fields
    before the change), caused by the trial, inside the trial change's transaction. A
    trial moves no money (MRR before == after: the subscription's, or 0 on a trial
    license without one), its conversion included: converted inside a change being
    recorded (a checkout), its event is written after that change's, at the MRR they
    leave, and its `before` states the terms before the checkout (None is returned then)."""
    change = _TrialChange(trial=trial, before=before, actor=actor, reason=reason, at=at)
    recording = _active.get()
    if (
        kind == SubscriptionEventKind.TRIAL_CONVERTED
        and recording is not None
        and recording.license_id == trial.license_id
    ):
        recording.converted = change
        return None
    subscription = _subscription_of(trial.license_id)
    terms = _terms(subscription, subscription.license) if subscription else None
    return _trial_event(change, kind=kind, before=terms, after=terms, subscription=subscription)


def _record_steps(
    license_id: int,
    *,
    before: Terms | None,
    after: Terms | None,
    cause: Cause | None,
    actor: Actor,
    reason: str,
    action: str,
    at: datetime,
    unchanged_kind: str | None = None,
    subscription: Subscription | None = None,
) -> list[SubscriptionEvent]:
    """`subscription`: the license's, when the caller has just read it (for `after`)."""
    found = _steps_found(before, after, unchanged_kind)
    if not found:
        return []
    if cause is None or not (cause.checkout or cause.scheduled_change or cause.operation):
        operation = _operation(actor=actor, action=action, reason=reason, at=at)
        operation.save()
        cause = Cause(operation=operation)
        if getattr(actor.user, "is_staff", False):
            _notify_staff_change(license_id, before=before, after=after, actor=actor, at=at)
    if subscription is None:
        subscription = Subscription.objects.get(license_id=license_id)
    events = []
    previous = before
    for step in found:
        events.append(
            subscription_event_record(
                subscription=subscription,
                step=step,
                before=previous,
                cause=cause,
                actor=actor,
                reason=reason,
                at=at,
            )
        )
        previous = step.terms
    return events


def _steps_found(before: Terms | None, after: Terms | None, unchanged_kind: str | None) -> list:
    if after is None:
        return []
    found = steps(before, after)
    if not found and unchanged_kind and before is not None:
        # An operation that re-states what is already there (a price locked again at the
        # same figures): on record, with no movement.
        found = [Step(unchanged_kind, before.mrr, after.mrr, after)]
    return found


def _operation(*, actor: Actor, action: str, reason: str, at: datetime) -> AdminOperation:
    """The cause recorded for a change with no checkout or scheduled change behind it."""
    return AdminOperation(
        actor=actor.user,
        actor_label=actor.label[:200],
        action=action[:60],
        reason=reason,
        performed_at=at,
    )


def _notify_staff_change(
    license_id: int, *, before: Terms | None, after: Terms, actor: Actor, at: datetime
) -> None:
    """A change staff made in the admin (a subscription's operation, or the licensing
    admin's seats, suspension, term…) is told to the customer's billing recipients: a
    customer's own changes are told by the checkout and the scheduled changes."""
    license = License.objects.select_related("organization", "version__tier__product").get(
        pk=license_id
    )
    notices.plan_changed(
        license=license,
        by=notices.person(actor.user),
        effective_on=timezone.localdate(at),
        rows=notices.rows_between(before, after),
        note=_status_note(license, before=before, after=after),
    )


def _status_note(license: License, *, before: Terms | None, after: Terms) -> str:
    """What a suspension or a reinstatement by staff means for the customer's software
    (the status row alone says only "Active → Suspended"); staff's reason is their own
    note and is not told."""
    if before is None or before.status == after.status:
        return ""
    if after.status == LicenseStatus.SUSPENDED:
        manager = license.organization.account_manager
        ask = (
            f"Your account manager, {manager.get_full_name() or manager.email}, can tell you "
            "why and what lifts it."
            if manager is not None
            else "Contact us to learn why and what lifts it."
        )
        return (
            "While the license is suspended, your software's license checks answer "
            '"suspended" and new machines cannot be activated; nothing recorded is removed. '
            f"A payment does not lift a suspension our staff placed. {ask}"
        )
    if before.status == LicenseStatus.SUSPENDED and after.status == LicenseStatus.ACTIVE:
        return "The license works again: your software's next license check answers valid."
    return ""


@contextmanager
def changes_recorded(
    *,
    license: License | None,
    actor: Actor,
    reason: str,
    action: str,
    at: datetime,
    checkout: Checkout | None = None,
    scheduled_change: ScheduledChange | None = None,
    unchanged_kind: str | None = None,
) -> Iterator[None]:
    """Record every commercial change made inside the block to `license`'s subscription
    (None: a purchase, whose license the block creates). Must run inside a transaction.
    `unchanged_kind`: the event to record when the block moved nothing (an explicit
    operation that re-states the same terms)."""
    outer = _active.get()
    if outer is not None and (
        outer.license_id is None or (license is not None and outer.license_id == license.pk)
    ):
        # Part of a larger change of the same license (or of the purchase that creates
        # it), which records it. A change of another license records itself.
        if outer.license_id is None and license is not None:
            outer.license_id = license.pk
        yield
        return
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("changes_recorded() runs inside the change's transaction.")
    if license is not None:
        License.objects.select_for_update(of=("self",)).filter(pk=license.pk).first()
    recording = _Recording(
        license_id=license.pk if license else None,
        before=terms_of(license.pk) if license else None,
        cause=Cause(checkout=checkout, scheduled_change=scheduled_change),
        actor=actor,
        reason=reason,
        action=action,
        at=at,
        unchanged_kind=unchanged_kind,
    )
    token = _active.set(recording)
    try:
        yield
    finally:
        _active.reset(token)
    if recording.license_id is not None:
        # One read of the subscription for the terms after and the events' row.
        current = _subscription_of(recording.license_id)
        _record_steps(
            recording.license_id,
            before=recording.before,
            after=_terms(current, current.license) if current is not None else None,
            subscription=current,
            cause=recording.cause,
            actor=actor,
            reason=reason,
            action=action,
            at=at,
            unchanged_kind=recording.unchanged_kind,
        )
        if recording.converted is not None:
            _trial_event(
                recording.converted,
                kind=SubscriptionEventKind.TRIAL_CONVERTED,
                before=recording.before,
                after=_terms(current, current.license) if current is not None else None,
                subscription=current,
            )


@contextmanager
def changes_recorded_many(
    *,
    subscriptions: list[Subscription],
    actor: Actor,
    reasons: dict[int, str],
    action: str,
    at: datetime,
) -> Iterator[None]:
    """changes_recorded for many licenses at once (the term-end job's renewals, a batch
    at a time), each change caused by an operation of its own (`reasons`: license id ->
    its reason) and recorded with the same steps, in a few statements for all of them.
    The caller has locked each license and subscription and changes the objects it
    passes (`subscription.license` included), so the terms before and after are read
    from them, not again from the database. No other change may be recorded inside."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("changes_recorded_many() runs inside the change's transaction.")
    before = {s.license_id: _terms(s, s.license) for s in subscriptions}
    recording = _Recording(
        license_id=None,
        before=None,
        cause=None,
        actor=actor,
        reason="",
        action=action,
        at=at,
        batch=frozenset(before),
    )
    token = _active.set(recording)
    try:
        yield
    finally:
        _active.reset(token)
    changed = []
    for subscription in subscriptions:
        found = _steps_found(
            before[subscription.license_id], _terms(subscription, subscription.license), None
        )
        if found:
            reason = reasons[subscription.license_id]
            operation = _operation(actor=actor, action=action, reason=reason, at=at)
            changed.append((subscription, found, operation, reason))
    AdminOperation.objects.bulk_create([operation for _, _, operation, _ in changed])
    events = []
    for subscription, found, operation, reason in changed:
        previous = before[subscription.license_id]
        for step in found:
            events.append(
                _event(
                    subscription=subscription,
                    step=step,
                    before=previous,
                    cause=Cause(operation=operation),
                    actor=actor,
                    reason=reason,
                    at=at,
                )
            )
            previous = step.terms
    SubscriptionEvent.objects.bulk_create(events, batch_size=500)


WAS_FIELDS = ("status", "seats", "term_start", "term_end", "auto_renew")


def _on_license_changed(sender, *, license, event, was, actor, reason, at, **kwargs) -> None:
    """A license changed by licensing alone (no recording of ours around it)."""
    recording = _active.get()
    if recording is not None and (
        license.pk in recording.batch
        or (not recording.batch and recording.license_id in (None, license.pk))
    ):
        return
    if not was:
        return
    after = terms_of(license.pk)
    if after is None:
        return
    before = replace(after, **{name: was[name] for name in WAS_FIELDS if name in was})
    if "version" in was:
        version = was["version"]
        before = replace(
            before, version=version.pk, tier=version.tier_id, tier_rank=version.tier.order
        )
    _record_steps(
        license.pk,
        before=before,
        after=after,
        cause=None,
        actor=actor,
        reason=reason,
        action=f"license: {event.get_kind_display().lower()}",
        at=at,
    )


license_changed.connect(_on_license_changed, sender=License, dispatch_uid="billing.ledger")
