"""Money's rules stated one by one, each with the case that tells it from its neighbours:
ties that half-up and half-even round apart, both directions and equality in comparisons,
amounts of two currencies that are never equal, and the message each refusal gives."""

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.money import MINUS, CurrencyMismatch, Money, round_to_minor_units
from billing.pricing import annual_saving, price_difference, round_percent

D = Decimal


def usd(amount: str) -> Money:
    return Money(D(amount), "USD")


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("0.125", "USD", "0.13"),  # half-even would give 0.12: the digit before the tie is even
        ("-0.125", "USD", "-0.13"),
        ("2.5", "JPY", "3"),  # no minor units: whole yen, half up
    ],
)
def test_it_rounds_a_tie_after_an_even_digit_up(amount, currency, expected):
    assert round_to_minor_units(D(amount), currency) == D(expected)
    assert Money(D(amount), currency).rounded() == Money(D(expected), currency)


def test_it_rounds_to_each_currencys_own_minor_units():
    assert Money(D("1234.5"), "JPY").rounded().amount == D("1235")
    assert Money(D("1234.5"), "JPY").format() == "¥1,235"
    assert Money(D("1234.567"), "USD").rounded().amount == D("1234.57")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("16.25", "16.3"), ("16.35", "16.4"), ("16.24", "16.2"), ("-16.25", "-16.3")],
)
def test_it_rounds_percentages_half_up_to_one_place(value, expected):
    assert round_percent(D(value)) == D(expected)


def test_an_annual_saving_that_ties_on_the_percent_rounds_up():
    # 195 saved of 1,200: exactly 16.25 %.
    saving = annual_saving(monthly=usd("100.00"), annual=usd("1005.00"))
    assert (saving.amount, saving.percent) == (usd("195.00"), D("16.3"))


@pytest.mark.parametrize(("annual", "saves"), [("119.50", True), ("119.99", True), ("120", False)])
def test_any_saving_at_all_counts_as_one(annual, saves):
    assert annual_saving(monthly=usd("10.00"), annual=usd(annual)).saves is saves


@pytest.mark.parametrize(
    ("to_annual", "direction"),
    [("290.50", "more"), ("290.00", "same"), ("289.50", "less"), ("290.004", "same")],
)
def test_the_direction_of_a_move_follows_the_yearly_difference(to_annual, direction):
    difference = price_difference(
        from_monthly=usd("29"),
        to_monthly=usd("29"),
        from_annual=usd("290"),
        to_annual=usd(to_annual),
    )
    assert difference.direction == direction


def test_a_price_difference_is_shown_without_its_sign():
    saving = price_difference(
        from_monthly=usd("99"), to_monthly=usd("29"), from_annual=usd("990"), to_annual=usd("290")
    )
    assert saving.direction == "less"
    assert abs(saving.per_year) == usd("700.00")
    assert abs(saving.per_year).format() == "$700.00"
    assert abs(usd("70")) == usd("70")
    assert abs(Money(D("-0.5"), "GBP")).currency == "GBP"


def test_the_same_amount_in_two_currencies_is_not_equal():
    assert Money(D("1"), "USD") != Money(D("1"), "EUR")
    assert not Money(D("1"), "USD") == Money(D("1"), "EUR")  # noqa: SIM201 (== itself is under test)
    assert Money(D("1.0"), "USD") == Money(D("1.00"), "USD")
    assert Money(D("1"), "USD") != Money(D("2"), "USD")
    assert Money(D("1"), "USD") != Decimal("1")


def test_equal_amounts_share_a_hash_so_sets_and_dicts_see_one():
    assert {Money(D("1.0"), "USD"), Money(D("1.00"), "USD"), Money(D("1"), "USD")} == {usd("1")}


def test_it_orders_amounts_both_ways_and_at_equality():
    small, large = usd("1.00"), usd("1.01")
    assert small < large and not large < small
    assert large > small and not small > large
    assert small <= usd("1") and small >= usd("1")
    assert not small < usd("1") and not small > usd("1")
    with pytest.raises(CurrencyMismatch, match=re.escape("Cannot combine USD with EUR; convert")):
        assert small < Money(D("2"), "EUR")


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (
            lambda: Money(1.5, "USD"),
            TypeError,
            "An amount of money must be a Decimal or an int, not float.",
        ),
        (
            lambda: Money(True, "USD"),
            TypeError,
            "An amount of money must be a Decimal or an int, not bool.",
        ),
        (
            lambda: Money(D("NaN"), "USD"),
            ValueError,
            "An amount of money must be a finite number, not NaN.",
        ),
        (
            lambda: Money(D("Infinity"), "USD"),
            ValueError,
            "An amount of money must be a finite number, not Infinity.",
        ),
        (lambda: Money(D("1"), "XYZ"), ValueError, "'XYZ' is not an ISO 4217 currency code."),
        (lambda: Money(D("1"), None), ValueError, "None is not an ISO 4217 currency code."),
        (lambda: usd("1") * 1.5, TypeError, "A multiplier must be a Decimal or an int, not float."),
        (lambda: usd("1") / 1.5, TypeError, "A divisor must be a Decimal or an int, not float."),
        (lambda: usd("1") / 0, ZeroDivisionError, "Cannot divide money by zero."),
        (lambda: usd("1") / D("0.00"), ZeroDivisionError, "Cannot divide money by zero."),
        (lambda: usd("1") + 1, TypeError, "Cannot combine Money with int."),
        (
            lambda: usd("1") - Money(D("1"), "EUR"),
            CurrencyMismatch,
            "Cannot combine USD with EUR; convert first.",
        ),
    ],
)
def test_each_refusal_says_what_was_wrong(make, error, message):
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        make()


def test_it_multiplies_and_divides_by_ints_and_decimals_exactly():
    assert usd("10") * 3 == usd("30")
    assert 3 * usd("10") == usd("30")
    assert usd("10") * D("0.5") == usd("5")
    assert usd("10") / 4 == usd("2.5")
    assert usd("10") / D("0.5") == usd("20")


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "shown"),
    [
        ("-5", "USD", "en_US", "\u2212$5.00"),
        ("-0.004", "USD", "en_US", "$0.00"),  # rounds to zero: never signed
        ("-0.00", "EUR", "de_DE", "0,00\xa0€"),
        ("0", "USD", "en_US", "$0.00"),
        ("0.005", "USD", "en_US", "$0.01"),
        ("-1234.5", "EUR", "de_DE", "\u22121.234,50\xa0€"),
        ("-3", "SEK", "sv_SE", "\u22123,00\xa0kr"),  # CLDR's own minus for Swedish
        ("-3", "EUR", "nl_NL", "€\xa0\u22123,00"),
        ("-12", "JPY", "ja_JP", "\u2212￥12"),
        ("1234.5", "EUR", "de_DE", "1.234,50\xa0€"),
    ],
    ids=lambda value: value if value.isascii() else "shown",
)
def test_one_minus_sign_and_no_signed_zero(amount, currency, locale, shown):
    assert Money(Decimal(amount), currency).format(locale) == shown


@given(cents=st.integers(-(10**9), 10**9), locale=st.sampled_from(["en_US", "de_DE", "sv_SE"]))
def test_property_a_negative_amount_shows_one_minus_and_no_hyphen(cents, locale):
    shown = Money(Decimal(cents).scaleb(-2), "EUR").format(locale)
    assert "-" not in shown
    assert shown.count(MINUS) == (1 if cents < 0 else 0)
