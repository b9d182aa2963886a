"""Usage rules, pure: periods, warning thresholds, grace, and the upgrade suggestion
only on sustained need."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from licensing.usage import meters


def test_it_buckets_usage_by_utc_calendar_month():
    assert meters.period_of(datetime(2026, 3, 31, 23, 59, tzinfo=UTC)) == date(2026, 3, 1)
    east, west = timezone(timedelta(hours=14)), timezone(timedelta(hours=-12))
    assert meters.period_of(datetime(2026, 11, 1, 10, tzinfo=east)) == date(2026, 10, 1)
    assert meters.period_of(datetime(2026, 10, 31, 20, tzinfo=west)) == date(2026, 11, 1)
    assert meters.completed_periods(date(2026, 2, 1), 3) == [
        date(2025, 11, 1),
        date(2025, 12, 1),
        date(2026, 1, 1),
    ]


@pytest.mark.parametrize(
    "used, status, threshold, grace_remaining",
    [
        (0, meters.OK, None, 1_100),
        (799, meters.OK, None, 301),
        (800, meters.WARNING, 80, 300),
        (1_000, meters.WARNING, 100, 100),
        (1_001, meters.OVER, 100, 99),
        (1_100, meters.OVER, 100, 0),
        (1_101, meters.BLOCKED, 100, 0),
    ],
)
def test_it_warns_at_thresholds_and_blocks_only_past_the_grace(
    used, status, threshold, grace_remaining
):
    state = meters.meter_state(used=used, limit=1_000, thresholds=[80, 100], grace_percent=10)
    assert (state.status, state.threshold, state.grace_remaining) == (
        status,
        threshold,
        grace_remaining,
    )


def test_it_never_warns_on_unlimited():
    state = meters.meter_state(used=10**9, limit=None, thresholds=[80, 100], grace_percent=0)
    assert state.status == meters.OK and state.percent is None


@pytest.mark.parametrize(
    "history, suggested",
    [
        ([900, 1_200, 1_300], True),  # two of three over: sustained
        ([1_200, 1_300, 1_100], True),
        ([1_200, 800, 1_100], True),
        ([500, 600, 9_000], False),  # one big spike
        ([9_000, 600, 700], False),
        ([1_000, 1_000, 1_000], False),  # at the limit is not over it
        ([1_500, 1_500, 1_500, 100, 200, 1_300], False),  # only the last three count
        ([], False),
    ],
)
def test_it_suggests_an_upgrade_only_on_sustained_need(history, suggested):
    assert meters.need_is_sustained(history, 1_000) is suggested


@given(st.lists(st.integers(0, 10**6), max_size=12), st.integers(1, 10**6))
def test_it_never_suggests_from_a_single_period_over(history, limit):
    over = [used > limit for used in history[-3:]]
    if sum(over) <= 1:
        assert not meters.need_is_sustained(history, limit)


@given(st.integers(0, 10**9), st.integers(1, 10**9), st.integers(0, 100))
def test_it_blocks_exactly_past_the_grace_ceiling(used, limit, grace):
    ceiling = meters.grace_ceiling(limit, grace)
    state = meters.meter_state(used=used, limit=limit, thresholds=[100], grace_percent=grace)
    assert (state.status == meters.BLOCKED) == (used > ceiling)
