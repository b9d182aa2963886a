"""A license's effective entitlements: its TierVersion, plus add-ons, plus the admin's
overrides that are in force. The rule is licensing.licenses.grants.resolve (pure,
table-tested and mutated); `license_entitlements` gathers the rows for it. Pages, the API,
license files and usage checks all call license_entitlements, so they cannot disagree.
"""

from __future__ import annotations

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
from licensing.models import EntitlementOverride, License, ResetPeriod, parse_thresholds
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
    feature_rows = version.feature_rows.select_related("feature")
    limit_rows = version.limit_rows.select_related("metric")
    addon_rows = license.addon_rows.select_related("addon").prefetch_related(
        "addon__features", "addon__limit_rows__metric"
    )
    overrides = EntitlementOverride.objects.filter(license=license).select_related(
        "feature", "metric"
    )
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
