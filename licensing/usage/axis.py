"""The scales of the usage charts, pure (no ORM, no pygal): which months a chart shows
and which values its axis is marked at, so the dashboard's charts read at a glance.

- A chart starts at the license's start: months before it had no license to use, and
  twelve bars of which nine are zero say nothing.
- Its value axis is marked at whole, round steps (1, 2 or 5 times a power of ten), at
  most five of them, never a fraction of a seat or a call; the limit, when there is one,
  is a mark of its own, and a round mark too close to it to read beside it gives way.
- An unlimited metric has no limit mark at all.
"""

from __future__ import annotations

from datetime import date

MOST_MARKS = 5


def months_since(history: list[tuple[date, int]], start: date) -> list[tuple[date, int]]:
    """The months of `history` (oldest first, first days of months) from the one `start`
    falls in; at least the last month, the current one."""
    first = date(start.year, start.month, 1)
    shown = [(period, value) for period, value in history if period >= first]
    return shown or history[-1:]


def round_step(top: int, most: int = MOST_MARKS) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50, … that reaches `top` in `most` steps."""
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            step = factor * magnitude
            if step * most >= top:
                return step
        magnitude *= 10


def value_marks(values: list[int], limit: int | None) -> list[int]:
    """The values the axis is marked at, from 0 to at least the highest bar and the
    limit: round steps, plus the limit itself; a step within a third of a step of the
    limit is left out so the two labels never overlap."""
    top = max([*values, limit or 0, 1])
    step = round_step(top)
    marks = list(range(0, -(-top // step) * step + 1, step))
    if limit is None or limit in marks:
        return marks
    readable = [mark for mark in marks if mark == 0 or abs(mark - limit) * 3 >= step]
    return sorted([*readable, limit])
