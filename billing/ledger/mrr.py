"""Monthly recurring revenue of one subscription, in the currency's minor units (cents,
pence; yen have none), as an integer so sums are exact on every database.

The one rule: what one billing cycle costs for the seats bought (billing.pricing.SeatPrice),
less the negotiated discount the term gets, divided by the months the cycle lasts, rounded
once, half up, to the minor unit by billing.money (the one rounding place). Each
subscription's MRR is rounded on its own; totals add those integers, so a total is always
the sum of the rows it is made of.

Only a license that is billed counts: active, or past due (invoiced and still owed). A
trial, a suspended, canceled or expired license brings in nothing: 0.
Pure (no ORM): `make mutate` mutates it against its fast tests.
"""

from __future__ import annotations

from decimal import Decimal

from billing.money import Money, minor_unit_places
from billing.pricing import BillingCycle, SeatPrice

MONTHS_PER_CYCLE = {BillingCycle.MONTHLY: 1, BillingCycle.ANNUAL: 12}
BILLED_STATUSES = frozenset({"active", "past_due"})
HUNDRED = Decimal(100)


def to_minor_units(amount: Money) -> int:
    """A rounded amount as an integer of minor units: $12.34 → 1234, ¥500 → 500."""
    rounded = amount.rounded().amount
    return int(rounded.scaleb(minor_unit_places(amount.currency)))


def from_minor_units(minor: int, currency: str) -> Money:
    """The inverse of to_minor_units: 1234 USD → $12.34."""
    return Money(Decimal(minor).scaleb(-minor_unit_places(currency)), currency)


def monthly(price: SeatPrice, seats: int) -> Money:
    """One cycle's price for `seats`, spread over its months, unrounded."""
    months = MONTHS_PER_CYCLE.get(price.cycle)
    if months is None:
        raise ValueError(f"{price.cycle!r} is not a billing cycle.")
    return price.for_seats(seats) / months


def mrr_minor_units(
    *, price: SeatPrice, seats: int, status: str, discount_percent: Decimal = Decimal(0)
) -> int:
    """The MRR a subscription at `price` with `seats` brings in while its license is in
    `status`, in minor units, less the negotiated discount its term gets (a percentage:
    what it is invoiced, not its list price)."""
    if status not in BILLED_STATUSES:
        return 0
    if not Decimal(0) <= discount_percent <= HUNDRED:
        raise ValueError(f"A discount is 0 to 100 percent, not {discount_percent}.")
    return to_minor_units(monthly(price, seats) * (HUNDRED - discount_percent) / HUNDRED)
