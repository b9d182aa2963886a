"""The scales of the usage charts, pure (no ORM, no pygal): which months a chart shows
and which values its axis is marked at, so the dashboard's charts read at a glance.

- A chart starts at the license's start: months before it had no license to use, and
  twelve bars of which nine are zero say nothing.
- Its value axis is marked at whole, round steps (1, 2 or 5 times a power of ten), at
  most five of them, never a fraction of a seat or a call; the limit, when there is one,
  is a mark of its own, and a round mark too close to it to read beside it (less than
  half a step away) gives way.
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
    need = -(-top // most)  # the smallest whole step that reaches top
    magnitude = 10 ** (len(str(max(need, 1))) - 1)
    return next(step for factor in (1, 2, 5, 10) if (step := factor * magnitude) >= need)


def value_marks(values: list[int], limit: int | None) -> list[int]:
    """The values the axis is marked at, from 0 to at least the highest bar and the
    limit: round steps, plus the limit itself; a step less than half a step from the
    limit is left out, so the two labels never overlap."""
    top = max([*values, limit or 1])  # a chart of zeros still has one step
    step = round_step(top)
    marks = list(range(0, -(-top // step) * step + 1, step))
    if limit is None or limit in marks:
        return marks
    readable = [mark for mark in marks if abs(mark - limit) * 2 >= step]
    return sorted([*readable, limit])
