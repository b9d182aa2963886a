"""Which version and price the next term of a subscription runs on: pure, no ORM, no
clock (`make mutate` mutates it against its tests).

A subscription keeps its locked price while `price_locked_until` holds (the later of the
contract term's end and its version's notice date, billing.models.Subscription). At the
first renewal on or after that day, a license on a retired version moves to the
version's successor, at that version's catalog price: the version named when it was
retired, whose price the reminders announced, never a later one published since (that
one is the next step, told before the renewal after). A change scheduled for the
renewal day takes precedence: what was quoted is what is applied, even a retired version
(billing.checkout.scheduled).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class Source(StrEnum):
    """Where the next term's terms come from."""

    LOCKED = "locked"  # the price locked on the subscription, version unchanged
    SCHEDULED = "scheduled"  # the change the customer scheduled for the renewal day
    SUCCESSOR = "successor"  # the lock ended on a retired version: its successor's price


@dataclass(frozen=True)
class Version:
    """A tier version as the rule needs it: whether it is retired and what follows it."""

    pk: int
    retired: bool
    successor: int | None = None


def lock_ends(*, renews_on: date, locked_until: date | None) -> bool:
    """Whether the renewal on `renews_on` is on or after the lock's last day (a lock with
    no day set holds only for the term it was bought for)."""
    return locked_until is None or renews_on >= locked_until


def source(
    *,
    renews_on: date,
    locked_until: date | None,
    version: Version,
    scheduled: bool,
    successor_priced: bool,
) -> Source:
    """Where the next term's version and price come from (see the module). A successor
    without a price in the subscription's currency and cycle keeps the locked price: the
    customer is never moved to a price nobody published."""
    if scheduled:
        return Source.SCHEDULED
    if (
        version.retired
        and lock_ends(renews_on=renews_on, locked_until=locked_until)
        and version.successor is not None
        and successor_priced
    ):
        return Source.SUCCESSOR
    return Source.LOCKED


def locked_until(*, term_end: date, notice_date: date | None) -> date:
    """The day a locked price holds to: the later of the term's last day and the
    version's notice date (a retired version's promise to its customers)."""
    return max(term_end, notice_date) if notice_date else term_end
