"""billing.subscriptions.services: each change is locked, validated, written with a
ledger entry, or refused with nothing written."""

from datetime import date
from decimal import Decimal
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from billing.models import AdminOperation, Subscription, SubscriptionEvent, SubscriptionEventKind
from billing.money import Money
from billing.subscriptions.services import (
    subscription_create,
    subscription_lock_price,
    subscription_set_auto_renew,
)
from licensing.licenses.services import Actor, license_change_seats
from licensing.models import AppendOnlyError, EventKind, License, TierVersionPrice
from tests.helpers.licenses import SYSTEM


def _subscribe(issued, **kwargs) -> Subscription:
    values = {"currency": "USD", "cycle": "monthly", "actor": SYSTEM, "reason": "Bought."}
    return subscription_create(license=issued.license, **(values | kwargs))


def _nothing_written() -> tuple[int, int]:
    return Subscription.objects.count(), SubscriptionEvent.objects.count()


def test_it_locks_the_catalog_price_at_purchase(issued, owner, now):
    # Northwind: Team v2 with 5 seats; Team is $19 a seat a month, from 3 seats.
    subscription = _subscribe(issued, actor=Actor.of(owner, "owner"), reason="Bought Team.")
    subscription.refresh_from_db()
    assert subscription.unit_amount == Decimal("19.00")
    assert subscription.per_seat and subscription.min_seats == 3
    assert subscription.currency_id == "USD" and subscription.cycle == "monthly"
    assert subscription.price_locked_on == now.date() == date(2026, 3, 14)
    assert subscription.seats == 5
    assert subscription.cycle_price == Money(Decimal("95.00"), "USD")
    event = subscription.events.get()
    assert event.kind == SubscriptionEventKind.PURCHASED
    assert event.actor == owner and event.actor_label == f"{owner.email} (owner)"
    assert event.reason == "Bought Team." and event.happened_at == event.effective_at == now
    # $95.00 a month from nothing, on Team v2 with 5 seats.
    assert (event.mrr_before, event.mrr_after, event.currency_id) == (0, 9500, "USD")
    assert (event.version, event.seats) == (issued.license.version, 5)
    assert event.operation.action == "subscription_create" and event.operation.actor == owner
    assert event.checkout is None and event.scheduled_change is None
    assert event.before == {}
    assert event.after | {"version": 0, "tier": 0, "tier_rank": 0} == {
        "status": "active",
        "version": 0,
        "tier": 0,
        "tier_rank": 0,
        "seats": 5,
        "currency": "USD",
        "cycle": "monthly",
        "unit_amount": "19.00",
        "per_seat": True,
        "min_seats": 3,
        "term_start": issued.license.term_start.isoformat(),
        "term_end": issued.license.term_end.isoformat(),
        "auto_renew": True,
        "price_locked_on": "2026-03-14",
        "discount_percent": "0",
    }


def test_a_later_catalog_price_never_touches_a_locked_one(issued):
    subscription = _subscribe(issued)
    # A price change in the catalog (published rows are frozen, so straight to the table).
    TierVersionPrice.objects.filter(pk=subscription.price_source_id).update(amount=Decimal("25"))
    subscription.refresh_from_db()
    assert subscription.unit_amount == Decimal("19.00")


def test_the_price_follows_the_seats_bought(issued):
    subscription = _subscribe(issued, cycle="annual")
    license_change_seats(license=issued.license, seats=12, actor=SYSTEM, reason="Grew.")
    subscription.refresh_from_db()
    # $190 a seat a year x 12 seats.
    assert subscription.cycle_price == Money(Decimal("2280.00"), "USD")
    # Licensing alone changed the seats: the ledger has it, caused by an operation.
    event = subscription.events.get(kind=SubscriptionEventKind.SEATS_ADDED)
    # $950 a year is $79.17 a month; $2,280 a year is $190.00.
    assert (event.mrr_before, event.mrr_after, event.seats) == (7917, 19000, 12)
    assert event.operation.action == "license: seats changed"
    assert event.operation.reason == "Grew." and event.operation.actor_label == "test setup"


def test_it_relocks_the_price_with_a_ledger_entry(issued, now, time_machine):
    subscription = _subscribe(issued)
    time_machine.move_to("2026-04-01T10:00:00Z", tick=False)
    subscription = subscription_lock_price(
        subscription=subscription, currency="EUR", cycle="annual", actor=SYSTEM, reason="Moved."
    )
    subscription.refresh_from_db()
    assert (subscription.currency_id, subscription.cycle) == ("EUR", "annual")
    assert subscription.unit_amount == Decimal("180.00")
    assert subscription.price_locked_on == date(2026, 4, 1)
    # Another currency: USD loses its $95.00 and EUR gains 5 x 180 / 12 = 75.00, two
    # movements each in its own currency; the new price comes with the cycle's step.
    left = subscription.events.filter(kind=SubscriptionEventKind.CURRENCY_LEFT).get()
    assert (left.mrr_before, left.mrr_after, left.currency_id) == (9500, 0, "USD")
    event = subscription.events.filter(kind=SubscriptionEventKind.CYCLE_CHANGED).get()
    assert (event.mrr_before, event.mrr_after, event.currency_id) == (0, 7500, "EUR")
    assert event.effective_at == event.operation.performed_at
    assert event.operation.action == "subscription_lock_price"
    assert event.before["currency"] == "USD" and event.before["unit_amount"] == "19.00"
    assert event.after["currency"] == "EUR" and event.after["unit_amount"] == "180.00"
    assert event.before["price_locked_on"] == "2026-03-14"
    assert event.after["price_locked_on"] == "2026-04-01"


def test_it_turns_auto_renew_off_in_both_ledgers(issued):
    subscription = _subscribe(issued)
    subscription_set_auto_renew(
        subscription=subscription, auto_renew=False, actor=SYSTEM, reason="Leaving."
    )
    issued.license.refresh_from_db()
    assert issued.license.auto_renew is False
    event = subscription.events.get(kind=SubscriptionEventKind.AUTO_RENEW_OFF)
    assert event.before["auto_renew"] is True and event.after["auto_renew"] is False
    assert event.mrr_before == event.mrr_after == 9500
    # One event: the license's own change joined the subscription's recording.
    assert subscription.events.count() == 2
    license_event = issued.license.events.get(kind=EventKind.AUTO_RENEW)
    assert license_event.after["auto_renew"] is False and license_event.reason == "Leaving."


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"reason": "  "}, "Say why"),
        ({"currency": "JPY"}, "has no monthly price in JPY"),
        ({"cycle": "weekly"}, "'weekly' is not a billing cycle"),
        ({"term_cycles": 0}, "greater than or equal to 1"),
    ],
)
def test_it_refuses_a_bad_start_and_writes_nothing(issued, kwargs, message):
    with pytest.raises(ValidationError, match=message):
        _subscribe(issued, **kwargs)
    assert _nothing_written() == (0, 0)


def test_it_refuses_a_second_subscription_for_one_license(issued):
    _subscribe(issued)
    with pytest.raises(ValidationError, match="already has a subscription"):
        _subscribe(issued, cycle="annual")
    assert _nothing_written() == (1, 1)


def test_it_refuses_bad_changes_and_writes_nothing(issued):
    subscription = _subscribe(issued)
    with pytest.raises(ValidationError, match="no annual price in JPY"):
        subscription_lock_price(
            subscription=subscription, currency="JPY", cycle="annual", actor=SYSTEM, reason="x"
        )
    with pytest.raises(ValidationError, match="Say why"):
        subscription_lock_price(subscription=subscription, actor=SYSTEM, reason="")
    with pytest.raises(ValidationError, match="already on"):
        subscription_set_auto_renew(
            subscription=subscription, auto_renew=True, actor=SYSTEM, reason="x"
        )
    assert _nothing_written() == (1, 1)
    subscription.refresh_from_db()
    assert subscription.currency_id == "USD" and subscription.cycle == "monthly"
    assert issued.license.events.filter(kind=EventKind.AUTO_RENEW).count() == 0


def test_every_change_locks_the_row_first(issued):
    subscription = _subscribe(issued)
    locked = []
    original = QuerySet.select_for_update

    def spy(queryset, *args, **kwargs):
        locked.append(queryset.model)
        return original(queryset, *args, **kwargs)

    with mock.patch.object(QuerySet, "select_for_update", spy):
        subscription_lock_price(subscription=subscription, actor=SYSTEM, reason="Relock.")
        subscription_set_auto_renew(
            subscription=subscription, auto_renew=False, actor=SYSTEM, reason="Off."
        )
        # The lock order: the license, then the subscription.
        assert locked[:2] == [License, Subscription]
        assert locked.count(Subscription) == 2


def test_the_ledger_is_append_only(issued):
    event = _subscribe(issued).events.get()
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        SubscriptionEvent.objects.update(reason="rewritten")
    # And what caused it.
    with pytest.raises(AppendOnlyError):
        event.operation.save()
    with pytest.raises(AppendOnlyError):
        event.operation.delete()
    with pytest.raises(AppendOnlyError):
        AdminOperation.objects.update(reason="rewritten")
