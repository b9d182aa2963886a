"""Which renewal reminder is due, and whether a price rise must be told now: pure, no ORM,
no clock (`make mutate` mutates it against its tests). billing.renewals.notices sends
what it decides.

A reminder belongs to a lead time ("90 days before"), per license and renewal date; each
is sent once (billing.models.Notice). A run sends at most one per license: the smallest
lead time at or above the days left that has no notice yet, and none once a smaller lead
was sent (it told more recent news). So a license already inside a window when the lead
times change is still reminded: renewing in 8 days, with the window moved from 5 to 15
days, it gets the 15-day reminder on the next run, instead of nothing at all.

A price rise at the next renewal is told at least `notice_days` ahead: inside that window
for terms longer than it (annual), at the first reminder for shorter ones (monthly), and
once per renewal date.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

ANNUAL = "annual"
MONTHLY = "monthly"
# A term this long or longer is reminded on the annual lead times.
ANNUAL_TERM_MONTHS = 12


def lead_times(*, cycle: str, term_cycles: int, table: dict[str, list[int]]) -> list[int]:
    """The lead times for a subscription's term: annual ones for terms of a year or
    longer (an annual cycle, or twelve monthly cycles and more), monthly ones otherwise.
    Each once, the largest first."""
    months = (ANNUAL_TERM_MONTHS if cycle == ANNUAL else 1) * term_cycles
    key = ANNUAL if months >= ANNUAL_TERM_MONTHS else MONTHLY
    return sorted(set(table.get(key, [])), reverse=True)


def reminder_lead(*, days_left: int, leads: Iterable[int], sent: Collection[int]) -> int | None:
    """The one lead time to remind at now, or None. `days_left`: days from today to the
    renewal date (0: it is today); `sent`: the lead times already sent for this renewal
    date. A renewal today or past is not reminded of."""
    if days_left <= 0:
        return None
    # Never one already sent, nor a larger one after a smaller one went out.
    due = [lead for lead in leads if lead >= days_left and all(lead < old for old in sent)]
    return min(due, default=None)


def price_notice_due(
    *,
    rises: bool,
    told: bool,
    days_left: int,
    term_days: int,
    notice_days: int,
    leads: Iterable[int],
) -> bool:
    """Whether a rise in the next renewal's price is to be told now: it rises, it was not
    told for this renewal date yet, the renewal is still ahead, and the notice window is
    open: `notice_days` before the renewal for a term longer than that, the first
    reminder's window (the largest lead time) for a shorter one."""
    if not rises or told or days_left <= 0:
        return False
    if term_days > notice_days:
        return days_left <= notice_days
    return days_left <= max(leads, default=notice_days)
