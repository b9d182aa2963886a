"""billing.checkout.scheduled: a decrease the customer confirmed waits for the end of the
term; they can cancel it (with a reason, once) until then, and when it is due it moves the
license and its subscription through their services, keeping every active machine."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from billing.checkout.scheduled import (
    scheduled_change_apply,
    scheduled_change_cancel,
    scheduled_changes_apply_due,
)
from billing.models import ScheduledChange, ScheduledChangeStatus, SubscriptionEvent
from licensing.licenses.services import machine_activate
from licensing.models import LicenseEvent
from tests.factories import OrganizationFactory
from tests.helpers.checkout import confirm, subscribed
from tests.helpers.licenses import SYSTEM

APRIL_1 = date(2026, 4, 1)
APRIL_1_MORNING = datetime(2026, 4, 1, 6, 0, tzinfo=UTC)


def ledger(license):
    return {
        "license": list(license.events.order_by("pk").values_list("kind", flat=True)),
        "subscription": list(
            SubscriptionEvent.objects.filter(subscription__license=license)
            .order_by("pk")
            .values_list("kind", flat=True)
        ),
    }


def test_it_schedules_the_whole_later_plan(downgraded, owner):
    change = downgraded
    assert change.status == ScheduledChangeStatus.SCHEDULED
    assert change.effective_on == APRIL_1
    assert (change.version.tier.slug, change.seats, change.cycle, change.auto_renew) == (
        "team",
        8,
        "monthly",
        False,
    )
    assert (change.price.amount, change.price.currency_id) == (Decimal("19.00"), "USD")
    assert change.created_by == owner
    assert change.summary == "Move to Team; 8 seats; end at the term's close"


# --- Cancelling ------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   "])
def test_cancelling_needs_a_reason(downgraded, owner, reason):
    with pytest.raises(ValidationError) as refused:
        scheduled_change_cancel(change=downgraded, user=owner, reason=reason)
    assert refused.value.messages == ["Say why; the reason is kept on record."]
    downgraded.refresh_from_db()
    assert downgraded.status == ScheduledChangeStatus.SCHEDULED and downgraded.closed_at is None


def test_cancelling_keeps_the_plan_and_records_who_and_why(downgraded, owner, now):
    license = downgraded.license
    before = ledger(license)
    canceled = scheduled_change_cancel(change=downgraded, user=owner, reason="  We grew.  ")
    downgraded.refresh_from_db()
    assert downgraded.status == ScheduledChangeStatus.CANCELED == canceled.status
    assert (downgraded.closed_by, downgraded.close_reason, downgraded.closed_at) == (
        owner,
        "We grew.",
        now,
    )
    license.refresh_from_db()
    assert (license.version.tier.slug, license.seats, license.auto_renew) == ("business", 12, True)
    assert ledger(license) == before


def test_a_change_is_cancelled_once(downgraded, owner):
    scheduled_change_cancel(change=downgraded, user=owner, reason="We grew.")
    with pytest.raises(ValidationError) as refused:
        scheduled_change_cancel(change=downgraded, user=owner, reason="Again.")
    assert refused.value.messages == ["This change is already canceled; nothing to cancel."]
    downgraded.refresh_from_db()
    assert downgraded.close_reason == "We grew."


def test_an_applied_change_cannot_be_cancelled(downgraded, owner):
    scheduled_change_apply(change=downgraded, at=APRIL_1_MORNING)
    with pytest.raises(ValidationError) as refused:
        scheduled_change_cancel(change=downgraded, user=owner, reason="Too late.")
    assert refused.value.messages == ["This change is already applied; nothing to cancel."]


def test_a_cancelled_change_is_never_applied(downgraded, owner):
    scheduled_change_cancel(change=downgraded, user=owner, reason="We grew.")
    assert scheduled_changes_apply_due(today=APRIL_1) == []
    again = scheduled_change_apply(change=downgraded, at=APRIL_1_MORNING)
    assert again.status == ScheduledChangeStatus.CANCELED
    downgraded.license.refresh_from_db()
    assert downgraded.license.version.tier.slug == "business"


# --- Applying --------------------------------------------------------------------------


def test_it_is_not_applied_before_its_day(downgraded):
    license = downgraded.license
    before = ledger(license)
    with pytest.raises(ValidationError) as refused:
        scheduled_change_apply(change=downgraded, today=date(2026, 3, 31))
    assert refused.value.messages == ["This change takes effect on 1 April 2026, not before."]
    downgraded.refresh_from_db()
    license.refresh_from_db()
    assert downgraded.status == ScheduledChangeStatus.SCHEDULED
    assert (license.version.tier.slug, license.seats) == ("business", 12)
    assert ledger(license) == before


def test_applying_moves_the_license_and_subscription_through_their_services(downgraded):
    license = downgraded.license
    before = ledger(license)
    applied = scheduled_change_apply(change=downgraded, at=APRIL_1_MORNING)
    assert applied.status == ScheduledChangeStatus.APPLIED
    assert applied.closed_at == APRIL_1_MORNING
    assert applied.close_reason == "Applied at the end of the term."
    license.refresh_from_db()
    subscription = license.subscription
    assert (license.version.tier.slug, license.seats, license.auto_renew) == ("team", 8, False)
    assert (subscription.unit_amount, subscription.per_seat, subscription.min_seats) == (
        Decimal("19.00"),
        True,
        3,
    )
    assert (subscription.cycle, subscription.currency_id) == ("monthly", "USD")
    after = ledger(license)
    # The licensing ledger: the tier, the seats, then auto-renew (a term setting).
    assert after["license"][len(before["license"]) :] == ["version", "seats", "auto_renew"]
    # The commercial ledger: one event per thing moved, each caused by the scheduled
    # change, the MRR chained from Business's to Team's 8 seats at $19 a month.
    assert after["subscription"][len(before["subscription"]) :] == [
        "downgraded",
        "seats_removed",
        "auto_renew_off",
    ]
    events = list(subscription.events.order_by("-pk")[:3])[::-1]
    assert {event.scheduled_change for event in events} == {downgraded}
    assert {(event.checkout, event.operation) for event in events} == {(None, None)}
    assert events[0].mrr_before == subscription.events.order_by("-pk")[3].mrr_after
    assert [event.mrr_before for event in events[1:]] == [e.mrr_after for e in events[:-1]]
    assert events[-1].mrr_after == 8 * 1900
    assert {event.effective_at for event in events} == {APRIL_1_MORNING}
    reasons = set(
        LicenseEvent.objects.filter(license=license, happened_at=APRIL_1_MORNING).values_list(
            "reason", flat=True
        )
    )
    assert reasons == {
        f"Scheduled change {downgraded.pk}: Move to Team; 8 seats; end at the term's close."
    }


def test_machines_beyond_the_new_seats_stay_and_new_ones_are_refused(downgraded):
    license = downgraded.license
    scheduled_change_apply(change=downgraded, at=APRIL_1_MORNING)
    license.refresh_from_db()
    assert license.machines.active().count() == 10
    with pytest.raises(ValidationError) as refused:
        machine_activate(license=license, fingerprint="machine-new", actor=SYSTEM)
    assert refused.value.messages == ["All 8 machine activations are in use; deactivate one first."]
    assert license.machines.count() == 10


def test_applying_twice_does_nothing_more(downgraded):
    license = downgraded.license
    scheduled_change_apply(change=downgraded, at=APRIL_1_MORNING)
    once = ledger(license)
    again = scheduled_change_apply(change=downgraded, at=datetime(2026, 4, 2, tzinfo=UTC))
    assert again.status == ScheduledChangeStatus.APPLIED
    assert again.closed_at == APRIL_1_MORNING
    assert ledger(license) == once


def test_apply_due_applies_only_what_is_due(organization, catalog, owner, downgraded):
    other_org = OrganizationFactory()
    other = subscribed(
        other_org,
        catalog,
        "business",
        seats=12,
        cycle="annual",
        term_start=date(2026, 1, 1),
        term_end=date(2026, 12, 31),
    )
    _, later_checkout = confirm(other_org, other, owner, tier="business", seats=10, cycle="annual")
    later = later_checkout.scheduled_change
    assert later.effective_on == date(2027, 1, 1)

    assert scheduled_changes_apply_due(today=date(2026, 3, 31)) == []
    applied = scheduled_changes_apply_due(today=APRIL_1)
    assert [change.pk for change in applied] == [downgraded.pk]
    later.refresh_from_db()
    other.refresh_from_db()
    assert later.status == ScheduledChangeStatus.SCHEDULED and other.seats == 12
    assert scheduled_changes_apply_due(today=APRIL_1) == []
    assert ScheduledChange.objects.filter(status=ScheduledChangeStatus.APPLIED).count() == 1
