"""The usage chart as drawn: its months, its value marks, the limit the one emphasised
line, an unlimited metric with none; and the label that says the same in words."""

import re
from datetime import date

from licensing.usage.charts import chart_label, meter_history_svg

YEAR = [(date(2025, month, 1), month * 900) for month in range(4, 13)] + [
    (date(2026, month, 1), month * 1000) for month in range(1, 4)
]


def _marks(svg: str) -> list[str]:
    """The value axis's labels, bottom up."""
    axis = svg[svg.index('class="axis y') : svg.index('class="axis x')]
    return re.findall(r"<text[^>]*>([^<]*)</text>", axis)


def _emphasised(svg: str) -> list[str]:
    axis = svg[svg.index('class="axis y') : svg.index('class="axis x')]
    return re.findall(r'<text[^>]*class="major">([^<]*)</text>', axis)


def test_the_limit_is_the_one_emphasised_mark():
    svg = meter_history_svg(unit="calls", history=YEAR, limit=10_000)
    assert _marks(svg) == ["0", "5,000", "10,000", "15,000"]
    assert _emphasised(svg) == ["10,000"]


def test_an_unlimited_metric_has_no_limit_line():
    svg = meter_history_svg(unit="calls", history=YEAR, limit=None)
    assert _marks(svg) == ["0", "5,000", "10,000", "15,000"]
    assert _emphasised(svg) == []
    label = chart_label(name="API calls", unit="calls", history=YEAR, limit=None)
    assert "against no limit (unlimited)" in label


def test_seats_are_marked_in_whole_seats():
    history = [(date(2026, 1, 1), 0), (date(2026, 2, 1), 1), (date(2026, 3, 1), 2)]
    svg = meter_history_svg(unit="seats", history=history, limit=3)
    assert _marks(svg) == ["0", "1", "2", "3"]
    assert _emphasised(svg) == ["3"]


def test_a_long_history_names_every_other_month_and_a_short_one_each():
    names = re.findall(r'<text[^>]*y="150\.0"[^>]*>([^<]*)</text>', meter_history_svg(
        unit="calls", history=YEAR, limit=None
    ))  # fmt: skip
    assert names == ["Apr", "Jun", "Aug", "Oct", "Dec", "Feb"]
    short = meter_history_svg(unit="calls", history=YEAR[-3:], limit=None)
    assert re.findall(r'<text[^>]*y="150\.0"[^>]*>([^<]*)</text>', short) == ["Jan", "Feb", "Mar"]


def test_the_label_counts_the_months_shown():
    assert chart_label(name="Seats", unit="seats", history=YEAR[-3:], limit=5).startswith(
        "Seats over the last 3 months against a limit of 5 seats"
    )
    assert chart_label(name="Seats", unit="seats", history=YEAR[-1:], limit=5).startswith(
        "Seats this month against a limit of 5 seats"
    )


def _steps(svg: str) -> list[float]:
    """The heights of the per-month limit lines, left to right."""
    return [float(y) for y in re.findall(r'd="M[\d.]+ ([\d.]+)H[\d.]+" class="limit-step"', svg)]


def test_one_limit_for_every_month_is_one_guide_and_no_steps():
    svg = meter_history_svg(
        unit="calls", history=YEAR[-3:], limit=10_000, limits=[10_000, 10_000, 10_000]
    )
    assert _emphasised(svg) == ["10,000"] and _steps(svg) == []


def test_a_limit_that_changed_is_drawn_over_each_months_bar():
    # A trial lent 50,000 in March; January and February had the plan's 5,000.
    history = [(date(2026, 1, 1), 3_000), (date(2026, 2, 1), 6_000), (date(2026, 3, 1), 9_000)]
    svg = meter_history_svg(
        unit="calls", history=history, limit=50_000, limits=[5_000, 5_000, 50_000]
    )
    steps = _steps(svg)
    assert len(steps) == 3 and steps[0] == steps[1] > steps[2]  # SVG's y grows downwards
    assert _emphasised(svg) == []  # no guide across the months it did not apply to
    assert "5,000" in _marks(svg) and "50,000" in _marks(svg)
    # February is over its own limit (5,000), March is not over its own (50,000).
    bars = re.findall(r'<g class="bar"[^>]*>', svg)
    over = ['fill="#b42318"' in bar for bar in bars]
    assert over == [False, True, False]
    label = chart_label(
        name="API calls", unit="calls", history=history, limit=50_000, limits=[5_000, 5_000, 50_000]
    )
    assert "a limit of 50,000 calls (5,000 calls in January, February)" in label


def test_an_unlimited_month_has_no_step():
    history = [(date(2026, 2, 1), 10), (date(2026, 3, 1), 20)]
    svg = meter_history_svg(unit="calls", history=history, limit=None, limits=[5, None])
    assert len(_steps(svg)) == 1
    label = chart_label(name="Calls", unit="calls", history=history, limit=None, limits=[5, None])
    assert "no limit (unlimited) (5 calls in February)" in label
