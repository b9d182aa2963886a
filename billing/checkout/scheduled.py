"""Scheduled changes: cancelled by the customer until they are due, applied when due.

A change due on a renewal day is applied by the renewal that bills it
(billing.renewals.services.subscription_renew, before this module's hourly job gets to
it); `scheduled_changes_apply_due` applies any other change on its day. Each
application is one transaction with the change's license and then its row locked
(billing.locks' order, as a checkout confirmed at that moment takes them), and applying
a change that is no longer scheduled does nothing, so a retry or a second run is
harmless. A change applies the tier version it quoted, even one retired since: what was
quoted is what is applied.
"""

from __future__ import annotations

import logging
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from billing.checkout import changes
from billing.emails import notices
from billing.ledger.services import changes_recorded, terms_of
from billing.locks import lock_license
from billing.models import (
    ScheduledChange,
    ScheduledChangeStatus,
    Subscription,
    SubscriptionPeriod,
)
from billing.money import Money
from billing.subscriptions.services import (
    agreed_discount_ends_on,
    subscription_lock_price,
    subscription_one_cycle_terms,
    subscription_period_split,
    subscription_set_auto_renew,
    subscription_set_terms,
)
from licensing.licenses import services as licenses
from licensing.models import License
from portal import clock

logger = logging.getLogger(__name__)


def _lock(change: ScheduledChange) -> tuple[License, ScheduledChange]:
    # Its license first (a change never moves to another license), then the change.
    license = lock_license(change.license_id)
    return license, ScheduledChange.objects.select_for_update().get(pk=change.pk)


@transaction.atomic
def scheduled_change_cancel(
    *,
    change: ScheduledChange,
    user,
    reason: str,
    at: datetime | None = None,
    notify: bool = True,
) -> ScheduledChange:
    """Call off a scheduled change, and tell the billing recipients (`notify=False` for a
    caller that sends its own email about it)."""
    at = at or clock.now()
    license, change = _lock(change)
    refusal = changes.cancel_refusal(
        status=change.status, status_label=change.get_status_display(), reason=reason
    )
    if refusal:
        raise ValidationError(refusal)
    change.status = ScheduledChangeStatus.CANCELED
    change.closed_at = at
    change.closed_by = user
    change.close_reason = reason.strip()
    change.save()
    if notify:
        notices.plan_changed(
            license=license,
            by=notices.person(user),
            effective_on=timezone.localdate(at),
            rows=[],
            canceled=notices.Scheduled(change.effective_on, change.summary),
        )
    return change


@transaction.atomic
def scheduled_change_apply(
    *,
    change: ScheduledChange,
    today: date | None = None,
    at: datetime | None = None,
    notify: bool = True,
) -> ScheduledChange:
    """Move the license and its subscription to the scheduled plan. Nothing is deleted:
    machines beyond the new limit stay activated (new ones are refused). `notify=False`
    for a caller that tells of it in its own email (the renewal that applies it)."""
    at = at or clock.now()
    today = today or timezone.localdate(at)
    license, change = _lock(change)
    if not changes.is_open(change.status):
        return change
    refusal = changes.too_early(effective_on=change.effective_on, today=today)
    if refusal:
        raise ValidationError(refusal)
    actor = licenses.Actor(user=change.created_by, label="scheduled change")
    reason = f"Scheduled change {change.pk}: {change.summary}."
    subscription = Subscription.objects.get(license=license)
    terms_before = terms_of(license.pk)
    with changes_recorded(
        license=license,
        actor=actor,
        reason=reason,
        action="scheduled_change_apply",
        at=at,
        scheduled_change=change,
    ):
        moves = changes.moves(
            version=license.version_id,
            seats=license.seats,
            cycle=subscription.cycle,
            auto_renew=license.auto_renew,
            to_version=change.version_id,
            to_seats=change.seats,
            to_cycle=change.cycle,
            to_auto_renew=change.auto_renew,
        )
        if moves.version:
            licenses.license_change_version(
                license=license,
                version=change.version,
                actor=actor,
                reason=reason,
                at=at,
                as_quoted=True,
            )
        if moves.seats:
            licenses.license_change_seats(
                license=license,
                seats=change.seats,
                actor=actor,
                reason=reason,
                at=at,
                keep_active_machines=True,
            )
        from_proposal = change.proposal_option_id is not None
        new_cycle = change.cycle != subscription.cycle
        if moves.price or from_proposal:
            # A proposal's renewal locks the catalog price it quoted, for its term.
            subscription = subscription_lock_price(
                subscription=subscription,
                cycle=change.cycle,
                currency=change.price.currency_id,
                actor=actor,
                reason=reason,
                at=at,
            )
        if from_proposal:
            # The term, its billing and its discount the proposal agreed, from the
            # change's day to the end of that term (the renewal that applies it bills
            # it; renewals inside the term apply the discount, the first after it not).
            discount = change.discount_percent
            subscription = subscription_set_terms(
                subscription=subscription,
                term_cycles=change.term_cycles,
                billing=change.billing,
                discount_percent=discount,
                discount_reason=change.discount_reason,
                discount_ends_on=agreed_discount_ends_on(
                    change.effective_on, cycle=change.cycle, term_cycles=change.term_cycles
                )
                if discount
                else None,
                actor=actor,
                reason=reason,
                at=at,
            )
        elif new_cycle:
            subscription = subscription_one_cycle_terms(
                subscription=subscription, actor=actor, reason=reason, at=at
            )
        if moves.version or moves.seats or moves.price:
            _record_period(subscription, today=today, at=at)
        if moves.auto_renew:
            subscription_set_auto_renew(
                subscription=subscription,
                auto_renew=change.auto_renew,
                actor=actor,
                reason=reason,
                at=at,
                ends_with_term=True,  # the customer's choice, from a checkout
            )
    change.status = ScheduledChangeStatus.APPLIED
    change.closed_at = at
    change.close_reason = "Applied at the end of the term."
    change.save()
    if not notify:
        return change
    notices.plan_changed(
        license=license,
        by=notices.person(change.created_by),
        effective_on=today,
        rows=notices.rows_between(terms_before, terms_of(license.pk)),
        note=f"Scheduled on {timezone.localdate(change.created_at):%-d %B %Y} and applied "
        "at the end of the term, as planned.",
    )
    return change


def _record_period(subscription: Subscription, *, today: date, at: datetime) -> None:
    """A change applied inside a recorded period (the term was extended free of charge
    after it was scheduled) splits that period at no cost, so the periods keep the seats
    and price in force (billing.subscriptions.periods). A change applied after the last
    period waits for the renewal that starts the next one."""
    if SubscriptionPeriod.objects.filter(
        subscription=subscription, starts_on__lte=today, ends_on__gte=today, replaced=False
    ).exists():
        subscription_period_split(
            subscription=subscription,
            on=today,
            amount=Money.zero(subscription.currency_id),
            at=at,
        )


def scheduled_changes_apply_due(*, today: date | None = None) -> list[ScheduledChange]:
    """Apply every change due by `today`, each in its own transaction; one that fails is
    logged and left scheduled for the next run."""
    today = today or clock.today()
    applied = []
    due = ScheduledChange.objects.filter(
        status=ScheduledChangeStatus.SCHEDULED, effective_on__lte=today
    ).order_by("effective_on", "pk")
    for change in due:
        try:
            applied.append(scheduled_change_apply(change=change, today=today))
        except ValidationError as exc:
            logger.warning("Scheduled change %s not applied: %s", change.pk, exc)
    return applied
