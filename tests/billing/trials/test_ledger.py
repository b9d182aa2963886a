"""Trials on the commercial ledger (issue 19, must-have 6): each way a trial changes —
started, extended by staff, ended by the customer, reverted by the job — writes exactly
one SubscriptionEvent of its kind, caused by the trial, in the trial's transaction, with
the trial's tier, version and dates; no money moves (MRR before == after). Conversion
(both kinds) is tests/billing/trials/test_conversion.py's. "Now" is 14 March 2026."""

from datetime import timedelta
from unittest import mock

import pytest

from billing.ledger.selectors import mrr_at
from billing.models import SubscriptionEvent, SubscriptionEventKind
from licensing.licenses.services import Actor
from licensing.models import Tier, Trial, TrialStatus
from licensing.trials.services import trial_end, trial_extend, trial_revert, trial_start
from tests.factories import OrganizationFactory
from tests.helpers.checkout import subscribed
from tests.helpers.licenses import SYSTEM

from .conftest import END


def _trial_events(license) -> list[SubscriptionEvent]:
    return list(
        SubscriptionEvent.objects.filter(license=license, trial__isnull=False).order_by("pk")
    )


@pytest.fixture
def paying(organization, catalog, owner, now):
    """Team, 12 seats a month, starting a 14-day Business trial now."""
    license = subscribed(organization, catalog, seats=12)
    trial = trial_start(
        organization=organization,
        tier=Tier.objects.get(slug="business"),
        actor=Actor.of(owner, "owner"),
    ).trial
    return license, trial


def test_a_paying_customers_start_is_one_event_with_no_money_moved(paying, owner, now):
    license, trial = paying

    [event] = _trial_events(license)

    assert event.kind == SubscriptionEventKind.TRIAL_STARTED
    assert event.cause == trial and event.subscription == license.subscription
    assert (event.mrr_before, event.mrr_after) == (22800, 22800)  # Team, 12 x $19
    assert event.currency_id == "USD" and event.effective_at == now
    # What the subscription stays on (Team), and the trial beside it.
    assert event.version == license.version and event.seats == 12
    assert event.after["trial"] == {
        "tier": "business",
        "version": trial.version.number,
        "starts_at": now.isoformat(),
        "ends_at": END.isoformat(),
        "status": TrialStatus.RUNNING,
    }
    assert "trial" not in event.before
    assert event.actor == owner and event.reason == "Trial of Business started."
    assert mrr_at(now) == {"USD": 22800}


def test_a_new_organizations_start_is_one_event_without_a_subscription(catalog, now):
    newcomer = OrganizationFactory(name="Umbrella", slug="umbrella")
    trial = trial_start(organization=newcomer, tier=Tier.objects.get(slug="team"), actor=SYSTEM)
    license = trial.trial.license

    [event] = _trial_events(license)

    assert event.kind == SubscriptionEventKind.TRIAL_STARTED
    assert event.subscription is None and event.currency is None
    assert (event.mrr_before, event.mrr_after) == (0, 0)
    assert event.license == license and event.version == license.version
    assert event.after["trial"]["tier"] == "team"
    # Nothing is brought in, in no currency.
    assert mrr_at(now) == {}


def test_ended_by_the_customer_is_one_event(paying, owner, now):
    license, trial = paying
    later = now + timedelta(days=3)

    trial_end(trial=trial, actor=Actor.of(owner, "owner"), reason="Not for us.", at=later)
    trial_end(trial=trial, actor=Actor.of(owner, "owner"), at=later)  # closed: nothing

    _, ended = _trial_events(license)
    assert ended.kind == SubscriptionEventKind.TRIAL_ENDED
    assert ended.trial == trial and ended.effective_at == later
    assert (ended.mrr_before, ended.mrr_after) == (22800, 22800)
    assert ended.before["trial"]["status"] == TrialStatus.RUNNING
    assert ended.after["trial"]["status"] == TrialStatus.ENDED
    assert ended.after["trial"]["ended_at"] == later.isoformat()
    assert ended.reason == "Not for us."


def test_reverted_by_the_job_is_one_event_however_often_it_runs(paying, now):
    license, trial = paying
    late = END + timedelta(hours=5)

    assert trial_revert(trial=trial, at=late)
    assert not trial_revert(trial=trial, at=late)

    _, reverted = _trial_events(license)
    assert reverted.kind == SubscriptionEventKind.TRIAL_REVERTED
    assert reverted.actor is None and reverted.effective_at == late
    assert (reverted.mrr_before, reverted.mrr_after) == (22800, 22800)
    assert reverted.after["trial"]["status"] == TrialStatus.REVERTED


def test_a_trial_licenses_revert_is_one_event_without_money(catalog, now):
    newcomer = OrganizationFactory(name="Umbrella", slug="umbrella")
    trial = trial_start(
        organization=newcomer, tier=Tier.objects.get(slug="team"), actor=SYSTEM
    ).trial

    trial_revert(trial=trial, at=trial.ends_at)

    kinds = [(e.kind, e.subscription_id, e.mrr_after) for e in _trial_events(trial.license)]
    assert kinds == [
        (SubscriptionEventKind.TRIAL_STARTED, None, 0),
        (SubscriptionEventKind.TRIAL_REVERTED, None, 0),
    ]


def test_extended_by_staff_is_one_event_with_the_dates_before_and_after(paying, admin_user, now):
    license, trial = paying

    trial_extend(
        trial=trial, days=7, actor=Actor.of(admin_user, "admin"), reason="Asked at the demo."
    )

    _, extended = _trial_events(license)
    assert extended.kind == SubscriptionEventKind.TRIAL_EXTENDED
    assert extended.before["trial"]["ends_at"] == END.isoformat()
    assert extended.after["trial"]["ends_at"] == (END + timedelta(days=7)).isoformat()
    assert extended.actor == admin_user and extended.reason == "Asked at the demo."
    assert extended.mrr_before == extended.mrr_after


def test_a_refused_trial_change_writes_no_event(paying, now):
    license, trial = paying
    with pytest.raises(Exception, match="Say why"):
        trial_extend(trial=trial, days=7, actor=SYSTEM, reason=" ")
    assert len(_trial_events(license)) == 1


def test_the_event_is_in_the_trials_transaction(paying, owner, now):
    """A ledger that cannot be written leaves the trial as it was: one transaction."""
    license, trial = paying
    with (
        mock.patch.object(SubscriptionEvent, "save", side_effect=RuntimeError("disk full")),
        pytest.raises(RuntimeError),
    ):
        trial_end(trial=trial, actor=Actor.of(owner, "owner"))

    assert Trial.objects.get(pk=trial.pk).status == TrialStatus.RUNNING
    assert len(_trial_events(license)) == 1
