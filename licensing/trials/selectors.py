"""What the dashboard's trial panel and the trial emails read: the trial in force, and a
trial's summary (days left, the extra features used and how often, usage against the
trial tier's limits)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Sum
from django.utils import timezone

from licensing.licenses.continuity import entitlements_on
from licensing.licenses.entitlements import trials_in_force
from licensing.models import (
    FeatureUse,
    License,
    LicenseStatus,
    TierVersionFeature,
    Trial,
)
from licensing.trials import rules
from licensing.usage.services import Meter, license_meters


def running_trial(license: License, at: datetime) -> Trial | None:
    """The license's trial in force at `at` (running, inside its window), or None."""
    return trials_in_force(license_ids=[license.pk], at=at).get(license.pk)


@dataclass(frozen=True)
class FeatureUsed:
    key: str
    name: str
    outcome: str  # one line: what it does
    times_used: int  # 0: never used during the trial


@dataclass(frozen=True)
class TrialSummary:
    trial: Trial
    days_left: int
    last_day: date
    features: list[FeatureUsed]  # the trial tier's features the own plan lacks
    usage: list[Meter]  # against the effective limits while the trial is in force

    @property
    def features_used(self) -> list[FeatureUsed]:
        return [feature for feature in self.features if feature.times_used]


def _extra_feature_rows(trial: Trial) -> list[TierVersionFeature]:
    """The trial version's features the license's own plan lacks: all of them for a trial
    license (its plan is the trial)."""
    license = trial.license
    rows = TierVersionFeature.objects.filter(version_id=trial.version_id).select_related("feature")
    if license.status == LicenseStatus.TRIALING or license.version_id == trial.version_id:
        return list(rows)
    own = TierVersionFeature.objects.filter(version_id=license.version_id).values("feature_id")
    return list(rows.exclude(feature_id__in=own))


def trial_summary(trial: Trial, at: datetime) -> TrialSummary:
    """The trial at `at`: features used counted from its start to `at`, its end or the
    moment it was closed (ended early), whichever is first; usage as it stood then,
    against the license's effective limits with the trial in force (license_entitlements:
    the same figures as the dashboard)."""
    until = min(at, trial.ends_at, trial.ended_at or trial.ends_at)
    rows = _extra_feature_rows(trial)
    counts = dict(
        FeatureUse.objects.filter(
            license_id=trial.license_id,
            feature_id__in=[row.feature_id for row in rows],
            used_at__gte=trial.starts_at,
            used_at__lt=until,
        )
        .values_list("feature_id")
        .annotate(total=Sum("count"))
        .order_by()
    )
    # The license's effective entitlements with the trial in force (the dashboard's
    # meters and the API read the same): add-ons and an admin's override included.
    # A closed trial is read as it ran: at its last moment, on the trial's version.
    running = trial.in_force(at)
    measured_at = at if running else until - timedelta(microseconds=1)
    entitlements = (
        None
        if running
        else entitlements_on(license=trial.license, version=trial.version, at=measured_at)
    )
    return TrialSummary(
        trial=trial,
        days_left=rules.days_left(ends_at=trial.ends_at, today=timezone.localdate(at)),
        last_day=rules.last_day(trial.ends_at),
        features=[
            FeatureUsed(
                key=row.feature.key,
                name=row.feature.name,
                outcome=row.feature.outcome,
                times_used=counts.get(row.feature_id, 0),
            )
            for row in rows
        ],
        usage=license_meters(license=trial.license, at=measured_at, entitlements=entitlements),
    )
