"""Billing periods: the dates of each billed span of a subscription, and the check that a
subscription's periods tile its term. Pure: no ORM and no clock.

A subscription has a stored anchor (Stripe's `billing_cycle_anchor`, Kill Bill's bill
cycle day). Period n of a cycle of m months runs from add_months(anchor, n·m) to the day
before add_months(anchor, (n+1)·m). Every boundary is computed from the anchor, never
from the previous period's end, so a subscription started on 31 January bills on
28 February, 31 March and 30 April: a short month never makes the 28th stick.

How the stored periods (billing.models.SubscriptionPeriod) relate to these dates:

- A purchase, a renewal and an extension each add a period; a purchase or a change of
  cycle also sets a new anchor (the day the new term starts).
- A change in the middle of a period (more seats, a higher tier) splits it: the period
  ends the day before the change and keeps the amounts it was invoiced for; a `change`
  period runs from the change day to the old end with the new seats and price, and its
  amounts are the change's prorated charge. The periods so still tile the term with no
  gap or overlap, and a later change splits the change period the same way. On a
  period's first day (a period has at least one day) a billed period is kept as its
  invoice billed it, marked `replaced` (credited in full by the change's invoice) beside
  the change period; one nothing billed changes in place.
- A change of cycle ends the current period the day before and starts a new term, and
  anchor, on the change day; free extensions after it go (nothing billed them). On a
  billed period's first day the period is kept as its invoice billed it, marked
  `replaced` (credited in full by the change's invoice) and left out of the tiling.
- An extension granted by staff is a period of its own after the last one, at no charge
  (net 0) with the reason written on it; it moves the term's last day, never stretches a
  paid period, so a later change is still prorated over the days that were paid for
  (and one that costs something waits while the extension runs).
- Invoice lines relate to periods as Stripe's line items do: a recurring line bills one
  whole period (its dates are the period's); a proration charge bills the change period
  (its dates); a proration credit gives back the unused days of the period the change
  cut short, links to that period and carries the days it credits (from the change day
  to the period's old end). One-off lines and discounts have no period. So every
  recurring line starts on its period's first day and ends on a period's last day, or
  its last days are credited back (`manage.py check_periods` checks it).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise

from django.db import models

from billing.pricing import BillingCycle

MONTHS_PER_CYCLE = {BillingCycle.MONTHLY: 1, BillingCycle.ANNUAL: 12}
ONE_DAY = timedelta(days=1)


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it has no such day
    (31 January + 1 month = 28 or 29 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def months_per_cycle(cycle: str) -> int:
    """Raises ValueError for a cycle that is not a BillingCycle."""
    return MONTHS_PER_CYCLE[BillingCycle(cycle)]


@dataclass(frozen=True, order=True)
class Span:
    """Days from `starts_on` to `ends_on`, both included."""

    starts_on: date
    ends_on: date

    @property
    def days(self) -> int:
        return (self.ends_on - self.starts_on).days + 1


def period(anchor: date, index: int, *, cycle: str) -> Span:
    """Period `index` (0 is the first) of a subscription anchored on `anchor`."""
    if index < 0:
        raise ValueError("A period's index is 0 or more.")
    months = months_per_cycle(cycle)
    return Span(
        add_months(anchor, index * months),
        add_months(anchor, (index + 1) * months) - ONE_DAY,
    )


def term_end_for(start: date, *, cycle: str, cycles: int = 1) -> date:
    """The last day of a term of `cycles` billing cycles starting on `start`: the last
    day of its period `cycles - 1` from that anchor."""
    if cycles < 1:
        raise ValueError("A term lasts at least one cycle.")
    return period(start, cycles - 1, cycle=cycle).ends_on


def index_of(anchor: date, day: date, *, cycle: str) -> int:
    """The index of the period of `anchor` that contains `day` (on or after the anchor)."""
    if day < anchor:
        raise ValueError("The day is before the anchor.")
    months = months_per_cycle(cycle)
    elapsed = (day.year - anchor.year) * 12 + day.month - anchor.month
    index = elapsed // months
    # One month too far when the day of the month has not come round yet.
    if period(anchor, index, cycle=cycle).starts_on > day:
        index -= 1
    return index


def tiling_problems(term: Span, periods: list[Span]) -> list[str]:
    """What stops `periods` from tiling `term` exactly: a sentence per gap, overlap,
    missing start or end, or a period that ends before it starts. Periods before the term
    (earlier terms) are allowed, but they too must follow each other without a gap."""
    if not periods:
        return ["there are no periods"]
    problems = []
    ordered = sorted(periods)
    for span in ordered:
        if span.ends_on < span.starts_on:
            problems.append(
                f"the period from {span.starts_on} ends before it starts, {span.ends_on}"
            )
    for previous, following in pairwise(ordered):
        expected = previous.ends_on + ONE_DAY
        if following.starts_on > expected:
            problems.append(
                f"a gap from {expected} to {following.starts_on - ONE_DAY} "
                f"(no period bills those days)"
            )
        elif following.starts_on < expected:
            problems.append(
                f"the period from {following.starts_on} overlaps the one ending {previous.ends_on}"
            )
    if not any(span.starts_on == term.starts_on for span in ordered):
        problems.append(f"no period starts on the term's first day, {term.starts_on}")
    if ordered[-1].ends_on != term.ends_on:
        problems.append(
            f"the last period ends on {ordered[-1].ends_on}, the term on {term.ends_on}"
        )
    return problems


class Reason(models.TextChoices):
    """Why a period exists (SubscriptionPeriod.reason)."""

    PURCHASE = "purchase", "Purchase"
    CHANGE = "change", "Change"
    RENEWAL = "renewal", "Renewal"
    EXTENSION = "extension", "Extension"


def periods_from_billed(term: Span, billed: list[Span]) -> list[tuple[Span, str]]:
    """A subscription's periods rebuilt from the spans its invoices billed (for data made
    before periods were recorded): each billed span, the first a purchase and the next
    renewals, and an extension for every stretch of the term that no invoice billed. A
    span overlapping one already taken (billed twice) is left out; with nothing billed,
    the term is one purchase."""
    taken: list[Span] = []
    for span in sorted(set(billed)):
        if not taken or span.starts_on > taken[-1].ends_on:
            taken.append(span)
    if not taken:
        return [(term, Reason.PURCHASE)]
    periods = [(taken[0], Reason.PURCHASE)]
    if term.starts_on < taken[0].starts_on:
        periods.insert(0, (Span(term.starts_on, taken[0].starts_on - ONE_DAY), Reason.EXTENSION))
    for previous, span in pairwise(taken):
        if span.starts_on > previous.ends_on + ONE_DAY:
            gap = Span(previous.ends_on + ONE_DAY, span.starts_on - ONE_DAY)
            periods.append((gap, Reason.EXTENSION))
        periods.append((span, Reason.RENEWAL))
    if term.ends_on > taken[-1].ends_on:
        periods.append((Span(taken[-1].ends_on + ONE_DAY, term.ends_on), Reason.EXTENSION))
    return periods
