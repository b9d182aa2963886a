"""Usage: storing reports from the customer's software, and reading meters from them.

Each report carries a client-chosen idempotency key; (license, key) is unique in the
database, so a retried or concurrent duplicate is stored once whichever request wins.
The rules for what the figures mean are in licensing.meters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.db import transaction
from django.db.models import Max, Sum

from licensing.licenses.entitlements import license_entitlements
from licensing.licenses.grants import SEATS, Entitlements, LimitGrant
from licensing.models import License, LimitMetric, ResetPeriod, UsageRecord
from licensing.usage import meters
from licensing.usage.batches import refuse_bad_batch, store_batch
from portal import clock

HISTORY_MONTHS = 12


@dataclass(frozen=True)
class UsageReport:
    metric: str
    quantity: int
    idempotency_key: str
    recorded_at: datetime | None = None


@transaction.atomic
def usage_record_batch(
    *, license: License, reports: list[UsageReport], at: datetime | None = None
) -> dict[str, str]:
    """Store a batch; {idempotency key: "accepted" | "duplicate"}. The whole batch is
    refused (ValidationError) if any report names an unknown metric or a bad time, or
    reuses a key stored before for another record (batches.store_batch)."""
    at = at or clock.now()
    metrics = dict(
        LimitMetric.objects.filter(product_id=license.product_id).values_list("key", "pk")
    )

    def problems(report: UsageReport) -> list[str]:
        return [] if report.metric in metrics else [f"no metric {report.metric!r} on this product."]

    refuse_bad_batch(
        reports, noun="usage", at=at, moment_field="recorded_at", record_problems=problems
    )
    return store_batch(
        UsageRecord,
        [
            UsageRecord(
                license=license,
                metric_id=metrics[report.metric],
                quantity=report.quantity,
                # In UTC: an offset such as +23:59 parses, but PostgreSQL keeps none beyond
                # ±15:59. The checks above keep the moment near now, so it has a UTC form.
                recorded_at=(report.recorded_at or at).astimezone(UTC),
                period=meters.period_of(report.recorded_at or at),
                idempotency_key=report.idempotency_key,
                received_at=at,
            )
            for report in reports
        ],
        license=license,
        body=("metric_id", "quantity"),
        moment="recorded_at",
        timed={report.idempotency_key for report in reports if report.recorded_at},
    )


def _figures(license: License, since: date) -> dict[tuple[str, date], int]:
    """(metric key, period) → that period's figure: a sum for counted metrics, the peak
    for levels."""
    rows = (
        UsageRecord.objects.filter(license=license, period__gte=since)
        .values("metric__key", "metric__reset_period", "period")
        .annotate(total=Sum("quantity"), peak=Max("quantity"))
    )
    return {(row["metric__key"], row["period"]): _figure(row) for row in rows}


def _figure(row: dict) -> int:
    return row["peak"] if row["metric__reset_period"] == ResetPeriod.NEVER else row["total"]


@dataclass(frozen=True)
class Meter:
    grant: LimitGrant
    state: meters.MeterState
    history: list[tuple[date, int]]  # oldest first, the current period last
    sustained: bool  # the upgrade-suggestion rule holds

    @property
    def key(self) -> str:
        return self.grant.metric.key


def _level(grant: LimitGrant, history: list[tuple[date, int]], index: int, reset: str) -> int:
    if reset == ResetPeriod.ANNUALLY:
        # A yearly allowance: the figure is the year to date.
        year = history[index][0].year
        return sum(value for period, value in history[: index + 1] if period.year == year)
    return history[index][1]


def license_meters(
    *, license: License, at: datetime | None = None, entitlements: Entitlements | None = None
) -> list[Meter]:
    """A meter per limit: this period's usage, its state, and the last twelve months."""
    at = at or clock.now()
    entitlements = entitlements or license_entitlements(license=license, at=at)
    periods = _periods(at)
    resets = dict(
        LimitMetric.objects.filter(product_id=license.product_id).values_list("key", "reset_period")
    )
    return _meters(license, entitlements, periods, _figures(license, periods[0]), resets)


def licenses_meters(
    *, licenses: list[License], at: datetime, entitlements: dict[int, Entitlements]
) -> dict[int, list[Meter]]:
    """license_meters of many licenses (a batch of reminders), given their entitlements
    (licenses_entitlements), in two queries for all: license id -> its meters."""
    periods = _periods(at)
    figures: dict[int, dict[tuple[str, date], int]] = {license.pk: {} for license in licenses}
    rows = (
        UsageRecord.objects.filter(license__in=[lic.pk for lic in licenses], period__gte=periods[0])
        .values("license_id", "metric__key", "metric__reset_period", "period")
        .annotate(total=Sum("quantity"), peak=Max("quantity"))
        .order_by()
    )
    for row in rows:
        figures[row["license_id"]][(row["metric__key"], row["period"])] = _figure(row)
    resets: dict[int, dict[str, str]] = {}
    products = {license.product_id for license in licenses}
    for product_id, key, reset in LimitMetric.objects.filter(product_id__in=products).values_list(
        "product_id", "key", "reset_period"
    ):
        resets.setdefault(product_id, {})[key] = reset
    return {
        license.pk: _meters(
            license,
            entitlements[license.pk],
            periods,
            figures[license.pk],
            resets.get(license.product_id, {}),
        )
        for license in licenses
    }


def _periods(at: datetime) -> list[date]:
    current = meters.period_of(at)
    return [*meters.completed_periods(current, HISTORY_MONTHS - 1), current]


def _meters(license, entitlements, periods, figures, resets) -> list[Meter]:
    result = []
    for key, grant in entitlements.limits.items():
        raw = [(period, figures.get((key, period), 0)) for period in periods]
        reset = resets.get(key, ResetPeriod.MONTHLY)
        levels = [(period, _level(grant, raw, i, reset)) for i, (period, _) in enumerate(raw)]
        # Seats in use count against the seats bought, not only the tier's maximum.
        limit = entitlements.seats_allowed(license.seats) if key == SEATS else grant.value
        state = meters.meter_state(
            used=levels[-1][1],
            limit=limit,
            thresholds=list(grant.thresholds),
            grace_percent=grant.grace_percent,
        )
        completed = [value for _, value in levels[:-1]]
        result.append(Meter(grant, state, levels, meters.need_is_sustained(completed, grant.value)))
    return result
