"""A license's effective entitlements: its TierVersion (raised, never lowered, by a running
trial's version while `starts_at <= at < ends_at`: licensing.models.trials), plus add-ons,
plus the admin's overrides that are in force. The trial's extra grants end at its
`ends_at`, and a limit it raises carries the plan's own value after it (`then`), so the
API, its cached answers and license files fall back at that moment by themselves, whether
or not the job that closes trials has run. The rule is licensing.licenses.grants.resolve (pure,
table-tested and mutated); `license_entitlements` gathers the rows for it. Pages, the API,
license files and usage checks all call license_entitlements, so they cannot disagree.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from licensing.catalog.frozen import frozen_catalog
from licensing.licenses.grants import (
    AddonPart,
    Entitlements,
    FeatureInfo,
    MetricInfo,
    OverridePart,
    TierLimit,
    TrialPart,
    resolve,
)
from licensing.models import (
    USABLE_STATUSES,
    EntitlementOverride,
    License,
    LicenseAddon,
    ResetPeriod,
    TierVersionFeature,
    TierVersionLimit,
    Trial,
    TrialStatus,
    parse_thresholds,
)
from portal import clock


def _feature(feature) -> FeatureInfo:
    return FeatureInfo(feature.key, feature.name, feature.category)


def _metric(metric) -> MetricInfo:
    return MetricInfo(
        metric.key,
        metric.name,
        metric.unit,
        is_level=metric.reset_period == ResetPeriod.NEVER,
        order=metric.order,
    )


def trials_in_force(*, license_ids: list[int], at: datetime) -> dict[int, Trial]:
    """License id -> its trial in force at `at` (running, inside its window), with its
    tier: one query, whatever the number of licenses."""
    found = Trial.objects.filter(
        license_id__in=license_ids,
        status=TrialStatus.RUNNING,
        starts_at__lte=at,
        ends_at__gt=at,
    ).select_related("tier", "version")
    return {trial.license_id: trial for trial in found}


def trial_data(trial) -> dict:
    """A trial in force, as license files and API answers name it."""
    return {
        "tier": {"slug": trial.tier.slug, "name": trial.tier.name},
        "version": trial.version.number,
        "ends_at": trial.ends_at.isoformat(),
    }


def license_entitlements(
    *, license: License, at: datetime | None = None, with_trial: bool = True
) -> Entitlements:
    """Three queries however many add-ons or overrides (its trial, add-ons, overrides;
    two more for add-ons' parts when it has any), once this process holds the catalog.
    `with_trial=False`: the plan bought, without a trial in force (what may be bought on
    it, such as seats, is the plan's, not the trial's)."""
    at = at or clock.now()
    return licenses_entitlements(licenses=[license], at=at, with_trial=with_trial)[license.pk]


def usable_entitlements(*, license: License, status: str, at: datetime) -> Entitlements:
    """What the customer's software may grant at `at`, as the API tells it: the license's
    entitlements while `status`, its status by the clock (services.license_status_at),
    is usable; nothing once it is suspended, canceled or expired (by the clock: whether
    or not the job that closes it has run). The status says why."""
    if status not in USABLE_STATUSES:
        return Entitlements()
    return license_entitlements(license=license, at=at)


def usable_trial(*, license: License, status: str, at: datetime) -> Trial | None:
    """The trial in force at `at` that the license runs on, by usable_entitlements' rule:
    none while `status` (by the clock) is not usable. A suspended, canceled or expired
    license grants nothing, its trial's tier and limits included, so no answer, file or
    page names the trial as in force; it still ends when it ends."""
    if status not in USABLE_STATUSES:
        return None
    return trials_in_force(license_ids=[license.pk], at=at).get(license.pk)


def licenses_entitlements(
    *, licenses: list[License], at: datetime, with_trial: bool = True
) -> dict[int, Entitlements]:
    """license_entitlements of many licenses (a batch of reminders) in as many queries
    for all of them, whatever their number: license id -> its entitlements, the same answer
    as license_entitlements gives for each."""
    license_ids = [license.pk for license in licenses]
    trials = trials_in_force(license_ids=license_ids, at=at) if license_ids and with_trial else {}
    version_ids = {license.version_id for license in licenses} | {
        trial.version_id for trial in trials.values()
    }
    features, limits = _version_parts(version_ids)
    addons: dict[int, list] = defaultdict(list)
    for row in (
        LicenseAddon.objects.filter(license_id__in=license_ids)
        .select_related("addon")
        .prefetch_related("addon__features", "addon__limit_rows__metric")
    ):
        addons[row.license_id].append(row)
    overrides: dict[int, list] = defaultdict(list)
    for row in EntitlementOverride.objects.filter(license_id__in=license_ids).select_related(
        "feature", "metric"
    ):
        overrides[row.license_id].append(row)
    return {
        license.pk: _resolve(
            feature_rows=features[license.version_id],
            limit_rows=limits[license.version_id],
            addon_rows=addons[license.pk],
            overrides=overrides[license.pk],
            at=at,
            trial=_trial_part(trials.get(license.pk), features, limits),
        )
        for license in licenses
    }


def _version_parts(version_ids: set[int]) -> tuple[dict[int, list], dict[int, list]]:
    """Version id -> its feature rows, and -> its limit rows (with their features and
    metrics). A published or retired version never changes: held by this process under
    the catalog's generation (licensing.catalog.frozen), so a license's entitlements read
    only its own rows; a draft, or any version when there is no cache, from the database
    in two queries."""
    catalog = frozen_catalog()
    features: dict[int, list] = defaultdict(list)
    limits: dict[int, list] = defaultdict(list)
    unheld = set()
    for version_id in version_ids:
        version = catalog.held_version(version_id)
        if version is None:
            unheld.add(version_id)
            continue
        features[version_id] = list(version.feature_rows.all())
        limits[version_id] = list(version.limit_rows.all())
    if unheld:
        for row in TierVersionFeature.objects.filter(version_id__in=unheld).select_related(
            "feature"
        ):
            features[row.version_id].append(row)
        for row in TierVersionLimit.objects.filter(version_id__in=unheld).select_related("metric"):
            limits[row.version_id].append(row)
    return features, limits


def version_limits(limit_rows) -> list[TierLimit]:
    """A version's limit rows (with their metrics) as the entitlement rule takes them."""
    return [
        TierLimit(
            _metric(row.metric),
            row.value,
            tuple(parse_thresholds(row.warning_thresholds)),
            row.grace_percent,
        )
        for row in limit_rows
    ]


def _trial_part(trial: Trial | None, features: dict, limits: dict) -> TrialPart | None:
    if trial is None:
        return None
    return TrialPart(
        tier=trial.tier.name,
        ends_at=trial.ends_at,
        features=tuple(_feature(row.feature) for row in features[trial.version_id]),
        limits=tuple(version_limits(limits[trial.version_id])),
    )


def _resolve(
    *, feature_rows, limit_rows, addon_rows, overrides, at: datetime, trial: TrialPart | None
) -> Entitlements:
    return resolve(
        tier_features=[_feature(row.feature) for row in feature_rows],
        tier_limits=version_limits(limit_rows),
        addons=[
            AddonPart(
                key=row.addon.key,
                name=row.addon.name,
                quantity=row.quantity,
                features=tuple(_feature(f) for f in row.addon.features.all()),
                extras=tuple((_metric(x.metric), x.extra) for x in row.addon.limit_rows.all()),
            )
            for row in addon_rows
        ],
        overrides=[
            OverridePart(
                reason=o.reason,
                starts_at=o.starts_at,
                ends_at=o.ends_at,
                revoked=o.revoked_at is not None,
                feature=_feature(o.feature) if o.feature else None,
                metric=_metric(o.metric) if o.metric else None,
                value=o.value,
            )
            for o in overrides
        ],
        at=at,
        trial=trial,
    )
