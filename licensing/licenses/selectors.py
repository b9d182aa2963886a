"""What the customer dashboard shows for a license: entitlements, meters with their
history, warnings, upgrade suggestions (only on sustained need) and, for a grandfathered
license, its legacy plan beside today's version of the tier."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from licensing.catalog.diff import Comparison, compare
from licensing.catalog.selectors import enabled_currencies, version_snapshot, versions_with_parts
from licensing.licenses.entitlements import license_entitlements, usable_trial
from licensing.licenses.grants import SEATS, Entitlements
from licensing.licenses.services import (
    license_latest_file,
    license_retiring_keys,
    license_status_at,
    machine_limit,
)
from licensing.models import (
    License,
    LicenseFile,
    LicenseHold,
    RetiringKey,
    TierVersion,
    Trial,
    VersionStatus,
)
from licensing.usage import meters
from licensing.usage.axis import months_since
from licensing.usage.charts import chart_label, meter_history_svg
from licensing.usage.services import Meter, license_meters


@dataclass(frozen=True)
class Suggestion:
    metric: str
    tier_name: str
    compare_url: str
    over_in: int  # how many of the last completed periods were over the limit


@dataclass(frozen=True)
class MeterView:
    meter: Meter
    history: list[tuple[date, int]]  # the meter's months since the license started
    limits: list[int | None]  # the limit each of those months had
    chart: SafeString
    chart_label: str
    suggestion: Suggestion | None
    # The seats meter only: the seats bought, which it measures against; the tier's
    # maximum (the meter's limit) is shown beside them.
    seats_bought: int | None = None

    @property
    def is_warning(self) -> bool:
        return self.meter.state.status != meters.OK

    @property
    def raised_through(self) -> date | None:
        """The last day (UTC) a limit raised for a while (a trial, an admin's override)
        holds: it ends at the next midnight; None for a limit that does not end."""
        until = self.meter.grant.until
        if until is None:
            return None
        return (until - timedelta(microseconds=1)).astimezone(UTC).date()

    @property
    def rows(self) -> list[tuple[date, int, int | None]]:
        """Its months as (first day, used, limit), for the table beside the chart."""
        return [
            (period, used, cap)
            for (period, used), cap in zip(self.history, self.limits, strict=True)
        ]


@dataclass(frozen=True)
class LicensePanel:
    license: License
    entitlements: Entitlements
    meters: list[MeterView]
    latest_file: LicenseFile | None
    active_machines: int
    machine_limit: int | None
    legacy: Comparison | None
    today: TierVersion | None
    holds: list[LicenseHold]  # why it is suspended, the earliest first; empty when not
    # Past its term, the last day it stays usable while its renewal has not run.
    renewal_due_until: date | None = None
    # Past its term (and any grace), still waiting for a renewal: the API answers expired.
    lapsed: bool = False
    # Earlier keys the API still accepts after a rotation with an overlap, latest first.
    retiring_keys: tuple[RetiringKey, ...] = ()

    @property
    def warnings(self) -> list[MeterView]:
        return [view for view in self.meters if view.is_warning]

    @property
    def suggestions(self) -> list[Suggestion]:
        return [view.suggestion for view in self.meters if view.suggestion]


def _published_by_tier(product_id: int) -> list[TierVersion]:
    versions = versions_with_parts().filter(
        tier__product_id=product_id, tier__is_public=True, status=VersionStatus.PUBLISHED
    )
    return sorted(versions, key=lambda v: v.tier.order)


def _suggestion(license: License, meter: Meter, ladder: list[TierVersion]) -> Suggestion | None:
    """The next public tier with more room on this metric, when the need is sustained."""
    if not meter.sustained:
        return None
    needed = meter.grant.value or 0
    for version in ladder:
        if version.tier.order <= license.version.tier.order:
            continue
        row = next((r for r in version.limit_rows.all() if r.metric.key == meter.key), None)
        if row is not None and (row.value is None or row.value > needed):
            completed = [value for _, value in meter.history[:-1]][-meters.SUSTAINED_WINDOW :]
            return Suggestion(
                metric=meter.grant.metric.name,
                tier_name=version.tier.name,
                compare_url=reverse(
                    "pricing_compare", args=[license.version.tier.slug, version.tier.slug]
                ),
                over_in=sum(1 for value in completed if value > needed),
            )
    return None


def published_ladder(product_id: int) -> list[TierVersion]:
    """The product's public tiers' published versions, the lowest tier first: where an
    upgrade suggestion looks (one query and its prefetches; callers may share it)."""
    return _published_by_tier(product_id)


def upgrade_suggestions(
    license: License, license_meters_: list[Meter], ladder: list[TierVersion] | None = None
) -> list[Suggestion]:
    """The upgrades suggested for `license`, one per meter whose need is sustained
    (meters.need_is_sustained) and a higher tier has room for: the dashboard's rule,
    for the renewal reminder."""
    ladder = _published_by_tier(license.product_id) if ladder is None else ladder
    found = (_suggestion(license, meter, ladder) for meter in license_meters_)
    return [suggestion for suggestion in found if suggestion is not None]


def _legacy(
    license: License, ladder: list[TierVersion]
) -> tuple[Comparison | None, TierVersion | None]:
    if license.version.status != VersionStatus.RETIRED:
        return None, None
    today = next((v for v in ladder if v.tier_id == license.version.tier_id), None)
    if today is None and license.version.successor_id:
        today = versions_with_parts().get(pk=license.version.successor_id)
    if today is None:
        return None, None
    legacy = versions_with_parts().get(pk=license.version_id)
    currencies = enabled_currencies()
    comparison = compare(
        version_snapshot(legacy),
        version_snapshot(today),
        currency=currencies[0] if currencies else "",
    )
    return comparison, today


def license_started_on(license: License) -> date:
    """The first day the license ran: its creation, or its first term's start when that
    was set earlier (a license issued for a term already under way)."""
    return min(license.term_start, timezone.localdate(license.created_at))


def _monthly_limits(
    meter: Meter, history: list[tuple[date, int]], *, trial: Trial | None
) -> list[int | None]:
    """The limit each month of `history` had: the meter's, but where the trial in force
    lends it (its grant ends with the trial, then falls back to the plan's), the plan's
    before the month the trial began (a metric the plan does not limit was not
    granted, 0): only the trial's span has its limit. Seats count against the seats
    bought, which a trial does not change; an override's limit (its own end, nothing
    after) is not a trial's."""
    now = meter.state.limit
    grant = meter.grant
    lent = (
        trial is not None
        and meter.key != SEATS
        and grant.until == trial.ends_at
        and grant.then is not None
    )
    if not lent:
        return [now] * len(history)
    began = timezone.localdate(trial.starts_at).replace(day=1)
    return [grant.then if period < began else now for period, _ in history]


def license_panel(*, license: License, at: datetime) -> LicensePanel:
    # A license that may not be used runs on no trial (usable_trial): its plan is shown,
    # never the trial's tier and limits as if they were in force.
    trial = usable_trial(license=license, status=license_status_at(license, at), at=at)
    entitlements = license_entitlements(license=license, at=at, with_trial=trial is not None)
    ladder = _published_by_tier(license.product_id)
    views = []
    started = license_started_on(license)
    for meter in license_meters(license=license, at=at, entitlements=entitlements):
        metric = meter.grant.metric
        # The chart and its table start at the license's start, not twelve months back.
        history = months_since(meter.history, started)
        limits = _monthly_limits(meter, history, trial=trial)
        views.append(
            MeterView(
                meter=meter,
                history=history,
                limits=limits,
                chart=mark_safe(  # pygal's own SVG, drawn from our numbers only
                    meter_history_svg(
                        unit=metric.unit,
                        history=history,
                        limit=meter.state.limit,
                        limits=limits,
                    )
                ),
                chart_label=chart_label(
                    name=metric.name,
                    unit=metric.unit,
                    history=history,
                    limit=meter.state.limit,
                    limits=limits,
                ),
                suggestion=_suggestion(license, meter, ladder),
                seats_bought=license.seats if meter.key == SEATS else None,
            )
        )
    legacy, today = _legacy(license, ladder)
    return LicensePanel(
        license=license,
        entitlements=entitlements,
        meters=views,
        latest_file=license_latest_file(license),
        active_machines=license.machines.active().count(),
        machine_limit=machine_limit(license, entitlements=entitlements),
        legacy=legacy,
        today=today,
        holds=sorted(license.holds.filter(lifted_at__isnull=True), key=lambda h: h.placed_at),
        retiring_keys=tuple(license_retiring_keys(license, at)),
        **_past_term(license, timezone.localdate(at)),
    )


def _past_term(license: License, today: date) -> dict:
    """Where a usable license stands after its term: in its renewal grace, or lapsed."""
    if not license.is_usable or today <= license.term_end:
        return {}
    grace_until = license.grace_until
    if grace_until and today <= grace_until:
        return {"renewal_due_until": grace_until}
    return {"lapsed": True}
