"""A trial license suspended by staff (a hold placed while it was trialing) whose trial
closes meanwhile, ended by the customer or reverted at its end: the license expires with
its trial as an unsuspended one does, its hold kept on record. Before, it stayed
suspended, and lifting the hold sent it back to trialing: the key validated again on the
trial tier until the trial's planned end, after the customer had ended it, and a trial
reverted while suspended left a "trialing" license behind for good. "Now" is 14 March
2026; a 14-day Business trial ends at 00:00 UTC on 28 March."""

from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import ValidationError

from licensing.licenses.services import Actor, license_reinstate, license_suspend
from licensing.models import HoldSource, License, LicenseStatus, Tier
from licensing.trials.services import trial_end, trial_extend, trial_revert, trial_start

STAFF = Actor(label="staff")
END = datetime(2026, 3, 28, tzinfo=UTC)


@pytest.fixture
def suspended_trial(organization, catalog, now):
    started = trial_start(
        organization=organization,
        tier=Tier.objects.get(slug="business"),
        actor=Actor(label="owner"),
    )
    license_suspend(
        license=License.objects.get(pk=started.trial.license_id),
        actor=STAFF,
        reason="Checking a payment dispute.",
    )
    return started


def test_ended_now_while_suspended_it_expires_and_lifting_the_hold_brings_nothing_back(
    suspended_trial, api
):
    trial_end(trial=suspended_trial.trial, actor=Actor(label="owner"))

    license = License.objects.get(pk=suspended_trial.trial.license_id)
    assert (license.status, license.term_end) == (LicenseStatus.EXPIRED, date(2026, 3, 14))
    assert license.holds.get(source=HoldSource.ADMIN).lifted_at is None  # kept on record
    with pytest.raises(ValidationError):
        license_reinstate(license=license, actor=STAFF, reason="Dispute settled.")
    answer = api("licenses/validate", {"key": suspended_trial.key}).json()
    assert (answer["valid"], answer["code"]) == (False, "expired")


def test_reverted_while_suspended_it_expires(suspended_trial):
    assert trial_revert(trial=suspended_trial.trial, at=END)

    license = License.objects.get(pk=suspended_trial.trial.license_id)
    assert (license.status, license.term_end) == (LicenseStatus.EXPIRED, date(2026, 3, 27))


def test_extended_while_suspended_its_term_follows(suspended_trial):
    trial_extend(trial=suspended_trial.trial, days=7, actor=STAFF, reason="Asked for a week.")

    license = License.objects.get(pk=suspended_trial.trial.license_id)
    assert license.term_end == date(2026, 4, 3)
