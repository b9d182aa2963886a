"""billing.checkout.quote with a negotiated discount and a term of several years (an
accepted proposal's option), pure (no database, so `make mutate` runs it): each cycle's
charge is followed by its discount line (negative, rounded once, saying why), a term
invoiced per cycle bills its first cycle now, a new term starts today with the unused
time credited, and the discount shows in the fingerprint. Demo prices in USD: Team $190
per seat a year from 3 seats, Business $390 per seat a year from 10 seats; "today" is
14 March 2026 in a 2026 annual term (293 of its 365 days left)."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from billing.checkout.quote import (
    Line,
    discount_by_period,
    discount_lines,
    invoiced_now,
    quote_change,
    term_lines,
)
from billing.discounts import negotiated
from billing.invoices.kinds import LineKind
from billing.money import Money
from tests.billing.checkout.test_quote_rules import NO_TAX, PRICES, TODAY, plan, usd

YEAR_2026 = (date(2026, 1, 1), date(2026, 12, 31))
REASON = "three-year commitment"
OFF = "Negotiated discount 20% (three-year commitment)"


def option(tier="business", seats=10, cycles=3, billing="upfront", percent="20"):
    base = plan(tier, seats, "annual")
    return replace(
        base,
        price=PRICES[(tier, "annual")],
        term_cycles=cycles,
        billing=billing,
        discounts=negotiated(Decimal(percent), REASON),
    )


def team_5():
    return replace(plan("team", 5, "annual"), price=PRICES[("team", "annual")])


def change(target, **extra):
    return quote_change(
        current=team_5(),
        target=target,
        term_start=YEAR_2026[0],
        term_end=YEAR_2026[1],
        today=TODAY,
        tax_rate=NO_TAX,
        credit_balance=usd("0"),
        prices=PRICES,
        new_term=True,
        **extra,
    )


def rows(lines):
    return [
        (line.kind, line.description, line.amount, line.period_start, line.period_end)
        for line in lines
    ]


def test_a_term_of_three_years_has_a_discount_line_after_each_year():
    lines = term_lines(option(), TODAY)
    assert rows(lines) == [
        (
            LineKind.RECURRING,
            "Business, 10 seats, annual (1 of 3)",
            usd("3900.00"),
            date(2026, 3, 14),
            date(2027, 3, 13),
        ),
        (LineKind.DISCOUNT, OFF, usd("-780.00"), date(2026, 3, 14), date(2027, 3, 13)),
        (
            LineKind.RECURRING,
            "Business, 10 seats, annual (2 of 3)",
            usd("3900.00"),
            date(2027, 3, 14),
            date(2028, 3, 13),
        ),
        (LineKind.DISCOUNT, OFF, usd("-780.00"), date(2027, 3, 14), date(2028, 3, 13)),
        (
            LineKind.RECURRING,
            "Business, 10 seats, annual (3 of 3)",
            usd("3900.00"),
            date(2028, 3, 14),
            date(2029, 3, 13),
        ),
        (LineKind.DISCOUNT, OFF, usd("-780.00"), date(2028, 3, 14), date(2029, 3, 13)),
    ]
    discount = lines[1]
    assert (discount.quantity, discount.unit_price, discount.list_unit_price) == (
        Decimal(1),
        usd("-780.00"),
        None,
    )


def test_no_discount_no_discount_line():
    assert [line.kind for line in term_lines(option(percent="0"), TODAY)] == [
        LineKind.RECURRING
    ] * 3


def test_a_discount_is_rounded_once_per_charge():
    # 33.33% of 5 x $190.00 = $316.635, rounded once to $316.64.
    lines = term_lines(option("team", 5, 1, percent="33.33"), TODAY)
    assert [line.amount for line in lines] == [usd("950.00"), usd("-316.64")]
    charge = lines[0]
    assert discount_lines(replace(option(), discounts=()), charge) == []


def test_a_zero_discount_amount_makes_no_line():
    tiny = replace(
        option(),
        discounts=negotiated(Decimal("0.01"), REASON),
    )
    charge = Line("x", Decimal(1), usd("0.40"), usd("0.40"), TODAY, TODAY)
    # 0.01% of $0.40 rounds to nothing: no line of $0.00.
    assert discount_lines(tiny, charge) == []


def test_per_cycle_billing_invoices_the_first_cycle_now():
    per_year = option(billing="per_cycle")
    lines = term_lines(per_year, TODAY)
    assert rows(invoiced_now(per_year, lines)) == rows(lines[:2])
    assert invoiced_now(option(), lines) == lines
    assert invoiced_now(per_year, []) == []
    # Without a discount each year is one line: the first invoice bills the first only.
    undiscounted = option(billing="per_cycle", percent="0")
    plain = term_lines(undiscounted, TODAY)
    assert rows(invoiced_now(undiscounted, plain)) == rows(plain[:1])


def test_discounts_by_period_are_what_each_period_is_discounted():
    lines = term_lines(option(), TODAY)
    assert discount_by_period(lines) == {
        date(2026, 3, 14): usd("780.00"),
        date(2027, 3, 14): usd("780.00"),
        date(2028, 3, 14): usd("780.00"),
    }
    two = [*lines[:2], replace(lines[1], amount=usd("-20.00"))]
    assert discount_by_period(two) == {date(2026, 3, 14): usd("800.00")}
    assert discount_by_period(lines[::2]) == {}


def test_an_option_starts_a_new_term_today_crediting_the_unused_time():
    quote = change(option())
    assert quote.new_term
    assert (quote.term_start, quote.term_end) == (TODAY, date(2029, 3, 13))
    credit, *term = quote.lines
    # 293 of 365 days of 5 x $190.00 = $762.60.
    assert credit.kind == LineKind.PRORATION_CREDIT and credit.amount == usd("-762.60")
    assert len(term) == 6
    assert quote.subtotal == usd("8597.40")  # 3 x $3,120.00 - $762.60
    assert quote.later is None and quote.now == option()


def test_an_option_billed_per_year_invoices_its_first_year_now():
    quote = change(option(billing="per_cycle"))
    assert [line.kind for line in quote.lines] == [
        LineKind.PRORATION_CREDIT,
        LineKind.RECURRING,
        LineKind.DISCOUNT,
    ]
    assert quote.subtotal == usd("2357.40")  # $3,120.00 - $762.60
    assert quote.term_end == date(2029, 3, 13)


def test_an_option_lower_than_the_plan_is_still_taken_whole_now():
    """An option is the whole plan from today: no part of it waits for the term's end."""
    quote = change(option("team", 3, 1, percent="10"))
    assert quote.later is None and quote.now.seats == 3
    assert quote.term_end == date(2027, 3, 13)


def test_without_new_term_a_change_is_prorated_as_before():
    quote = quote_change(
        current=team_5(),
        target=replace(team_5(), seats=8),
        term_start=YEAR_2026[0],
        term_end=YEAR_2026[1],
        today=TODAY,
        tax_rate=NO_TAX,
        credit_balance=usd("0"),
        prices=PRICES,
    )
    assert not quote.new_term
    assert [line.kind for line in quote.lines] == [
        LineKind.PRORATION_CREDIT,
        LineKind.PRORATION_CHARGE,
    ]


@pytest.mark.parametrize(
    "other",
    [
        {"billing": "per_cycle"},
        {"discounts": negotiated(Decimal(15), REASON)},
        {"discounts": negotiated(Decimal(20), "another reason")},
    ],
)
def test_the_fingerprint_holds_the_billing_and_the_discount(other):
    assert change(option()).fingerprint() != change(replace(option(), **other)).fingerprint()


def test_the_renewal_after_the_term_is_at_the_list_price():
    assert change(option()).renewal == Money(Decimal("11700.00"), "USD")


def test_the_net_term_price_is_each_cycle_discounted_and_rounded():
    assert option().net_term_price == usd("9360.00")
    assert option(percent="0").net_term_price == option().term_price == usd("11700.00")
    # 33.33% of $950.00 is $316.64 (rounded once per cycle), twice.
    assert option("team", 5, 2, percent="33.33").net_term_price == usd("1266.72")
    assert option().term_price_phrase() == "$9,360.00 for 3 years after discounts"
    assert option(cycles=1, percent="0").term_price_phrase() == "$3,900.00 a year"


def held(target_cycle):
    """A customer's own change while the subscription holds 20% for its term."""
    current = replace(plan("team", 5, "monthly"), discounts=negotiated(Decimal(20), REASON))
    target = replace(
        plan("team", 8, target_cycle),
        price=PRICES[("team", target_cycle)],
        discounts=current.discounts if target_cycle == "monthly" else (),
    )
    return quote_change(
        current=current,
        target=target,
        term_start=date(2026, 3, 1),
        term_end=date(2026, 3, 31),
        today=TODAY,
        tax_rate=NO_TAX,
        credit_balance=usd("0"),
        prices=PRICES,
    )


def test_more_seats_in_a_discounted_term_are_prorated_net():
    quote = held("monthly")
    assert quote.now.discounts == negotiated(Decimal(20), REASON)
    credit, charge = quote.lines
    # 18 of 31 days of 5 x $19.00 less 20% ($76.00) and of 8 x $19.00 less 20% ($121.60).
    assert credit.amount == usd("-44.13")
    assert charge.amount == usd("70.61")
    assert "at $121.60 a month after discounts" in charge.description


def test_a_new_cycle_starts_without_the_discount_of_the_old_term():
    quote = held("annual")
    assert quote.now.discounts == ()
    assert LineKind.DISCOUNT not in [line.kind for line in quote.lines]
    credit = quote.lines[0]
    assert credit.amount == usd("-44.13")  # the unused time, at what was paid


def test_a_change_inside_the_term_keeps_the_terms_discount_whatever_the_target_says():
    current = replace(plan("team", 5, "monthly"), discounts=negotiated(Decimal(20), REASON))
    target = replace(plan("team", 8, "monthly"), discounts=())
    quote = quote_change(
        current=current,
        target=target,
        term_start=date(2026, 3, 1),
        term_end=date(2026, 3, 31),
        today=TODAY,
        tax_rate=NO_TAX,
        credit_balance=usd("0"),
        prices=PRICES,
    )
    assert quote.now.discounts == negotiated(Decimal(20), REASON)
