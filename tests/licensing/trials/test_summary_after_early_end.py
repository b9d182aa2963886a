"""A trial's summary (admin, emails) counts feature use only while the trial ran: one
ended early stops counting at the moment it was closed, not at its planned end."""

from datetime import timedelta

from licensing.licenses.services import Actor
from licensing.models import Tier
from licensing.trials.selectors import trial_summary
from licensing.trials.services import trial_end, trial_start
from licensing.usage.features import FeatureReport, feature_use_record_batch


def _report(license, key, count, at):
    feature_use_record_batch(
        license=license, reports=[FeatureReport("audit-log", count, key, used_at=at)], at=at
    )


def test_use_after_an_early_end_is_not_counted_as_trial_use(issued, catalog, now):
    trial = trial_start(
        organization=issued.license.organization,
        tier=Tier.objects.get(slug="business"),
        actor=Actor(label="owner"),
    ).trial
    _report(issued.license, "during", 2, now + timedelta(days=1))
    trial = trial_end(trial=trial, actor=Actor(label="owner"), at=now + timedelta(days=2))
    _report(issued.license, "after-the-end", 7, now + timedelta(days=5))

    summary = trial_summary(trial, now + timedelta(days=6))

    assert {f.key: f.times_used for f in summary.features}["audit-log"] == 2
