from decimal import Decimal

import pytest
from babel.core import UnknownLocaleError
from hypothesis import given
from hypothesis import strategies as st

from billing.money import CurrencyMismatch, Money, round_to_minor_units
from billing.pricing import annual_saving, monthly_equivalent, price_difference

D = Decimal

amounts = st.decimals(min_value=D("0"), max_value=D("1000000"), places=2)
exact = st.decimals(min_value=D("-1000000"), max_value=D("1000000"), places=6)
currencies = st.sampled_from(["USD", "EUR", "GBP", "JPY"])


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("1.005", "USD", "1.01"),
        ("1.004", "USD", "1.00"),
        ("2.675", "GBP", "2.68"),
        ("-1.005", "EUR", "-1.01"),
        ("0.5", "JPY", "1"),
        ("1.4999", "JPY", "1"),
        ("10", "USD", "10.00"),
        ("9.995", "USD", "10.00"),
        ("1.0005", "BHD", "1.001"),
        ("123456789012345678901234567890.125", "USD", "123456789012345678901234567890.13"),
    ],
)
def test_it_rounds_half_up_to_minor_units(amount, currency, expected):
    assert round_to_minor_units(D(amount), currency) == D(expected)
    assert str(round_to_minor_units(D(amount), currency)) == expected


def test_it_refuses_floats():
    with pytest.raises(TypeError):
        Money(1.1, "USD")
    with pytest.raises(TypeError):
        Money(D("1"), "USD") * 1.5


def test_it_refuses_to_mix_currencies():
    with pytest.raises(CurrencyMismatch):
        Money(D("1"), "USD") + Money(D("1"), "EUR")
    with pytest.raises(CurrencyMismatch):
        assert Money(D("1"), "USD") < Money(D("2"), "EUR")


def test_it_refuses_unknown_currencies_and_non_finite_amounts():
    with pytest.raises(ValueError):
        Money(D("1"), "XYZ")
    with pytest.raises(ValueError):
        Money(D("NaN"), "USD")
    with pytest.raises(ZeroDivisionError):
        Money(D("1"), "USD") / 0


@pytest.mark.parametrize("code", ["usd", "", "US", "USDX", None, 840])
def test_it_refuses_what_is_not_an_iso_4217_code_as_babel_does(code):
    with pytest.raises(ValueError, match="is not an ISO 4217 currency code"):
        Money(D("1"), code)


def test_every_code_babel_knows_is_a_currency():
    assert {Money(D("1"), code).currency for code in ("USD", "JPY", "BHD", "CHF", "XAU")} == {
        "USD",
        "JPY",
        "BHD",
        "CHF",
        "XAU",
    }


def test_each_locale_keeps_its_own_format_when_they_alternate():
    # Parsed locales are held per process: one must never answer for another.
    amount = Money(D("1234.5"), "EUR")
    shown = [amount.format(locale) for locale in ("de_DE", "en_US", "de_DE", "fr_FR", "en_US")]
    assert shown == [
        "1.234,50\xa0€",
        "€1,234.50",
        "1.234,50\xa0€",
        "1\u202f234,50\xa0€",
        "€1,234.50",
    ]


def test_an_unknown_locale_is_refused_every_time():
    for _ in range(2):
        with pytest.raises(UnknownLocaleError):
            Money(D("1"), "USD").format("xx_NOPE")


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "expected"),
    [
        ("1234.5", "USD", "en_US", "$1,234.50"),
        ("1234.5", "EUR", "de_DE", "1.234,50\xa0€"),
        ("1234.5", "GBP", "en_GB", "£1,234.50"),
        ("1234.5", "EUR", "fr_FR", "1\u202f234,50\xa0€"),
        ("0.005", "USD", "en_US", "$0.01"),
    ],
    # ASCII ids: pytest escapes other characters in an id, and a mutation run cannot name
    # such a test back (README, "Mutation testing").
    ids=["USD in en_US", "EUR in de_DE", "GBP in en_GB", "EUR in fr_FR", "half a cent"],
)
def test_it_formats_for_the_visitors_locale(amount, currency, locale, expected):
    assert Money(D(amount), currency).format(locale) == expected


@pytest.mark.parametrize(
    ("monthly", "annual", "amount", "percent"),
    [
        ("29.00", "290.00", "58.00", "16.7"),  # two months free
        ("100.00", "1000.00", "200.00", "16.7"),
        ("10.00", "120.00", "0.00", "0.0"),  # no discount
        ("49.99", "479.90", "119.98", "20.0"),
        ("79.00", "758.40", "189.60", "20.0"),
        ("0.00", "0.00", "0.00", "0.0"),  # free tier: no division by zero
        ("33.33", "333.30", "66.66", "16.7"),
    ],
)
def test_it_computes_the_annual_saving(monthly, annual, amount, percent):
    saving = annual_saving(monthly=Money(D(monthly), "USD"), annual=Money(D(annual), "USD"))
    assert saving.amount == Money(D(amount), "USD")
    assert saving.percent == D(percent)
    assert saving.saves == (D(amount) > 0)


@pytest.mark.parametrize(
    ("annual", "expected"), [("290.00", "24.17"), ("1000.00", "83.33"), ("0.06", "0.01")]
)
def test_it_spreads_an_annual_price_over_twelve_months(annual, expected):
    assert monthly_equivalent(Money(D(annual), "EUR")) == Money(D(expected), "EUR")


def test_it_gives_the_price_difference_both_ways():
    up = price_difference(
        from_monthly=Money(D("29"), "USD"),
        to_monthly=Money(D("89"), "USD"),
        from_annual=Money(D("290"), "USD"),
        to_annual=Money(D("890"), "USD"),
    )
    down = price_difference(
        from_monthly=Money(D("89"), "USD"),
        to_monthly=Money(D("29"), "USD"),
        from_annual=Money(D("890"), "USD"),
        to_annual=Money(D("290"), "USD"),
    )
    assert (up.per_month, up.per_year, up.direction) == (
        Money(D("60"), "USD"),
        Money(D("600"), "USD"),
        "more",
    )
    assert (down.per_month, down.per_year, down.direction) == (
        Money(D("-60"), "USD"),
        Money(D("-600"), "USD"),
        "less",
    )


@given(a=exact, b=exact, c=exact, currency=currencies)
def test_it_adds_exactly_and_associatively(a, b, c, currency):
    x, y, z = Money(a, currency), Money(b, currency), Money(c, currency)
    assert (x + y) + z == x + (y + z)
    assert x + y - y == x
    assert -x + x == Money.zero(currency)


@given(amount=exact, currency=currencies)
def test_it_rounds_once_and_stays_put(amount, currency):
    rounded = Money(amount, currency).rounded()
    assert rounded.rounded() == rounded
    assert abs(rounded.amount - amount) <= D(1).scaleb(-2 if currency != "JPY" else 0) / 2


@given(monthly=amounts, discount=st.integers(min_value=0, max_value=100))
def test_it_never_saves_more_than_twelve_months_or_less_than_nothing(monthly, discount):
    twelve = monthly * 12
    annual = (twelve * (100 - discount) / 100).quantize(D("0.01"))
    saving = annual_saving(monthly=Money(monthly, "USD"), annual=Money(annual, "USD"))
    assert Money.zero("USD") <= saving.amount <= Money(twelve, "USD")
    assert saving.amount + Money(annual, "USD") == Money(twelve, "USD")
    assert D("0") <= saving.percent <= D("100")


@given(f_m=amounts, t_m=amounts, f_a=amounts, t_a=amounts)
def test_it_mirrors_the_difference_when_reversed(f_m, t_m, f_a, t_a):
    def money(value):
        return Money(value, "GBP")

    there = price_difference(
        from_monthly=money(f_m), to_monthly=money(t_m), from_annual=money(f_a), to_annual=money(t_a)
    )
    back = price_difference(
        from_monthly=money(t_m), to_monthly=money(f_m), from_annual=money(t_a), to_annual=money(f_a)
    )
    assert there.per_month == -back.per_month
    assert there.per_year == -back.per_year


def test_it_totals_a_list_in_one_currency():
    items = [Money(D("0.10"), "USD")] * 3
    assert Money.total(items, "USD") == Money(D("0.30"), "USD")
    assert Money.total([], "EUR") == Money.zero("EUR")
