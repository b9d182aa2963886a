"""The entitlement rule, pure: a TierVersion's features and limits (raised by a running
trial's version while it is in force, never lowered), plus add-ons, plus the admin's
overrides in force at a moment. No ORM here: licensing.licenses.entitlements
gathers the rows into these values and calls `resolve`; `make mutate` mutates this module
against its fast tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

DEFAULT_THRESHOLDS = (80, 100)
DEFAULT_GRACE_PERCENT = 10


@dataclass(frozen=True)
class FeatureInfo:
    key: str
    name: str
    category: str


@dataclass(frozen=True)
class MetricInfo:
    key: str
    name: str
    unit: str
    is_level: bool  # never resets: usage is a level, not a count
    order: int = 0


@dataclass(frozen=True)
class TierLimit:
    metric: MetricInfo
    value: int | None
    thresholds: tuple[int, ...] = DEFAULT_THRESHOLDS
    grace_percent: int = DEFAULT_GRACE_PERCENT


@dataclass(frozen=True)
class AddonPart:
    key: str
    name: str
    quantity: int
    features: tuple[FeatureInfo, ...] = ()
    extras: tuple[tuple[MetricInfo, int], ...] = ()  # (metric, extra per unit)


@dataclass(frozen=True)
class OverridePart:
    reason: str
    starts_at: datetime
    ends_at: datetime | None = None
    revoked: bool = False
    feature: FeatureInfo | None = None
    metric: MetricInfo | None = None
    value: int | None = None

    def in_force(self, at: datetime) -> bool:
        return (
            not self.revoked
            and self.starts_at <= at
            and (self.ends_at is None or at < self.ends_at)
        )


@dataclass(frozen=True)
class TrialPart:
    """A trial in force at the moment resolved: it adds its version's features to the
    plan's and raises each limit where its version's is larger, never lowering one. What it
    grants beyond the own plan ends at `ends_at`, and a raised limit carries the plan's own
    value (`then`), so whoever holds the answer (a cache, a license file) falls back at that
    moment by itself."""

    tier: str  # the trial tier's name
    ends_at: datetime
    features: tuple[FeatureInfo, ...] = ()
    limits: tuple[TierLimit, ...] = ()


SEATS = "seats"


@dataclass(frozen=True)
class FeatureGrant:
    feature: FeatureInfo
    source: str  # "tier", "add-on: <name>" or "override"
    until: datetime | None = None


@dataclass(frozen=True)
class LimitGrant:
    metric: MetricInfo
    value: int | None  # None: unlimited
    thresholds: tuple[int, ...]
    grace_percent: int
    sources: tuple[str, ...]
    until: datetime | None = None
    then: int | None = None  # where a trial raises it: the value after `until` (else None)


@dataclass(frozen=True)
class Entitlements:
    features: dict[str, FeatureGrant] = field(default_factory=dict)
    limits: dict[str, LimitGrant] = field(default_factory=dict)

    def has(self, feature_key: str) -> bool:
        return feature_key in self.features

    def limit(self, metric_key: str) -> int | None:
        """None means unlimited; a metric that is not granted at all has a limit of 0."""
        grant = self.limits.get(metric_key)
        return 0 if grant is None else grant.value

    def seats_allowed(self, bought: int) -> int:
        """Seats that may be in use: those bought, up to the tier's maximum (a tier that
        does not grant seats at all allows none)."""
        tier = self.limit(SEATS)
        return bought if tier is None else min(bought, tier)

    def for_seats_bought(self, bought: int) -> Entitlements:
        """What the customer's software is told: the seats limit is the seats bought (up
        to the tier's maximum), not the tier's maximum, which it would otherwise let them
        use without paying for."""
        grant = self.limits.get(SEATS)
        if grant is None:
            return self
        value = self.seats_allowed(bought)
        then = None if grant.then is None else min(bought, grant.then)
        if then == value:
            # A trial that raises the tier's maximum above the seats bought changes no
            # seat: nothing ends, so no `until` nor `then`.
            capped = replace(grant, value=value, until=None, then=None)
        else:
            capped = replace(grant, value=value, then=then)
        return replace(self, limits={**self.limits, SEATS: capped})

    def machine_limit(self, seats: int) -> int | None:
        """A "machines" limit when the plan has one; otherwise one machine per seat."""
        grant = self.limits.get("machines")
        return grant.value if grant else seats

    def as_data(self) -> dict:
        """The plain form used by the API and in license files."""
        return {
            "features": sorted(self.features),
            "limits": {
                key: {
                    "value": grant.value,
                    "unit": grant.metric.unit,
                    "warning_thresholds": list(grant.thresholds),
                    "grace_percent": grant.grace_percent,
                    "until": grant.until.isoformat() if grant.until else None,
                    **({} if grant.then is None else {"then": grant.then}),
                }
                for key, grant in sorted(self.limits.items())
            },
            "feature_until": {
                key: grant.until.isoformat()
                for key, grant in sorted(self.features.items())
                if grant.until
            },
        }

    def earliest_end(self) -> datetime | None:
        ends = [g.until for g in (*self.features.values(), *self.limits.values()) if g.until]
        return min(ends, default=None)


def _ungranted(metric: MetricInfo) -> LimitGrant:
    """Where an add-on or override starts on a metric the tier does not limit: nothing
    allowed, the default warnings."""
    return LimitGrant(metric, 0, DEFAULT_THRESHOLDS, DEFAULT_GRACE_PERCENT, ())


def _above(value: int | None, than: int | None) -> bool:
    """Whether limit `value` allows more than `than` (None is unlimited: the largest)."""
    if than is None:
        return False
    return value is None or value > than


def _override_limit(current: LimitGrant, override: OverridePart) -> LimitGrant:
    """An admin's override raises a limit, never lowers it: a raise given on a lower plan
    never caps what an upgrade since grants (what was bought is kept). One that ends
    carries what holds after it (`then`), as a trial's raise does: what was granted
    beneath it, and where that was itself a raise for a while (a trial), what follows
    it: one step of fallback is all a license file says, so it never says more than the
    lasting grant (a raise ending before the trial under-grants, offline, until the
    trial's end; never over-grants after it)."""
    then = None
    if override.ends_at is not None:
        then = current.value if current.until is None else current.then
    return replace(
        current,
        value=override.value,
        sources=(*current.sources, "override"),
        until=override.ends_at,
        then=then,
    )


def _with_trial(
    trial: TrialPart, features: dict[str, FeatureGrant], limits: dict[str, LimitGrant]
) -> None:
    """The plan's features and the trial's (its own ones until its end); each limit the
    larger of the plan's and the trial's, the trial's until its end, then the plan's (a
    metric the plan does not limit falls back to 0: not granted)."""
    source = f"trial: {trial.tier}"
    for feature in trial.features:
        features.setdefault(feature.key, FeatureGrant(feature, source, trial.ends_at))
    for row in trial.limits:
        own = limits.get(row.metric.key)
        plan = 0 if own is None else own.value
        if _above(row.value, plan):
            limits[row.metric.key] = LimitGrant(
                row.metric,
                row.value,
                row.thresholds,
                row.grace_percent,
                (source,),
                trial.ends_at,
                plan,
            )


def resolve(
    *,
    tier_features: list[FeatureInfo],
    tier_limits: list[TierLimit],
    addons: list[AddonPart],
    overrides: list[OverridePart],
    at: datetime,
    trial: TrialPart | None = None,
) -> Entitlements:
    """`tier_features` and `tier_limits` are the license's own version's; with a `trial`,
    it adds what its version grants beyond them, until its end (`_with_trial`): what the
    plan grants as much of keeps the source "tier"."""
    features = {f.key: FeatureGrant(f, "tier") for f in tier_features}
    limits = {
        row.metric.key: LimitGrant(
            row.metric, row.value, row.thresholds, row.grace_percent, ("tier",)
        )
        for row in tier_limits
    }
    if trial is not None:
        _with_trial(trial, features, limits)
    for addon in addons:
        source = f"add-on: {addon.name}"
        for feature in addon.features:
            features.setdefault(feature.key, FeatureGrant(feature, source))
        for metric, extra in addon.extras:
            current = limits.get(metric.key) or _ungranted(metric)
            added = extra * addon.quantity
            limits[metric.key] = replace(
                current,
                value=None if current.value is None else current.value + added,
                sources=(*current.sources, source),
                then=None if current.then is None else current.then + added,
            )
    # In the order they start; on a limit the larger value holds (_override_limit).
    for override in sorted(overrides, key=lambda o: o.starts_at):
        if not override.in_force(at):
            continue
        if override.feature is not None:
            granted = features.get(override.feature.key)
            if granted is None or granted.source == "override":
                features[override.feature.key] = FeatureGrant(
                    override.feature, "override", override.ends_at
                )
        if override.metric is not None:
            current = limits.get(override.metric.key) or _ungranted(override.metric)
            if _above(override.value, current.value):
                limits[override.metric.key] = _override_limit(current, override)
            elif (
                current.until is not None
                and override.ends_at is None
                and _above(override.value, current.then)
            ):
                # Below what a raise for a while grants (a trial's, a larger override's)
                # but for good: what follows that raise.
                limits[override.metric.key] = replace(
                    current, sources=(*current.sources, "override"), then=override.value
                )
    ordered = dict(sorted(limits.items(), key=lambda item: (item[1].metric.order, item[0])))
    return Entitlements(features=features, limits=ordered)
