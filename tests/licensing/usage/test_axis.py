"""The usage charts' scales: from the license's start, marked at round whole steps, the
limit a mark of its own, an unlimited metric none. Tables of cases worked by hand; no
database (make mutate runs these)."""

from datetime import date

import pytest

from licensing.usage.axis import months_since, round_step, value_marks

YEAR = [(date(2025, month, 1), month * 10) for month in range(4, 13)] + [
    (date(2026, month, 1), month) for month in range(1, 4)
]


@pytest.mark.parametrize(
    ("start", "first", "count"),
    [
        (date(2026, 1, 1), date(2026, 1, 1), 3),
        (date(2026, 1, 31), date(2026, 1, 1), 3),  # any day counts its month
        (date(2025, 12, 1), date(2025, 12, 1), 4),
        (date(2024, 6, 15), date(2025, 4, 1), 12),  # older than the history: all of it
        (date(2026, 3, 14), date(2026, 3, 1), 1),  # started this month
        (date(2026, 5, 1), date(2026, 3, 1), 1),  # not started yet: this month only
    ],
    ids=["january", "late-in-january", "december", "long-ago", "this-month", "future"],
)
def test_a_chart_starts_at_the_licenses_start(start, first, count):
    shown = months_since(YEAR, start)
    assert (shown[0][0], len(shown)) == (first, count)
    assert shown[-1] == YEAR[-1]


@pytest.mark.parametrize(
    ("top", "step"),
    [(0, 1), (1, 1), (5, 1), (6, 2), (10, 2), (11, 5), (25, 5), (26, 10), (45, 10), (46, 10),
     (50, 10), (51, 20), (1000, 200), (1001, 500), (2500, 500), (2501, 1000),
     (120_000, 50_000), (450_001, 100_000)],
)  # fmt: skip
def test_a_step_is_one_two_or_five_times_a_power_of_ten(top, step):
    assert round_step(top) == step


@pytest.mark.parametrize(
    ("values", "limit", "marks"),
    [
        ([0, 0, 0], None, [0, 1]),  # nothing used yet: one whole step, not 0.2s
        ([0, 1, 2], None, [0, 1, 2]),
        ([7], None, [0, 2, 4, 6, 8]),
        ([12_000], None, [0, 5_000, 10_000, 15_000]),
        ([3, 4], 5, [0, 1, 2, 3, 4, 5]),
        ([40], 50, [0, 10, 20, 30, 40, 50]),
        ([10], 950, [0, 200, 400, 600, 800, 950]),  # 1,000 is too close to read beside it
        ([10], 900, [0, 200, 400, 600, 800, 900, 1_000]),  # half a step away: both read
        ([10], 910, [0, 200, 400, 600, 800, 910]),
        ([1_030], 1_000, [0, 500, 1_000, 1_500]),
        ([0, 2], 1, [0, 1, 2]),
        ([0], 0, [0, 1]),  # not included: the limit is zero
        ([130], 120, [0, 50, 120, 150]),
        ([100], 5, [5, 20, 40, 60, 80, 100]),  # even 0 gives way to a low limit
    ],
    ids=["empty", "small", "seven", "thousands", "seats", "limit-on-a-step", "near-the-top",
         "half-a-step", "under-half-a-step", "over-the-limit", "one", "zero-limit",
         "between-steps", "low-limit"],
)  # fmt: skip
def test_the_axis_is_marked_at_round_whole_steps_and_the_limit(values, limit, marks):
    assert value_marks(values, limit) == marks
    assert all(isinstance(mark, int) for mark in marks)
    assert len([mark for mark in marks if mark != limit]) <= 6
