"""What the trial panel and emails read (licensing.trials.selectors): the trial in force,
and its summary: days left, the trial tier's features the own plan lacks with how often
each was used during the trial (never-used ones too), and usage against its limits."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from licensing.licenses.services import Actor
from licensing.models import Feature, FeatureUse, Tier
from licensing.trials.selectors import running_trial, trial_summary
from licensing.trials.services import trial_end, trial_start

END = datetime(2026, 3, 28, tzinfo=UTC)


@pytest.fixture
def trial(issued, catalog):
    business = Tier.objects.get(slug="business")
    return trial_start(
        organization=issued.license.organization, tier=business, actor=Actor(label="owner")
    ).trial


def used(license, key, count, at):
    FeatureUse.objects.create(
        license=license,
        feature=Feature.objects.get(key=key),
        count=count,
        used_at=at,
        idempotency_key=str(uuid.uuid4()),
        batch=uuid.uuid4(),
    )


def test_the_running_trial_is_the_one_in_force(issued, trial, now):
    assert running_trial(issued.license, now) == trial
    assert running_trial(issued.license, END) is None
    trial_end(trial=trial, actor=Actor(label="owner"))
    assert running_trial(issued.license, now) is None


def test_the_summary_counts_the_extra_features_used_during_the_trial(issued, trial, now):
    license = issued.license
    used(license, "audit-log", 3, now + timedelta(hours=1))
    used(license, "audit-log", 4, now + timedelta(days=2))
    used(license, "audit-log", 50, now - timedelta(hours=1))  # before the trial
    used(license, "audit-log", 60, END)  # after its end
    used(license, "coupons", 9, now + timedelta(hours=1))  # Team has it: not listed

    summary = trial_summary(trial, now + timedelta(days=20))

    features = {feature.key: feature.times_used for feature in summary.features}
    assert features["audit-log"] == 7
    assert "coupons" not in features
    assert 0 in features.values()  # never-used ones are listed too
    assert [f.key for f in summary.features_used] == ["audit-log"]
    assert all(f.outcome for f in summary.features)
    assert (summary.days_left, summary.last_day) == (0, END.date() - timedelta(days=1))
    limits = {meter.grant.metric.key: meter.state.limit for meter in summary.usage}
    assert limits["api-calls"] == 1_000_000  # Business's, not Team's 100,000


def test_days_left_count_down_by_business_date(trial, now):
    assert trial_summary(trial, now).days_left == 14
    assert trial_summary(trial, END - timedelta(hours=1)).days_left == 1


def test_a_trial_license_lists_every_feature_of_its_tier(organization, catalog):
    business = Tier.objects.get(slug="business")
    trial = trial_start(organization=organization, tier=business, actor=Actor(label="o")).trial
    summary = trial_summary(trial, trial.starts_at)
    assert {f.key for f in summary.features} == set(
        trial.version.feature_rows.values_list("feature__key", flat=True)
    )
