""" "End now" on a trial the clock has already ended (its end passed, the closing job not
run yet) is not the customer's choice: refused with the day it ended, nothing on record,
left for the job to close as run out."""

from datetime import timedelta

import time_machine

from billing.models import SubscriptionEvent, SubscriptionEventKind
from licensing.models import Trial, TrialStatus
from licensing.trials.services import trial_revert
from tests.helpers.checkout import subscribed
from tests.helpers.trials import running_trial


def test_end_now_after_the_end_is_refused_and_left_to_run_out(
    client_for, owner, organization, catalog, now
):
    license = subscribed(organization, catalog, seats=5)
    trial = running_trial(license, "business", starts_at=now - timedelta(days=4))
    late = trial.ends_at + timedelta(hours=3)
    with time_machine.travel(late, tick=False):
        response = client_for(owner).post(
            f"/app/{organization.slug}/trials/{trial.pk}/end/", {"reason": "Too late?"}
        )

    assert response.status_code == 409
    assert "This trial already ended on 24 March 2026." in response.content.decode()
    assert Trial.objects.get(pk=trial.pk).status == TrialStatus.RUNNING
    assert not SubscriptionEvent.objects.filter(trial=trial).exists()

    assert trial_revert(trial=trial, at=late)
    kinds = list(SubscriptionEvent.objects.filter(trial=trial).values_list("kind", flat=True))
    assert kinds == [SubscriptionEventKind.TRIAL_REVERTED]


def test_end_now_before_the_end_is_still_the_customers(
    client_for, owner, organization, catalog, now
):
    license = subscribed(organization, catalog, seats=5)
    trial = running_trial(license, "business", starts_at=now - timedelta(days=4))
    with time_machine.travel(trial.ends_at - timedelta(hours=1), tick=False):
        response = client_for(owner).post(
            f"/app/{organization.slug}/trials/{trial.pk}/end/", {"reason": ""}
        )

    assert response.status_code == 302
    assert Trial.objects.get(pk=trial.pk).status == TrialStatus.ENDED
