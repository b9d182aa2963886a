"""Discounts: what comes off a price, and in what order. Pure (no ORM, no clock), and
mutated by `make mutate`.

One published order: each discount applies to what the discounts before it left, and
each amount it takes off is rounded once, to the currency's minor units, so a customer
can redo the sum line by line. The negotiated discount (an account manager's, approved
where it is large: billing.proposals) comes first; coupons, seat bands and term
discounts join `ORDER` in their place when they exist, and nothing else changes.

    list price ──negotiated 20 %──▶ net

A discount never takes more than what is left (100 % leaves zero) and never adds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from billing.money import Money

HUNDRED = Decimal(100)


class DiscountKind(StrEnum):
    NEGOTIATED = "negotiated"


# The order discounts apply in (README, "Discounts").
ORDER: tuple[DiscountKind, ...] = (DiscountKind.NEGOTIATED,)

LABELS = {DiscountKind.NEGOTIATED: "Negotiated discount"}


def format_percent(percent: Decimal) -> str:
    """ "20%", "12.5%": no trailing zeros."""
    text = f"{percent:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%"


@dataclass(frozen=True)
class Discount:
    kind: DiscountKind
    percent: Decimal
    reason: str

    def __post_init__(self) -> None:
        if not isinstance(self.percent, Decimal) or not self.percent.is_finite():
            raise TypeError("A discount's percent is a finite Decimal.")
        if not Decimal(0) < self.percent <= HUNDRED:
            raise ValueError("A discount is more than 0% and at most 100%.")
        if not self.reason.strip():
            raise ValueError("A discount says why it is given.")

    def describe(self) -> str:
        """ "Negotiated discount 20% (three-year commitment)"."""
        return f"{LABELS[self.kind]} {format_percent(self.percent)} ({self.reason.strip()})"


@dataclass(frozen=True)
class Applied:
    """One discount applied: to what (`base`, what the discounts before it left) and how
    much it takes off (`amount`, positive, rounded)."""

    discount: Discount
    base: Money
    amount: Money


@dataclass(frozen=True)
class Discounted:
    list_amount: Money
    applied: tuple[Applied, ...]
    net: Money

    @property
    def total_off(self) -> Money:
        return self.list_amount - self.net


def negotiated(percent: Decimal, reason: str) -> tuple[Discount, ...]:
    """The negotiated discount as a list of discounts: none for 0%."""
    if percent == 0:
        return ()
    return (Discount(DiscountKind.NEGOTIATED, percent, reason),)


def apply(amount: Money, discounts: Iterable[Discount]) -> Discounted:
    """`amount` less each discount in the published order. `amount` is taken as it is
    (a list price in whole minor units); each discount's amount is rounded once."""
    chosen = sorted(discounts, key=lambda discount: ORDER.index(discount.kind))
    kinds = [discount.kind for discount in chosen]
    if len(set(kinds)) != len(kinds):
        raise ValueError("At most one discount of each kind.")
    if amount.amount < 0:
        raise ValueError("Discount a price, not a credit.")
    left = amount
    applied = []
    for discount in chosen:
        off = (left * discount.percent / HUNDRED).rounded()
        applied.append(Applied(discount=discount, base=left, amount=off))
        left = left - off
    return Discounted(list_amount=amount, applied=tuple(applied), net=left)


def needs_approval(discounts: Iterable[Discount], threshold_percent: Decimal) -> bool:
    """A discount above the threshold (setting PROPOSAL_APPROVAL_THRESHOLD_PERCENT) waits
    for an admin's approval before it is sent: the combined share taken off counts, so
    two discounts cannot each stay under it."""
    share = Decimal(1)
    for discount in discounts:
        share *= (HUNDRED - discount.percent) / HUNDRED
    return (Decimal(1) - share) * HUNDRED > threshold_percent
