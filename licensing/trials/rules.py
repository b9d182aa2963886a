"""The trial rules, pure (no ORM, no clock; `make mutate` mutates this module against its
fast tests): why a start is refused, which reminders a trial of some length gets and
which one is due, and the days a trial has left.

Dates are business dates (portal.clock). A trial's `ends_at` is the moment its grants
stop; its last day is the day before that moment (a trial started on 14 March for 14
days ends at 00:00 UTC on 28 March: its last day is 27 March).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

# Reminders before the end, in days: a week and a day; a trial of a week or less is
# reminded half-way and on its last day instead.
DEFAULT_LEADS = (7, 1)
SHORT_TRIAL_DAYS = 7


@dataclass(frozen=True)
class OpenLicense:
    """The organization's open license of the tier's product, as far as a start cares."""

    tier_order: int
    usable: bool
    trial_running: bool


def start_refusal(
    *,
    tier_name: str,
    trial_days: int | None,
    tier_order: int,
    already_tried: bool,
    current: OpenLicense | None,
) -> str | None:
    """Why the organization may not start a trial of the tier, for a person; None when
    it may. `current`: its open license of the product (None: it has none, so the trial
    gets a license of its own)."""
    if not trial_days:
        return f"{tier_name} has no trial."
    if already_tried:
        return f"Your organization has already tried {tier_name}: each tier is tried once."
    if current is None:
        return None
    if not current.usable:
        return "Your license is not in use (suspended, canceled or expired): it cannot run a trial."
    if current.trial_running:
        return "A trial is already running on your license: end it before starting another."
    if tier_order <= current.tier_order:
        return f"Your plan already includes what {tier_name} offers: a trial is of a higher tier."
    return None


def reminder_leads(trial_days: int) -> tuple[int, ...]:
    """The days before the end a trial of `trial_days` is reminded at, the largest first:
    7 and 1; for a trial of 7 days or less, half-way and 1. Never on or before its first
    day (a lead of its length or more), each once."""
    leads = DEFAULT_LEADS if trial_days > SHORT_TRIAL_DAYS else (trial_days // 2, 1)
    return tuple(sorted({lead for lead in leads if 0 < lead < trial_days}, reverse=True))


def reminder_lead(*, days_left: int, leads: Iterable[int], sent: Collection[int]) -> int | None:
    """The one lead to remind at today, or None: the smallest lead at or above the days
    left that was not sent, and none larger than one already sent (a late run sends the
    nearest reminder only). A trial over (no day left) is not reminded of."""
    if days_left <= 0:
        return None
    due = [lead for lead in leads if lead >= days_left and all(lead < old for old in sent)]
    return min(due, default=None)


# A trial license's seats: enough for a team to try the tier.
TRIAL_SEATS = 5


def trial_seats(*, min_billed: int, allowed: int | None) -> int:
    """A new trial license's seats: TRIAL_SEATS, or the tier's fewest billed seats when
    it is sold from more (so the purchase after the trial keeps them), never more than
    the tier allows (None: no maximum)."""
    seats = max(TRIAL_SEATS, min_billed)
    return seats if allowed is None else min(seats, allowed)


def last_day(ends_at: datetime) -> date:
    """The last business day of a trial that ends at `ends_at` (UTC)."""
    return (ends_at - timedelta(microseconds=1)).date()


def days_left(*, ends_at: datetime, today: date) -> int:
    """Whole days left, today included (1 on the last day), never below 0."""
    return max(0, (last_day(ends_at) - today).days + 1)


def length_days(*, starts_on: date, ends_at: datetime) -> int:
    """How many days the trial runs, its first and last day included."""
    return (last_day(ends_at) - starts_on).days + 1
