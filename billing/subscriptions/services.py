"""Writes to subscriptions. Each service locks the license's row, then the subscription's
(the documented lock order), validates, changes it and records the change in the
commercial ledger (billing.ledger.services: who, when, why, before, after, MRR), all in
one transaction: a refusal writes nothing. Nothing else writes to a Subscription.

The price is copied from the catalog row of the license's version, in the subscription's
currency and cycle, on the day it is locked; publishing a new price later changes no
subscription.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from billing.ledger.services import changes_recorded
from billing.models import Subscription, SubscriptionEventKind
from billing.pricing import BillingCycle
from licensing.licenses.services import Actor, license_set_auto_renew
from licensing.models import License, TierVersionPrice
from portal import clock


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


def _save(subscription: Subscription, at: datetime) -> None:
    subscription.updated_at = at
    subscription.full_clean()
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
    at: datetime | None = None,
) -> Subscription:
    """Start paying for `license`: its version's price in `currency` and `cycle`, locked
    today."""
    at = at or clock.now()
    reason = _check_reason(reason)
    # Locking the license makes two starts for one license queue; the second is refused.
    license = (
        License.objects.select_for_update(of=("self",))
        .select_related("version__tier")
        .get(pk=license.pk)
    )
    if Subscription.objects.filter(license=license).exists():
        raise ValidationError("This license already has a subscription.")
    with changes_recorded(
        license=license, actor=actor, reason=reason, action="subscription_create", at=at
    ):
        subscription = Subscription(license=license, term_cycles=term_cycles, created_at=at)
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
) -> Subscription:
    """Turn renewal at the end of the term on or off. The flag is the license's, so the
    license's ledger records it too."""
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
            license=subscription.license, auto_renew=auto_renew, actor=actor, reason=reason, at=at
        )
        _save(subscription, at)
    return subscription
