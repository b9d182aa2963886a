"""Price arithmetic the pricing page and the comparison show, and the billing cycles.
Pure: no ORM (BillingCycle is only an enumeration), so it is tested with tables of known
cases and hypothesis properties."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import models

from billing.money import Money


class BillingCycle(models.TextChoices):
    """How often a price is charged: the one definition (catalog prices, the pricing page,
    subscriptions)."""

    MONTHLY = "monthly", "Monthly"
    ANNUAL = "annual", "Annual"

MONTHS_PER_YEAR = 12
PERCENT_PLACES = Decimal("0.1")


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
