"""Meter rules at their edges, with limits other than round thousands: the grace ceiling
rounds down, the percentage rounds half up, a limit of zero, an unlimited metric (never a
warning, never an upgrade suggestion), and periods that ignore the server's time zone."""

import os
import time
from datetime import UTC, date, datetime

import pytest

from licensing.usage import meters


@pytest.mark.parametrize(
    ("limit", "grace", "ceiling"),
    [(15, 10, 16), (999, 10, 1_098), (19, 5, 19), (10, 50, 15), (7, 0, 7), (0, 10, 0)],
)
def test_the_grace_ceiling_rounds_down(limit, grace, ceiling):
    assert meters.grace_ceiling(limit, grace) == ceiling


@pytest.mark.parametrize(
    ("used", "status", "percent", "grace_remaining"),
    [
        (11, meters.OK, 73, 5),
        (12, meters.WARNING, 80, 4),  # 80 % of 15 is exactly 12
        (15, meters.WARNING, 100, 1),
        (16, meters.OVER, 107, 0),  # 15 plus 10 % is 16.5, and 16 is the most allowed
        (17, meters.BLOCKED, 113, 0),
    ],
)
def test_it_meters_a_limit_of_fifteen_with_ten_percent_grace(
    used, status, percent, grace_remaining
):
    state = meters.meter_state(used=used, limit=15, thresholds=[80, 100], grace_percent=10)
    assert state == meters.MeterState(
        used=used,
        limit=15,
        percent=percent,
        threshold=None if status == meters.OK else (100 if used >= 15 else 80),
        status=status,
        grace_remaining=grace_remaining,
    )


@pytest.mark.parametrize(
    ("used", "limit", "percent"),
    [
        (11, 12, 92),  # 91.67
        (1, 8, 13),  # 12.5: half up
        (3, 8, 38),  # 37.5
        (1, 3, 33),  # 33.33
        (2, 3, 67),  # 66.67
        (1, 200, 1),  # 0.5
        (1, 201, 0),  # 0.498
        (249, 250, 99),  # 99.6: under the limit never reads 100 %
        (9_950, 10_000, 99),  # 99.5
        (10, 10, 100),
        (11, 10, 110),
        (0, 12, 0),
    ],
)
def test_the_percentage_rounds_half_up(used, limit, percent):
    state = meters.meter_state(used=used, limit=limit, thresholds=[80, 100], grace_percent=10)
    assert state.percent == percent


@pytest.mark.parametrize(
    ("used", "percent", "status"), [(0, 0, meters.OK), (1, 100_000, meters.BLOCKED)]
)
def test_a_limit_of_zero_allows_nothing(used, percent, status):
    state = meters.meter_state(used=used, limit=0, thresholds=[80, 100], grace_percent=10)
    assert (state.used, state.limit, state.percent, state.status) == (used, 0, percent, status)
    assert state.grace_remaining == 0


def test_an_unlimited_metric_never_warns_and_never_suggests_an_upgrade():
    state = meters.meter_state(used=10**9, limit=None, thresholds=[80, 100], grace_percent=10)
    assert state == meters.MeterState(10**9, None, None, None, meters.OK, None)
    assert meters.need_is_sustained([10**9, 10**9, 10**9], None) is False


@pytest.fixture
def server_far_east_of_utc():
    """The server's own clock set to UTC+14, so local time and UTC fall in different
    months around midnight."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "Pacific/Kiritimati"
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


def test_periods_are_utc_months_whatever_the_servers_time_zone(server_far_east_of_utc):
    # 23:00 UTC on 31 March is 13:00 on 1 April at UTC+14: still March.
    assert meters.period_of(datetime(2026, 3, 31, 23, tzinfo=UTC)) == date(2026, 3, 1)
