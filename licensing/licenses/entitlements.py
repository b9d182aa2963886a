"""A license's effective entitlements: its TierVersion, plus add-ons, plus the admin's
overrides that are in force. The rule is licensing.licenses.grants.resolve (pure,
table-tested and mutated); `license_entitlements` gathers the rows for it. Pages, the API,
license files and usage checks all call license_entitlements, so they cannot disagree.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from licensing.licenses.grants import (
    AddonPart,
    Entitlements,
    FeatureInfo,
    MetricInfo,
    OverridePart,
    TierLimit,
    resolve,
)
from licensing.models import (
    EntitlementOverride,
    License,
    LicenseAddon,
    ResetPeriod,
    TierVersionFeature,
    TierVersionLimit,
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


def license_entitlements(*, license: License, at: datetime | None = None) -> Entitlements:
    """Five queries, however many add-ons or overrides."""
    at = at or clock.now()
    version = license.version
    return _resolve(
        feature_rows=version.feature_rows.select_related("feature"),
        limit_rows=version.limit_rows.select_related("metric"),
        addon_rows=license.addon_rows.select_related("addon").prefetch_related(
            "addon__features", "addon__limit_rows__metric"
        ),
        overrides=EntitlementOverride.objects.filter(license=license).select_related(
            "feature", "metric"
        ),
        at=at,
    )


def licenses_entitlements(*, licenses: list[License], at: datetime) -> dict[int, Entitlements]:
    """license_entitlements of many licenses (a batch of reminders) in five queries for
    all of them, whatever their number: license id -> its entitlements, the same answer
    as license_entitlements gives for each."""
    version_ids = {license.version_id for license in licenses}
    license_ids = [license.pk for license in licenses]
    features: dict[int, list] = defaultdict(list)
    for row in TierVersionFeature.objects.filter(version_id__in=version_ids).select_related(
        "feature"
    ):
        features[row.version_id].append(row)
    limits: dict[int, list] = defaultdict(list)
    for row in TierVersionLimit.objects.filter(version_id__in=version_ids).select_related("metric"):
        limits[row.version_id].append(row)
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
        )
        for license in licenses
    }


def _resolve(*, feature_rows, limit_rows, addon_rows, overrides, at: datetime) -> Entitlements:
    return resolve(
        tier_features=[_feature(row.feature) for row in feature_rows],
        tier_limits=[
            TierLimit(
                _metric(row.metric),
                row.value,
                tuple(parse_thresholds(row.warning_thresholds)),
                row.grace_percent,
            )
            for row in limit_rows
        ],
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
    )
