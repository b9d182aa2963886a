"""Confirming a change while another is scheduled re-plans the scheduled one, as its
preview said (billing.checkout.changes.replan does the deciding): an upgrade or a move to
annual cancels a downgrade, more seats keep it on its day with those seats, and the
change applied when due is the one quoted, even on a version retired since.

The license in each case (the `downgraded` fixture): Business, 12 seats a month for
March 2026; the owner has scheduled Team with 8 seats and auto-renew off for 1 April."""

from datetime import date, timedelta

import pytest

from billing.checkout.changes import Outcome
from billing.checkout.scheduled import scheduled_change_apply, scheduled_changes_apply_due
from billing.checkout.services import StalePreview, checkout_confirm
from billing.models import ScheduledChangeStatus
from licensing.catalog.publishing import tier_version_retire
from licensing.licenses.services import Actor
from licensing.models import TierVersion, VersionStatus
from tests.helpers.checkout import preview

APRIL_1 = date(2026, 4, 1)


def confirm_shown(shown, owner):
    return checkout_confirm(
        checkout=shown.checkout,
        target=shown.target,
        digest=shown.digest,
        actor=Actor.of(owner, "owner"),
    )


def plan(license):
    license.refresh_from_db()
    subscription = license.subscription
    return (license.version.tier.slug, license.seats, subscription.cycle, license.auto_renew)


def test_an_upgrade_cancels_a_scheduled_downgrade_and_says_so(
    downgraded,
    organization,
    owner,
):
    license = downgraded.license
    shown = preview(organization, license, owner, tier="enterprise", seats=25, cycle="monthly")
    assert shown.pending == downgraded
    assert shown.replan.outcome == Outcome.CANCEL
    assert shown.replan.why == "It would move you back from Enterprise, which you choose now."

    checkout = confirm_shown(shown, owner)

    downgraded.refresh_from_db()
    assert downgraded.status == ScheduledChangeStatus.CANCELED
    assert downgraded.close_reason == (
        f"Checkout {checkout.pk}: It would move you back from Enterprise, which you choose now."
    )
    assert (checkout.replanned_change, checkout.replan_outcome) == (downgraded, "cancel")
    # The day it was due, nothing moves the license back.
    assert scheduled_changes_apply_due(today=APRIL_1) == []
    assert plan(license) == ("enterprise", 25, "monthly", True)


def test_a_move_to_annual_cancels_a_scheduled_downgrade(downgraded, organization, owner):
    license = downgraded.license
    shown = preview(organization, license, owner, tier="business", seats=12, cycle="annual")
    assert shown.replan.outcome == Outcome.CANCEL
    assert "your new annual term runs to 13 March 2027" in shown.replan.why

    confirm_shown(shown, owner)

    downgraded.refresh_from_db()
    assert downgraded.status == ScheduledChangeStatus.CANCELED
    assert scheduled_changes_apply_due(today=APRIL_1) == []
    assert plan(license) == ("business", 12, "annual", True)
    assert (license.term_start, license.term_end) == (date(2026, 3, 14), date(2027, 3, 13))


def test_more_seats_keep_a_scheduled_downgrade_on_its_day_with_those_seats(
    downgraded,
    organization,
    owner,
):
    license = downgraded.license
    shown = preview(organization, license, owner, tier="business", seats=14, cycle="monthly")
    assert shown.replan.outcome == Outcome.ADJUST

    checkout = confirm_shown(shown, owner)

    downgraded.refresh_from_db()
    assert downgraded.status == ScheduledChangeStatus.SCHEDULED
    assert (downgraded.effective_on, downgraded.seats, downgraded.auto_renew) == (
        APRIL_1,
        14,
        False,
    )
    assert downgraded.summary == "Move to Team; end at the term's close"
    assert (downgraded.price.version_id, downgraded.price.cycle) == (
        downgraded.version_id,
        "monthly",
    )
    assert checkout.replan_outcome == "adjust"
    assert plan(license) == ("business", 14, "monthly", True)
    scheduled_changes_apply_due(today=APRIL_1)
    assert plan(license) == ("team", 14, "monthly", False)


def test_more_seats_than_the_scheduled_tier_takes_cancel_it(downgraded, organization, owner):
    license = downgraded.license
    shown = preview(organization, license, owner, tier="business", seats=16, cycle="monthly")
    assert shown.replan.why == "Team cannot take the 16 seats you choose now."

    confirm_shown(shown, owner)

    downgraded.refresh_from_db()
    assert downgraded.status == ScheduledChangeStatus.CANCELED
    assert scheduled_changes_apply_due(today=APRIL_1) == []
    assert plan(license) == ("business", 16, "monthly", True)


def test_a_new_decrease_replaces_the_scheduled_one(downgraded, organization, owner):
    license = downgraded.license
    shown = preview(organization, license, owner, tier="business", seats=10, cycle="monthly")
    assert shown.replan.outcome == Outcome.REPLACE

    checkout = confirm_shown(shown, owner)

    downgraded.refresh_from_db()
    assert downgraded.status == ScheduledChangeStatus.CANCELED
    assert checkout.scheduled_change.status == ScheduledChangeStatus.SCHEDULED
    scheduled_changes_apply_due(today=APRIL_1)
    assert plan(license) == ("business", 10, "monthly", True)


def test_a_change_canceled_since_the_preview_makes_it_stale(downgraded, organization, owner):
    license = downgraded.license
    shown = preview(organization, license, owner, tier="enterprise", seats=25, cycle="monthly")
    # What the preview said of the scheduled change no longer holds once it is gone.
    downgraded.status = ScheduledChangeStatus.CANCELED
    downgraded.save()

    with pytest.raises(StalePreview) as refused:
        confirm_shown(shown, owner)

    assert refused.value.preview.pending is None
    assert plan(license) == ("business", 12, "monthly", True)


def test_a_change_applies_the_version_it_quoted_even_if_retired_since(downgraded, now):
    quoted = downgraded.version
    business = TierVersion.objects.get(tier__slug="business", status=VersionStatus.PUBLISHED)
    tier_version_retire(
        version=quoted,
        successor=business,
        notice_date=now.date() + timedelta(days=90),
        reason="Team is discontinued.",
    )
    quoted.refresh_from_db()
    assert quoted.status == VersionStatus.RETIRED

    applied = scheduled_change_apply(change=downgraded, today=APRIL_1)

    assert applied.status == ScheduledChangeStatus.APPLIED
    license = downgraded.license
    license.refresh_from_db()
    assert (license.version_id, license.seats, license.auto_renew) == (quoted.pk, 8, False)
    assert license.subscription.price_source_id == downgraded.price_id
