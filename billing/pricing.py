"""Price arithmetic the pricing page and the comparison show, and the billing cycles.
Pure: no ORM (BillingCycle is only an enumeration), so it is tested with tables of known
cases and hypothesis properties."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import models

from billing.money import DEFAULT_LOCALE, Money


class BillingCycle(models.TextChoices):
    """How often a price is charged: the one definition (catalog prices, the pricing page,
    subscriptions)."""

    MONTHLY = "monthly", "Monthly"
    ANNUAL = "annual", "Annual"


MONTHS_PER_YEAR = 12
PERCENT_PLACES = Decimal("0.1")


# "$79.00 a month", "$12.00 per seat a year".
CYCLE_PHRASE = {BillingCycle.MONTHLY: "a month", BillingCycle.ANNUAL: "a year"}


@dataclass(frozen=True)
class SeatPrice:
    """A price as the catalog states it for one billing cycle: flat for the tier whatever
    the seats, or per seat with a minimum number of seats billed."""

    amount: Money
    cycle: str
    per_seat: bool = False
    min_seats: int = 1

    def __post_init__(self) -> None:
        if self.min_seats < 1:
            raise ValueError("A price's minimum is at least one seat.")

    def billed_seats(self, seats: int) -> int:
        """The seats charged for `seats` bought: at least the minimum when per seat."""
        if seats < 1:
            raise ValueError("Price at least one seat.")
        return max(seats, self.min_seats) if self.per_seat else seats

    def for_seats(self, seats: int) -> Money:
        """What one cycle costs for `seats` seats, unrounded."""
        billed = self.billed_seats(seats)
        return self.amount * billed if self.per_seat else self.amount

    def describe(self, locale: str = DEFAULT_LOCALE) -> str:
        """ "$12.00 per seat a month, from 5 seats" or "$79.00 a month"."""
        phrase = CYCLE_PHRASE.get(self.cycle, self.cycle)
        if not self.per_seat:
            return f"{self.amount.format(locale)} {phrase}"
        minimum = f", from {self.min_seats} seats" if self.min_seats > 1 else ""
        return f"{self.amount.format(locale)} per seat {phrase}{minimum}"


def round_percent(value: Decimal) -> Decimal:
    """Percentages are shown to one decimal place, half up (16.666… → 16.7)."""
    return value.quantize(PERCENT_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class AnnualSaving:
    """What paying yearly saves against twelve monthly payments."""

    amount: Money
    percent: Decimal

    @property
    def saves(self) -> bool:
        return self.amount.amount > 0


def annual_saving(*, monthly: Money, annual: Money) -> AnnualSaving:
    twelve_months = monthly * MONTHS_PER_YEAR
    saving = (twelve_months - annual).rounded()
    if twelve_months.is_zero:
        return AnnualSaving(amount=saving, percent=Decimal("0.0"))
    return AnnualSaving(
        amount=saving, percent=round_percent(saving.amount / twelve_months.amount * 100)
    )


def monthly_equivalent(annual: Money) -> Money:
    """An annual price spread over twelve months, for "€40.83 a month, billed yearly"."""
    return (annual / MONTHS_PER_YEAR).rounded()


@dataclass(frozen=True)
class PriceDifference:
    """Moving from one price to another: positive costs more, negative saves."""

    per_month: Money
    per_year: Money

    @property
    def direction(self) -> str:
        if self.per_year.amount > 0:
            return "more"
        if self.per_year.amount < 0:
            return "less"
        return "same"


def price_difference(
    *, from_monthly: Money, to_monthly: Money, from_annual: Money, to_annual: Money
) -> PriceDifference:
    return PriceDifference(
        per_month=(to_monthly - from_monthly).rounded(),
        per_year=(to_annual - from_annual).rounded(),
    )
