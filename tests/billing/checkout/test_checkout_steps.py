"""A checkout's steps, recorded for the revenue analytics: started, previewed, confirmed
(once), refused, abandoned (once, by the customer or by the daily sweep of checkouts left
open for a day); and a closed checkout changes nothing."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from billing.checkout.services import (
    CheckoutClosed,
    checkout_abandon,
    checkout_confirm,
    checkout_record_preview,
    checkout_record_refusal,
    checkout_start,
    checkouts_abandon_stale,
)
from billing.models import Checkout, CheckoutEvent, CheckoutStatus, Invoice, Subscription
from licensing.licenses.services import Actor
from tests.factories import OrganizationFactory
from tests.helpers.checkout import confirm, preview, subscribed

Step = CheckoutEvent.Step


def steps(checkout) -> list[str]:
    return list(checkout.events.order_by("pk").values_list("step", flat=True))


def test_it_records_each_step_of_a_confirmed_checkout(organization, catalog, owner, now):
    license = subscribed(organization, catalog, seats=5)
    shown = preview(organization, license, owner, tier="team", seats=8, cycle="monthly")
    checkout = shown.checkout
    assert (checkout.status, checkout.started_by, checkout.started_at) == (
        CheckoutStatus.STARTED,
        owner,
        now,
    )
    assert steps(checkout) == [Step.STARTED]

    recorded = checkout_record_preview(preview=shown)
    assert recorded.status == CheckoutStatus.PREVIEWED and recorded.previewed_at == now
    assert (recorded.tier.slug, recorded.seats, recorded.cycle, recorded.currency) == (
        "team",
        8,
        "monthly",
        "USD",
    )
    assert recorded.amount_due == Decimal("33.10") and recorded.auto_renew is True
    assert checkout.events.get(step=Step.PREVIEWED).data == {
        "tier": "team",
        "seats": 8,
        "cycle": "monthly",
        "amount_due": "33.10",
    }

    confirmed = checkout_confirm(
        checkout=checkout, target=shown.target, digest=shown.digest, actor=Actor.of(owner)
    )
    assert confirmed.status == CheckoutStatus.CONFIRMED and confirmed.confirmed_at == now
    assert confirmed.license == license and confirmed.scheduled_change is None
    assert checkout.events.get(step=Step.CONFIRMED).data == {
        "invoice": confirmed.invoice.number,
        "scheduled": None,
        "amount_due": "33.10",
    }

    again = checkout_confirm(
        checkout=checkout, target=shown.target, digest=shown.digest, actor=Actor.of(owner)
    )
    assert again.invoice == confirmed.invoice
    assert steps(checkout) == [Step.STARTED, Step.PREVIEWED, Step.CONFIRMED]
    # A confirmed checkout is no longer open: a late preview records nothing.
    checkout_record_preview(preview=shown)
    assert steps(checkout) == [Step.STARTED, Step.PREVIEWED, Step.CONFIRMED]
    assert Checkout.objects.get(pk=checkout.pk).status == CheckoutStatus.CONFIRMED


def test_a_scheduled_decrease_is_named_in_the_confirmed_step(organization, catalog, owner):
    license = subscribed(organization, catalog, "business", seats=12)
    _, checkout = confirm(organization, license, owner, tier="team", seats=8, cycle="monthly")
    data = checkout.events.get(step=Step.CONFIRMED).data
    assert (data["invoice"], data["scheduled"]) == (None, checkout.scheduled_change.pk)
    assert Decimal(data["amount_due"]) == 0


def test_a_refusal_is_recorded(organization, catalog, owner, now):
    checkout = checkout_start(organization=organization, license=None, user=owner)
    checkout_record_refusal(checkout=checkout, why="stale")
    assert steps(checkout) == [Step.STARTED, Step.REFUSED]
    assert checkout.events.get(step=Step.REFUSED).data == {"why": "stale"}


def test_a_checkout_cannot_start_on_another_organizations_license(organization, catalog, owner):
    elsewhere = subscribed(OrganizationFactory(), catalog, seats=5)
    with pytest.raises(ValidationError) as refused:
        checkout_start(organization=organization, license=elsewhere, user=owner)
    assert refused.value.messages == ["The license belongs to another organization."]
    assert Checkout.objects.count() == 0


def test_abandoning_is_recorded_once_and_closes_the_checkout(organization, catalog, owner, now):
    license = subscribed(organization, catalog, seats=5)
    shown = preview(organization, license, owner, tier="team", seats=8, cycle="monthly")
    checkout_record_preview(preview=shown)
    abandoned = checkout_abandon(checkout=shown.checkout)
    assert abandoned.status == CheckoutStatus.ABANDONED and abandoned.abandoned_at == now
    later = now + timedelta(hours=1)
    assert checkout_abandon(checkout=shown.checkout, at=later).abandoned_at == now
    assert steps(shown.checkout) == [Step.STARTED, Step.PREVIEWED, Step.ABANDONED]

    with pytest.raises(CheckoutClosed) as closed:
        checkout_confirm(
            checkout=shown.checkout,
            target=shown.target,
            digest=shown.digest,
            actor=Actor.of(owner),
        )
    assert closed.value.message == "This checkout was closed; start again from your plan."
    license.refresh_from_db()
    assert license.seats == 5 and Invoice.objects.count() == 0
    assert steps(shown.checkout) == [Step.STARTED, Step.PREVIEWED, Step.ABANDONED]


def test_a_confirmed_checkout_is_not_abandoned(organization, catalog, owner):
    license = subscribed(organization, catalog, seats=5)
    _, checkout = confirm(organization, license, owner, tier="team", seats=8, cycle="monthly")
    assert checkout_abandon(checkout=checkout).status == CheckoutStatus.CONFIRMED
    assert Step.ABANDONED not in steps(checkout)


def test_the_sweep_abandons_checkouts_left_open_for_a_day_once(organization, catalog, owner, now):
    license = subscribed(organization, catalog, seats=5)

    def started(hours_ago):
        return checkout_start(
            organization=organization,
            license=license,
            user=owner,
            at=now - timedelta(hours=hours_ago),
        )

    stale_started = started(25)
    shown = preview(organization, license, owner, tier="team", seats=8, cycle="monthly")
    Checkout.objects.filter(pk=shown.checkout.pk).update(started_at=now - timedelta(hours=30))
    shown.checkout.refresh_from_db()
    checkout_record_preview(preview=shown)
    stale_previewed = shown.checkout
    a_day_exactly = started(24)
    recent = started(1)
    _, done = confirm(organization, license, owner, tier="team", seats=6, cycle="monthly")
    Checkout.objects.filter(pk=done.pk).update(started_at=now - timedelta(days=3))

    assert checkouts_abandon_stale() == 2
    statuses = {
        checkout.pk: checkout.status
        for checkout in Checkout.objects.filter(
            pk__in=[stale_started.pk, stale_previewed.pk, a_day_exactly.pk, recent.pk, done.pk]
        )
    }
    assert statuses == {
        stale_started.pk: CheckoutStatus.ABANDONED,
        stale_previewed.pk: CheckoutStatus.ABANDONED,
        a_day_exactly.pk: CheckoutStatus.STARTED,
        recent.pk: CheckoutStatus.STARTED,
        done.pk: CheckoutStatus.CONFIRMED,
    }
    assert Checkout.objects.get(pk=stale_started.pk).abandoned_at == now

    assert checkouts_abandon_stale() == 0
    assert CheckoutEvent.objects.filter(step=Step.ABANDONED).count() == 2
    # Five minutes on, the one started a day ago has been open for more than a day.
    assert checkouts_abandon_stale(at=now + timedelta(minutes=5)) == 1
    assert Checkout.objects.get(pk=a_day_exactly.pk).status == CheckoutStatus.ABANDONED
    assert Checkout.objects.get(pk=recent.pk).status == CheckoutStatus.STARTED
    assert CheckoutEvent.objects.filter(step=Step.ABANDONED).count() == 3
    assert steps(stale_previewed) == [Step.STARTED, Step.PREVIEWED, Step.ABANDONED]


def test_the_current_plan_is_priced_at_its_locked_price(organization, catalog, owner):
    """A subscription keeps the price it locked (here $15 a seat where the catalog now
    says $19): the unused seats are credited and the added ones charged at $15."""
    license = subscribed(organization, catalog, seats=5)
    Subscription.objects.filter(license=license).update(unit_amount=Decimal("15.00"))
    license.refresh_from_db()
    shown, checkout = confirm(organization, license, owner, tier="team", seats=8, cycle="monthly")
    assert [line.amount.amount for line in shown.quote.lines] == [
        Decimal("-43.55"),  # 5 x 15 x 18/31
        Decimal("69.68"),  # 8 x 15 x 18/31
    ]
    assert checkout.invoice.amount_due == Decimal("26.13")
    license.refresh_from_db()
    assert license.subscription.unit_amount == Decimal("15.00")
