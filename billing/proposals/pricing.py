"""What a proposal's option costs, year by year: pure (no ORM, no clock), mutated by
`make mutate`. The PDF, the customer's page and the builder show this one path, and the
checkout that accepting the option opens bills it through the same discounts
(billing.discounts), so the figures a customer accepts are the invoices they get.

An option is a tier version's catalog price for a cycle, seats, a term of one to three
years (annual) or one month (monthly), how the term is invoiced and an optional
negotiated discount. Its path has one row per year of the term (a monthly option shows
its first twelve months as year 1, the cost of keeping it a year): the list price, the
discount, the net, and the day each is invoiced — every year's on the term's first day
when invoiced up front, each year's on its own first day when invoiced per cycle.
Amounts are before tax.

Each invoice discounts its own amount, rounded once (billing.discounts.apply): a year
invoiced up front or per cycle comes to the same cents, since the per-year list price
is the same; a monthly year is twelve invoices, each discounted and rounded, so its
year is twelve times the month's net, not the year's list less a percentage.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from billing.discounts import Discount, apply
from billing.money import Money
from billing.pricing import MONTHS_PER_YEAR, BillingCycle, SeatPrice
from billing.subscriptions.periods import period, term_end_for

UPFRONT = "upfront"
PER_CYCLE = "per_cycle"


@dataclass(frozen=True)
class OptionTerms:
    price: SeatPrice
    seats: int
    term_cycles: int
    billing: str
    starts_on: date
    discounts: tuple[Discount, ...] = ()

    def __post_init__(self) -> None:
        if self.price.cycle == BillingCycle.MONTHLY and self.term_cycles != 1:
            raise ValueError("A monthly option's term is one month.")
        if not 1 <= self.term_cycles <= 3:
            raise ValueError("A term is one to three years.")
        if self.billing not in (UPFRONT, PER_CYCLE):
            raise ValueError(f"Unknown billing {self.billing!r}.")

    @property
    def currency(self) -> str:
        return self.price.amount.currency

    @property
    def term_ends_on(self) -> date:
        return term_end_for(self.starts_on, cycle=self.price.cycle, cycles=self.term_cycles)


@dataclass(frozen=True)
class YearPrice:
    year: int  # 1, 2, 3
    starts_on: date
    ends_on: date  # the year's last day, included
    list_amount: Money
    discount: Money  # what the discounts take off (positive)
    net: Money
    invoiced_on: date


@dataclass(frozen=True)
class PricePath:
    terms: OptionTerms
    years: tuple[YearPrice, ...]

    @property
    def list_total(self) -> Money:
        return Money.total((year.list_amount for year in self.years), self.terms.currency)

    @property
    def discount_total(self) -> Money:
        return Money.total((year.discount for year in self.years), self.terms.currency)

    @property
    def net_total(self) -> Money:
        return Money.total((year.net for year in self.years), self.terms.currency)

    @property
    def first_invoice(self) -> Money:
        """What the first invoice bills: the whole term up front, else year 1's first
        invoice (a month, for a monthly option)."""
        if self.terms.price.cycle == BillingCycle.MONTHLY:
            return apply(self.terms.price.for_seats(self.terms.seats), self.terms.discounts).net
        if self.terms.billing == UPFRONT:
            return self.net_total
        return self.years[0].net


def price_path(terms: OptionTerms) -> PricePath:
    cycle_list = terms.price.for_seats(terms.seats)
    if terms.price.cycle == BillingCycle.MONTHLY:
        month = apply(cycle_list, terms.discounts)
        last_month = period(terms.starts_on, MONTHS_PER_YEAR - 1, cycle=BillingCycle.MONTHLY)
        years = (
            YearPrice(
                year=1,
                starts_on=terms.starts_on,
                ends_on=last_month.ends_on,
                list_amount=month.list_amount * MONTHS_PER_YEAR,
                discount=month.total_off * MONTHS_PER_YEAR,
                net=month.net * MONTHS_PER_YEAR,
                invoiced_on=terms.starts_on,
            ),
        )
        return PricePath(terms=terms, years=years)
    year = apply(cycle_list, terms.discounts)
    rows = []
    for index in range(terms.term_cycles):
        span = period(terms.starts_on, index, cycle=BillingCycle.ANNUAL)
        rows.append(
            YearPrice(
                year=index + 1,
                starts_on=span.starts_on,
                ends_on=span.ends_on,
                list_amount=year.list_amount,
                discount=year.total_off,
                net=year.net,
                invoiced_on=terms.starts_on if terms.billing == UPFRONT else span.starts_on,
            )
        )
    return PricePath(terms=terms, years=tuple(rows))


def saving_against(path: PricePath, current_year: Money) -> Money:
    """What the option saves (positive) or adds (negative) over its term against keeping
    the current plan at `current_year` a year for as many years."""
    return current_year * Decimal(len(path.years)) - path.net_total
