"""Trial races on PostgreSQL: "End now" and the conversion at the same moment close the
trial once; two tiers started at once by an organization without a license give one
trial license and one trial, the loser told why (never a database error)."""

from datetime import timedelta

import pytest

from billing.checkout.services import checkout_confirm
from billing.models import SubscriptionEvent, SubscriptionEventKind
from licensing.licenses.services import Actor
from licensing.models import License, Tier, Trial, TrialStatus
from licensing.trials.services import trial_end, trial_start
from tests.factories import OrganizationFactory
from tests.helpers.checkout import preview, subscribed
from tests.helpers.concurrency import run_together
from tests.helpers.services import NEEDS_POSTGRESQL
from tests.helpers.trials import running_trial

pytestmark = pytest.mark.integration

CLOSE_KINDS = (
    SubscriptionEventKind.TRIAL_CONVERTED,
    SubscriptionEventKind.TRIAL_ENDED,
    SubscriptionEventKind.TRIAL_REVERTED,
)


@NEEDS_POSTGRESQL
@pytest.mark.django_db(transaction=True)
def test_end_now_and_conversion_at_once_close_the_trial_once(organization, catalog, owner, now):
    license = subscribed(organization, catalog, seats=12)
    trial = running_trial(license, "business", starts_at=now - timedelta(days=5))
    shown = preview(organization, license, owner, tier="business", seats=12, cycle="monthly")
    actor = Actor.of(owner, "owner")

    outcomes = run_together(
        [
            lambda: checkout_confirm(
                checkout=shown.checkout, target=shown.target, digest=shown.digest, actor=actor
            ),
            lambda: trial_end(trial=Trial.objects.get(pk=trial.pk), actor=actor),
        ]
    )

    trial.refresh_from_db()
    assert trial.status in (TrialStatus.CONVERTED, TrialStatus.ENDED), outcomes
    closes = SubscriptionEvent.objects.filter(trial=trial, kind__in=CLOSE_KINDS)
    assert closes.count() == 1, (outcomes, list(closes.values_list("kind", flat=True)))
    for outcome in outcomes:
        if isinstance(outcome, Exception):
            # Only a clear refusal, never a database error.
            assert "Stale" in type(outcome).__name__ or hasattr(outcome, "messages"), repr(outcome)


@NEEDS_POSTGRESQL
@pytest.mark.django_db(transaction=True)
def test_two_tiers_started_at_once_without_a_license_give_one_trial_license(catalog, now):
    newcomer = OrganizationFactory(name="Umbrella", slug="umbrella")
    actor = Actor(label="owner")
    outcomes = run_together(
        [
            lambda: trial_start(
                organization=newcomer, tier=Tier.objects.get(slug="team"), actor=actor
            ),
            lambda: trial_start(
                organization=newcomer, tier=Tier.objects.get(slug="business"), actor=actor
            ),
        ]
    )
    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert len(errors) == 1, outcomes
    assert hasattr(errors[0], "messages"), repr(errors[0])  # a ValidationError, not a 500
    assert License.objects.filter(organization=newcomer).count() == 1
    assert Trial.objects.filter(organization=newcomer).count() == 1
