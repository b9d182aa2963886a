"""What a commercial change is, step by step: from the terms a subscription was on before
a change to the terms after it, the kinds of event to record, in a fixed order, each with
the MRR before and after it. Pure (no ORM): `make mutate` mutates it.

One change may move several things at once (a checkout that upgrades and adds seats): it
gives one event per thing moved, in this order — tier or version, seats, billing cycle,
price, term, auto-renew, status — and each step's MRR is what the terms would bring in
after that step, so the events chain (each one's MRR before is the last one's after) and
the last one ends at the MRR after the change. A new price belongs to the step that
brought it: the version step when the cycle stays, the cycle step when the cycle moves,
otherwise a price step of its own (price_locked). A purchase is one event from nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from billing.ledger.mrr import mrr_minor_units
from billing.models import SubscriptionEventKind as Kind
from billing.money import Money
from billing.pricing import SeatPrice

# Leaving one of these for a status that is not one of them is a reinstatement.
HELD_STATUSES = frozenset({"suspended", "canceled"})
ENTERED = {"suspended": Kind.SUSPENDED, "canceled": Kind.CANCELED, "expired": Kind.EXPIRED}


@dataclass(frozen=True)
class Terms:
    """What a subscription is on at one moment: its license's and its own fields."""

    status: str
    version: int
    tier: int
    tier_rank: int
    seats: int
    currency: str
    cycle: str
    unit_amount: Decimal
    per_seat: bool
    min_seats: int
    term_start: date
    term_end: date
    auto_renew: bool
    price_locked_on: date
    # The negotiated discount (percent) the current term gets: part of its price.
    discount_percent: Decimal = Decimal(0)

    @property
    def price(self) -> SeatPrice:
        return SeatPrice(
            amount=Money(self.unit_amount, self.currency),
            cycle=self.cycle,
            per_seat=self.per_seat,
            min_seats=self.min_seats,
        )

    @property
    def mrr(self) -> int:
        return mrr_minor_units(
            price=self.price,
            seats=self.seats,
            status=self.status,
            discount_percent=self.discount_percent,
        )

    def with_price_of(self, other: Terms) -> Terms:
        return replace(
            self,
            currency=other.currency,
            unit_amount=other.unit_amount,
            per_seat=other.per_seat,
            min_seats=other.min_seats,
            price_locked_on=other.price_locked_on,
            discount_percent=other.discount_percent,
        )


@dataclass(frozen=True)
class Step:
    kind: str
    mrr_before: int
    mrr_after: int
    terms: Terms  # the terms after this step


def _price_moved(before: Terms, after: Terms) -> bool:
    return before.with_price_of(after) != before


def _version_kind(before: Terms, after: Terms) -> str:
    """Up or down by the tiers' places in the catalog; another version of the same tier,
    or a tier at the same place, is neither."""
    if after.tier_rank > before.tier_rank:
        return Kind.UPGRADED
    if after.tier_rank < before.tier_rank:
        return Kind.DOWNGRADED
    return Kind.VERSION_CHANGED


def _term_kind(before: Terms, after: Terms) -> str:
    if after.term_start != before.term_start:
        return Kind.TERM_STARTED
    if after.term_end > before.term_end:
        return Kind.TERM_EXTENDED
    return Kind.TERM_SHORTENED


def _status_kind(before: Terms, after: Terms) -> str:
    if after.status in ENTERED:
        return ENTERED[after.status]
    if before.status in HELD_STATUSES:
        return Kind.REINSTATED
    return Kind.STATUS_CHANGED


def steps(before: Terms | None, after: Terms) -> list[Step]:
    """The events that take a subscription from `before` (None: it did not exist) to
    `after`; none when nothing commercial moved."""
    if before is None:
        return [Step(Kind.PURCHASED, 0, after.mrr, after)]
    found: list[Step] = []
    current = before

    def step(kind: str, terms: Terms) -> None:
        nonlocal current
        if terms.currency != current.currency:
            # MRR is counted per currency: what the old one loses and what the new one
            # gains are two movements, each in its own currency, never one mixing both.
            found.append(Step(Kind.CURRENCY_LEFT, current.mrr, 0, current))
            found.append(Step(kind, 0, terms.mrr, terms))
        else:
            found.append(Step(kind, current.mrr, terms.mrr, terms))
        current = terms

    if after.version != current.version:
        moved = replace(current, version=after.version, tier=after.tier, tier_rank=after.tier_rank)
        if after.cycle == current.cycle:
            moved = moved.with_price_of(after)
        step(_version_kind(current, after), moved)
    if after.seats != current.seats:
        kind = Kind.SEATS_ADDED if after.seats > current.seats else Kind.SEATS_REMOVED
        step(kind, replace(current, seats=after.seats))
    if after.cycle != current.cycle:
        step(Kind.CYCLE_CHANGED, replace(current, cycle=after.cycle).with_price_of(after))
    if _price_moved(current, after):
        step(Kind.PRICE_LOCKED, current.with_price_of(after))
    if (after.term_start, after.term_end) != (current.term_start, current.term_end):
        terms = replace(current, term_start=after.term_start, term_end=after.term_end)
        step(_term_kind(current, after), terms)
    if after.auto_renew != current.auto_renew:
        kind = Kind.AUTO_RENEW_ON if after.auto_renew else Kind.AUTO_RENEW_OFF
        step(kind, replace(current, auto_renew=after.auto_renew))
    if after.status != current.status:
        step(_status_kind(current, after), replace(current, status=after.status))
    return found
