"""The readiness signals of the book of accounts, and an account's ARR. Pure: no ORM and
no clock (the day is a parameter), so every rule is tested with tables of known cases.

The rules, as the book explains them:
- sustained need: a limit over in two of the last three completed months (the usage
  nudge's own rule, licensing.usage.meters.need_is_sustained);
- trial features used: a trial running, or one that ended within the last 30 days
  (TRIAL_RECENT_DAYS: its last day in force 30 days ago or less) without being bought,
  in which at least one of the trial tier's extra features was used (the interest
  outlives the trial by a month; a bought trial is no longer an opportunity);
- seat growth: the seats in use reach 90% of the seats bought, or grew by 20% or more
  against three months earlier;
- renewal soon: a license that renews within 90 days (or is past its term, unrenewed);
- price lock ending: the locked price holds until a day within the next 90 days;
- overdue invoice: an open invoice past its due date. A risk, not an opportunity.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from billing.discounts import Discount, apply
from billing.ledger.mrr import BILLED_STATUSES, MONTHS_PER_CYCLE
from billing.money import Money
from billing.pricing import MONTHS_PER_YEAR, SeatPrice
from licensing.usage import meters

RENEWAL_WINDOW_DAYS = 90
PRICE_LOCK_WINDOW_DAYS = 90
SEATS_NEARLY_FULL_PERCENT = 90
SEAT_GROWTH_PERCENT = 20
SEAT_GROWTH_MONTHS = 3
TRIAL_RECENT_DAYS = 30


class Signal(StrEnum):
    SUSTAINED_NEED = "sustained_need"
    TRIAL_FEATURES = "trial_features"
    SEAT_GROWTH = "seat_growth"
    RENEWAL_SOON = "renewal_soon"
    PRICE_LOCK_ENDING = "price_lock_ending"
    OVERDUE = "overdue"


LABELS = {
    Signal.SUSTAINED_NEED: "Sustained need",
    Signal.TRIAL_FEATURES: "Trial features used",
    Signal.SEAT_GROWTH: "Seat growth",
    Signal.RENEWAL_SOON: "Renewal within 90 days",
    Signal.PRICE_LOCK_ENDING: "Price lock ending",
    Signal.OVERDUE: "Overdue invoice",
}
RISKS = frozenset({Signal.OVERDUE})


@dataclass(frozen=True)
class LimitUsage:
    """One limit of a license: its name, its value (None: unlimited) and its figures for
    the completed months, oldest first."""

    name: str
    limit: int | None
    completed: tuple[int, ...]


@dataclass(frozen=True)
class PlanFacts:
    """What the rules read of one license and its subscription."""

    renews: bool  # usable and not ending with its term
    renews_on: date  # the first day of the next term
    price_locked_until: date | None
    seats_bought: int
    seats_used: int | None  # None: the seats are not metered
    seats_used_before: int | None  # SEAT_GROWTH_MONTHS months earlier
    limits: tuple[LimitUsage, ...] = ()


@dataclass(frozen=True)
class TrialFacts:
    """What the rules read of one trial of the account."""

    features_used: int  # the trial tier's extra features used during the trial
    ended_on: date | None = None  # its last day in force; None: running
    bought: bool = False  # converted: the trial tier became the plan


@dataclass(frozen=True)
class AccountFacts:
    plans: tuple[PlanFacts, ...]
    trials: tuple[TrialFacts, ...]
    overdue_invoices: int


@dataclass(frozen=True)
class Found:
    """A signal that holds, and why, in a phrase."""

    signal: Signal
    why: str

    @property
    def label(self) -> str:
        return LABELS[self.signal]

    @property
    def is_risk(self) -> bool:
        return self.signal in RISKS


def days_to_go(renews_on: date, today: date) -> int:
    """Days from today to the renewal; negative once the renewal day has passed."""
    return (renews_on - today).days


def seat_growth(*, bought: int, used: int | None, before: int | None) -> str | None:
    """Why the seats show growth, or None: nearly full, or grown by SEAT_GROWTH_PERCENT."""
    if used is None:
        return None
    if used * 100 >= SEATS_NEARLY_FULL_PERCENT * bought:
        return f"{used} of {bought} seats in use"
    if before and (used - before) * 100 >= SEAT_GROWTH_PERCENT * before:
        return f"seats in use grew from {before} to {used} in {SEAT_GROWTH_MONTHS} months"
    return None


def trial_counts(trial: TrialFacts, today: date) -> bool:
    """Whether the trial's features used count towards the signal: running, or ended
    TRIAL_RECENT_DAYS days ago or less, and not bought."""
    if trial.bought:
        return False
    return trial.ended_on is None or (today - trial.ended_on).days <= TRIAL_RECENT_DAYS


def _within(day: date | None, today: date, window: int) -> bool:
    return day is not None and 0 <= (day - today).days <= window


def _plan_signals(plan: PlanFacts, today: date) -> list[Found]:
    found = [
        Found(Signal.SUSTAINED_NEED, f"{usage.name} over the limit in 2 of the last 3 months")
        for usage in plan.limits
        if meters.need_is_sustained(list(usage.completed), usage.limit)
    ]
    growth = seat_growth(
        bought=plan.seats_bought, used=plan.seats_used, before=plan.seats_used_before
    )
    if growth:
        found.append(Found(Signal.SEAT_GROWTH, growth))
    days = days_to_go(plan.renews_on, today)
    if plan.renews and days <= RENEWAL_WINDOW_DAYS:
        why = f"renews in {days} days" if days >= 0 else f"renewal {-days} days late"
        found.append(Found(Signal.RENEWAL_SOON, why))
    if _within(plan.price_locked_until, today, PRICE_LOCK_WINDOW_DAYS):
        found.append(
            Found(
                Signal.PRICE_LOCK_ENDING, f"price locked until {plan.price_locked_until:%-d %b %Y}"
            )
        )
    return found


def _count(number: int, noun: str) -> str:
    """ "1 invoice", "2 invoices": the number and the noun in its form."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


def account_signals(facts: AccountFacts, today: date) -> list[Found]:
    """The signals that hold for an account on `today`, once each, in Signal's order."""
    found = [f for plan in facts.plans for f in _plan_signals(plan, today)]
    trial_features = sum(t.features_used for t in facts.trials if trial_counts(t, today))
    if trial_features:
        why = f"{_count(trial_features, 'trial feature')} used"
        found.append(Found(Signal.TRIAL_FEATURES, why))
    if facts.overdue_invoices:
        found.append(Found(Signal.OVERDUE, f"{_count(facts.overdue_invoices, 'invoice')} overdue"))
    first: dict[Signal, Found] = {}
    for item in found:
        first.setdefault(item.signal, item)
    return [first[signal] for signal in Signal if signal in first]


def annual_recurring_revenue(
    *, price: SeatPrice, seats: int, status: str, discounts: tuple[Discount, ...] = ()
) -> Money:
    """What the subscription brings in a year at its locked price, rounded once: one
    cycle's price for the seats bought, times the cycles in a year, less the negotiated
    discount the current period gets (billing.discounts). Nothing while the license is
    not billed (billing.ledger.mrr's rule) (a trial, suspended, canceled or expired)."""
    if status not in BILLED_STATUSES:
        return Money.zero(price.amount.currency)
    months = MONTHS_PER_CYCLE.get(price.cycle)
    if months is None:
        raise ValueError(f"{price.cycle!r} is not a billing cycle.")
    year = (price.for_seats(seats) * Decimal(MONTHS_PER_YEAR // months)).rounded()
    return apply(year, discounts).net


def totals_by_currency(amounts: list[Money]) -> list[Money]:
    """One total per currency (there are no exchange rates), by currency code."""
    totals: dict[str, Money] = {}
    for amount in amounts:
        totals[amount.currency] = totals.get(amount.currency, Money.zero(amount.currency)) + amount
    return [totals[code] for code in sorted(totals)]
