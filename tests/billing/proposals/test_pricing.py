"""billing.proposals.pricing: an option's price path, known cases and properties (pure:
these are the mutation run's)."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.discounts import negotiated
from billing.money import Money
from billing.pricing import SeatPrice
from billing.proposals.pricing import (
    PER_CYCLE,
    UPFRONT,
    OptionTerms,
    price_path,
    saving_against,
)

D = Decimal
START = date(2026, 4, 1)


def usd(amount: str) -> Money:
    return Money(D(amount), "USD")


def terms(
    amount="390.00",
    cycle="annual",
    seats=12,
    years=1,
    billing=UPFRONT,
    percent="0",
    per_seat=True,
    min_seats=1,
    starts_on=START,
    currency="USD",
):
    return OptionTerms(
        price=SeatPrice(Money(D(amount), currency), cycle, per_seat=per_seat, min_seats=min_seats),
        seats=seats,
        term_cycles=years,
        billing=billing,
        starts_on=starts_on,
        discounts=negotiated(D(percent), "three-year commitment"),
    )


def rows(path):
    return [
        (
            y.year,
            y.starts_on,
            y.ends_on,
            y.list_amount.amount,
            y.discount.amount,
            y.net.amount,
            y.invoiced_on,
        )
        for y in path.years
    ]


def test_a_three_year_annual_option_invoiced_up_front():
    path = price_path(terms(years=3, percent="20"))  # 12 seats x $390 = $4,680 a year
    assert rows(path) == [
        (1, date(2026, 4, 1), date(2027, 3, 31), D("4680.00"), D("936.00"), D("3744.00"), START),
        (2, date(2027, 4, 1), date(2028, 3, 31), D("4680.00"), D("936.00"), D("3744.00"), START),
        (3, date(2028, 4, 1), date(2029, 3, 31), D("4680.00"), D("936.00"), D("3744.00"), START),
    ]
    assert (path.list_total, path.discount_total, path.net_total) == (
        usd("14040.00"),
        usd("2808.00"),
        usd("11232.00"),
    )
    assert path.first_invoice == usd("11232.00")
    assert path.terms.term_ends_on == date(2029, 3, 31)
    assert path.terms.currency == "USD"


def test_the_same_option_invoiced_per_year():
    path = price_path(terms(years=3, percent="20", billing=PER_CYCLE))
    assert [y.invoiced_on for y in path.years] == [
        date(2026, 4, 1),
        date(2027, 4, 1),
        date(2028, 4, 1),
    ]
    assert path.net_total == usd("11232.00")
    assert path.first_invoice == usd("3744.00")


def test_a_two_year_term_has_two_years():
    path = price_path(terms(years=2, billing=PER_CYCLE, percent="12.5", amount="33.33", seats=1))
    assert [y.year for y in path.years] == [1, 2]
    assert rows(path)[1][3:6] == (D("33.33"), D("4.17"), D("29.16"))
    assert path.first_invoice == usd("29.16")


def test_a_monthly_option_shows_its_first_twelve_months():
    path = price_path(terms(amount="39.00", cycle="monthly", seats=10, percent="15"))
    # A month: $390.00 less $58.50 = $331.50; twelve of them.
    assert rows(path) == [
        (1, START, date(2027, 3, 31), D("4680.00"), D("702.00"), D("3978.00"), START)
    ]
    assert path.first_invoice == usd("331.50")
    assert path.terms.term_ends_on == date(2026, 4, 30)


def test_a_monthly_year_is_twelve_rounded_months():
    # $33.33 less 15% is $28.33 a month (4.9995 off → 5.00): $339.96 a year, not
    # $399.96 less 15% ($339.97).
    path = price_path(terms(amount="33.33", cycle="monthly", seats=1, percent="15"))
    assert path.net_total == usd("339.96")
    assert path.discount_total == usd("60.00")


def test_a_flat_price_ignores_seats_and_a_minimum_is_billed():
    assert price_path(terms(amount="790.00", per_seat=False, seats=7)).net_total == usd("790.00")
    assert price_path(terms(amount="19.00", seats=2, min_seats=3)).net_total == usd("57.00")


def test_a_path_starting_at_a_month_end_keeps_its_anniversaries():
    path = price_path(terms(years=2, billing=PER_CYCLE, starts_on=date(2028, 2, 29)))
    assert [(y.starts_on, y.ends_on) for y in path.years] == [
        (date(2028, 2, 29), date(2029, 2, 27)),
        (date(2029, 2, 28), date(2030, 2, 27)),
    ]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"cycle": "monthly", "years": 2}, r"^A monthly option's term is one month\.$"),
        ({"years": 0}, r"^A term is one to three years\.$"),
        ({"years": 4}, r"^A term is one to three years\.$"),
        ({"billing": "later"}, r"^Unknown billing 'later'\.$"),
    ],
    ids=["monthly-two-years", "zero-years", "four-years", "unknown-billing"],
)
def test_it_refuses_terms_out_of_range(fields, message):
    with pytest.raises(ValueError, match=message):
        terms(**fields)


@pytest.mark.parametrize("years", [1, 3])
def test_one_and_three_years_are_terms(years):
    assert len(price_path(terms(years=years)).years) == years


def test_the_saving_against_the_current_plan():
    path = price_path(terms(years=3, percent="20"))  # $3,744 a year
    assert saving_against(path, usd("4000.00")) == usd("768.00")
    assert saving_against(path, usd("3000.00")) == usd("-2232.00")


options = st.builds(
    lambda amount, seats, years, billing, percent, per_seat, day: terms(
        amount=str(amount),
        seats=seats,
        years=years,
        billing=billing,
        percent=str(percent),
        per_seat=per_seat,
        starts_on=day,
    ),
    st.decimals(min_value=0, max_value=10_000, places=2),
    st.integers(min_value=1, max_value=500),
    st.integers(min_value=1, max_value=3),
    st.sampled_from([UPFRONT, PER_CYCLE]),
    st.decimals(min_value=0, max_value=100, places=2),
    st.booleans(),
    st.dates(min_value=date(2024, 1, 1), max_value=date(2035, 12, 31)),
)


@given(options)
def test_each_year_adds_up_and_the_years_follow_each_other(option):
    path = price_path(option)
    assert len(path.years) == option.term_cycles
    assert path.years[0].starts_on == option.starts_on
    assert path.years[-1].ends_on == option.term_ends_on
    for year in path.years:
        assert year.net + year.discount == year.list_amount
        assert year.list_amount == option.price.for_seats(option.seats)
        assert year.invoiced_on == (
            option.starts_on if option.billing == UPFRONT else year.starts_on
        )
    for before, after in zip(path.years, path.years[1:], strict=False):
        assert (after.starts_on - before.ends_on).days == 1
    assert path.net_total + path.discount_total == path.list_total
    assert path.net_total <= path.list_total


@given(options)
def test_up_front_and_per_cycle_cost_the_same(option):
    upfront = price_path(OptionTerms(**{**option.__dict__, "billing": UPFRONT}))
    per_cycle = price_path(OptionTerms(**{**option.__dict__, "billing": PER_CYCLE}))
    assert upfront.net_total == per_cycle.net_total
    assert upfront.first_invoice == upfront.net_total
    assert per_cycle.first_invoice == per_cycle.years[0].net


def test_an_option_without_discounts_is_at_list_price():
    option = OptionTerms(
        price=SeatPrice(usd("790.00"), "annual"),
        seats=5,
        term_cycles=1,
        billing=UPFRONT,
        starts_on=START,
    )
    path = price_path(option)
    assert (path.net_total, path.discount_total) == (usd("790.00"), usd("0.00"))
