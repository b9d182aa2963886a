"""Usage against limits: periods, warnings, grace and the upgrade-suggestion rule. Pure:
no ORM, so every rule is tested by tables and properties.

A period is a calendar month in UTC. A metric that resets (monthly, or yearly) counts the
quantities reported in it; one that never resets (seats, storage) is a level, and a
period's figure is the highest level reported in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

SUSTAINED_WINDOW = 3  # completed periods looked at
SUSTAINED_OVER = 2  # of which at least this many must be over the limit

OK, WARNING, OVER, BLOCKED = "ok", "warning", "over_limit", "blocked"
# Reports may come from clocks a little ahead, or be sent late, but not by much.
CLOCK_SKEW = timedelta(minutes=5)
OLDEST_REPORT = timedelta(days=400)


def period_of(moment: datetime) -> date:
    """The first day of the UTC calendar month `moment` falls in, whatever offset it
    was written with: 10:00 on 1 November at UTC+14 is still October."""
    utc = moment.astimezone(UTC)
    return date(utc.year, utc.month, 1)


def shift_period(period: date, months: int) -> date:
    index = period.year * 12 + period.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def completed_periods(current: date, count: int) -> list[date]:
    """The `count` whole months before `current`, oldest first."""
    return [shift_period(current, -n) for n in range(count, 0, -1)]


def grace_ceiling(limit: int, grace_percent: int) -> int:
    """The most usage allowed before blocking: the limit plus the grace, rounded down."""
    return limit + limit * grace_percent // 100


@dataclass(frozen=True)
class MeterState:
    used: int
    limit: int | None
    percent: int | None  # of the limit, whole, half up (11 of 12: 92); None when unlimited
    threshold: int | None  # the highest warning threshold reached
    status: str  # ok, warning, over_limit, blocked
    grace_remaining: int | None  # how much more before blocking; None when unlimited


def meter_state(*, used: int, limit: int | None, thresholds: list[int], grace_percent: int):
    if limit is None:
        return MeterState(used, None, None, None, OK, None)
    # Half up in whole numbers (100 used / limit + 1/2, rounded down), never via a float.
    percent = (used * 200 + limit) // (2 * limit) if limit else (0 if used == 0 else 100_000)
    if used < limit:
        percent = min(percent, 99)  # "100% used" is the limit reached, not 99.6 % of it
    reached = [t for t in thresholds if used and used * 100 >= t * limit]
    ceiling = grace_ceiling(limit, grace_percent)
    if used > ceiling:
        status = BLOCKED
    elif used > limit:
        status = OVER
    elif reached:
        status = WARNING
    else:
        status = OK
    return MeterState(
        used=used,
        limit=limit,
        percent=percent,
        threshold=max(reached) if reached else None,
        status=status,
        grace_remaining=max(ceiling - used, 0),
    )


def need_is_sustained(history: list[int], limit: int | None) -> bool:
    """The upgrade-suggestion rule: over the limit in at least two of the last three
    completed periods. `history` is those periods' figures, oldest first (a period with
    no reports is 0). A single spike, however large, is not a need."""
    if limit is None:
        return False
    recent = history[-SUSTAINED_WINDOW:]
    return sum(1 for used in recent if used > limit) >= SUSTAINED_OVER
