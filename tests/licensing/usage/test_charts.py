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
