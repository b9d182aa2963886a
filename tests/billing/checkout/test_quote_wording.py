"""The working each prorated line states, so a customer can redo the sum: the days it
covers out of the term's, the plan, and what the whole term costs. Tables of known cases,
each worked by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from billing.checkout.quote import working
from billing.money import Money
from billing.proration import prorate
from tests.billing.checkout.test_quote_rules import change, plan, price

D = Decimal


def proration_over(term_start: date, term_end: date, change_date: date):
    return prorate(
        current_price=Money(D("10.00"), "USD"),
        new_price=Money(D("20.00"), "USD"),
        term_start=term_start,
        term_end=term_end,
        change_date=change_date,
    )


MARCH = (date(2026, 3, 1), date(2026, 3, 31))

# (plan, term and change day) -> the working, worked by hand.
# fmt: off
WORKINGS = {
    "per seat, monthly: 12 x $19.00": (
        plan("team", 12), (*MARCH, date(2026, 3, 5)),
        "27 of 31 days of Team, 12 seats at $228.00 a month",
    ),
    "per seat below the minimum: 2 seats billed as 3": (
        plan("team", 2), (*MARCH, date(2026, 3, 31)),
        "1 of 31 days of Team, 2 seats at $57.00 a month",
    ),
    "flat price, one seat": (
        plan("starter", 1), (*MARCH, date(2026, 3, 1)),
        "31 of 31 days of Starter, 1 seat at $29.00 a month",
    ),
    "annual: 10 x $390.00": (
        plan("business", 10, "annual"), (date(2026, 3, 1), date(2027, 2, 28), date(2026, 9, 1)),
        "181 of 365 days of Business, 10 seats at $3,900.00 a year",
    ),
    "a term of two years: twice 5 x $190.00": (
        plan("team", 5, "annual", term_cycles=2),
        (date(2026, 3, 1), date(2028, 2, 29), date(2028, 2, 1)),
        "29 of 731 days of Team, 5 seats at $1,900.00 for 2 years",
    ),
    "a term of three months: three times $29.00": (
        plan("starter", 2, term_cycles=3), (date(2026, 3, 1), date(2026, 5, 31), date(2026, 5, 1)),
        "31 of 92 days of Starter, 2 seats at $87.00 for 3 months",
    ),
    "a term of one day": (
        plan("starter", 1), (date(2026, 3, 1), date(2026, 3, 1), date(2026, 3, 1)),
        "1 of 1 day of Starter, 1 seat at $29.00 a month",
    ),
    "euros, as the default locale writes them": (
        plan("team", 4, price=price("19.50", "monthly", currency="EUR")),
        (*MARCH, date(2026, 3, 20)),
        "12 of 31 days of Team, 4 seats at €78.00 a month",
    ),
}
# fmt: on


@pytest.mark.parametrize(("subject", "term", "expected"), WORKINGS.values(), ids=WORKINGS)
def test_it_states_the_days_the_plan_and_the_term_price(subject, term, expected):
    assert working(subject, proration_over(*term)) == expected


def test_it_writes_the_working_on_both_lines_of_a_change():
    quote = change(plan("team", 12), plan("business", 12), today=date(2026, 3, 5))
    assert [(line.description, line.amount.amount) for line in quote.lines] == [
        ("Unused time: 27 of 31 days of Team, 12 seats at $228.00 a month", D("-198.58")),
        ("Remaining time: 27 of 31 days of Business, 12 seats at $468.00 a month", D("407.61")),
    ]


def test_the_working_adds_up_to_the_line():
    """The amount is the stated share of the stated price, to the cent."""
    quote = change(plan("team", 12), plan("business", 12), today=date(2026, 3, 5))
    assert quote.lines[0].amount.amount == -(D("228.00") * 27 / 31).quantize(D("0.01"))
    assert quote.lines[1].amount.amount == (D("468.00") * 27 / 31).quantize(D("0.01"))


def test_a_new_cycle_credits_the_month_with_its_working():
    quote = change(plan("team", 5), plan("team", 5, "annual"), today=date(2026, 3, 14))
    assert quote.lines[0].description == (
        "Unused time: 18 of 31 days of Team, 5 seats at $95.00 a month"
    )
    assert quote.lines[1].description == "Team, 5 seats, annual"


def test_the_plan_still_describes_itself_with_its_cycle():
    assert plan("team", 1).describe() == "Team, 1 seat, monthly"
    assert plan("business", 12, "annual").describe() == "Business, 12 seats, annual"
