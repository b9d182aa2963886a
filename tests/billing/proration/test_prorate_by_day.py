"""billing.proration: hand-worked cases first, then the checks on its inputs, then
properties over random prices, terms and change dates."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from billing.money import Money, minor_unit_places
from billing.proration import InvalidProration, Proration, prorate

D = Decimal


def money(amount: str, currency: str = "USD") -> Money:
    return Money(D(amount), currency)


def when(text: str) -> date:
    return date.fromisoformat(text)


# Each row worked by hand: current and new price of the whole term, the term's first and
# last day, the first day at the new price; then term days, remaining days, credit,
# charge and due as an invoice prints them.
# fmt: off
CASES = {
    "the policy's example: $50 to $80 a month, 10 of 30 days left": (
        "USD", "50.00", "80.00", "2025-11-01", "2025-11-30", "2025-11-21",
        30, 10, "16.67", "26.67", "10.00",
    ),
    "thirds that round down: $40 to $70, 10 of 30 days": (
        "USD", "40.00", "70.00", "2025-11-01", "2025-11-30", "2025-11-21",
        30, 10, "13.33", "23.33", "10.00",
    ),
    "a change on the first day credits the whole price": (
        "USD", "50.00", "80.00", "2025-11-01", "2025-11-30", "2025-11-01",
        30, 30, "50.00", "80.00", "30.00",
    ),
    "a change on the last day counts that one day": (
        "USD", "50.00", "80.00", "2025-11-01", "2025-11-30", "2025-11-30",
        30, 1, "1.67", "2.67", "1.00",
    ),
    "the day after the first: 29 of 30": (
        "USD", "30.00", "60.00", "2025-11-01", "2025-11-30", "2025-11-02",
        30, 29, "29.00", "58.00", "29.00",
    ),
    "a one-day term": (
        "USD", "3.00", "7.00", "2025-11-05", "2025-11-05", "2025-11-05",
        1, 1, "3.00", "7.00", "4.00",
    ),
    "February of a leap year has 29 days: 15 of 29 (15th to 29th)": (
        "USD", "29.00", "99.00", "2024-02-01", "2024-02-29", "2024-02-15",
        29, 15, "15.00", "51.21", "36.21",
    ),
    "a leap year's annual term: 184 of 366 days (1 July to 31 December)": (
        "USD", "290.00", "990.00", "2024-01-01", "2024-12-31", "2024-07-01",
        366, 184, "145.79", "497.70", "351.91",
    ),
    "an annual term across a year end: 181 of 365 days (15 Sep to 14 Mar)": (
        "EUR", "290.00", "990.00", "2025-03-15", "2026-03-14", "2025-09-15",
        365, 181, "143.81", "490.93", "347.12",
    ),
    "yen have no minor unit: JPY 5,000 to JPY 8,000, 10 of 30 days": (
        "JPY", "5000", "8000", "2025-11-01", "2025-11-30", "2025-11-21",
        30, 10, "1667", "2667", "1000",
    ),
    "a yen tie rounds up: JPY 1,001 * 1 / 2 = JPY 500.5": (
        "JPY", "1001", "1001", "2025-11-01", "2025-11-02", "2025-11-02",
        2, 1, "501", "501", "0",
    ),
    "half up, not half even: $10.10 * 1 / 4 = 2.525 rounds to 2.53": (
        "USD", "10.10", "30.30", "2025-11-01", "2025-11-04", "2025-11-04",
        4, 1, "2.53", "7.58", "5.05",
    ),
    "the due is the rounded lines' difference, not the rounded difference": (
        "USD", "10.01", "20.02", "2025-11-01", "2025-11-02", "2025-11-02",
        2, 1, "5.01", "10.01", "5.00",
    ),
    "three decimals in Bahraini dinar: 10.000 * 1 / 3": (
        "BHD", "10.000", "20.000", "2025-11-01", "2025-11-03", "2025-11-03",
        3, 1, "3.333", "6.667", "3.334",
    ),
    "adding seats: 10 to 14 seats at $12 a seat": (
        "USD", "120.00", "168.00", "2025-11-01", "2025-11-30", "2025-11-21",
        30, 10, "40.00", "56.00", "16.00",
    ),
    "a cheaper price is owed back: $80 to $50": (
        "USD", "80.00", "50.00", "2025-11-01", "2025-11-30", "2025-11-21",
        30, 10, "26.67", "16.67", "-10.00",
    ),
    "from a free tier": (
        "GBP", "0", "23.00", "2025-11-01", "2025-11-30", "2025-11-21",
        30, 10, "0.00", "7.67", "7.67",
    ),
}
# fmt: on


@pytest.mark.parametrize(
    (
        "currency", "current", "new", "start", "end", "change",
        "term_days", "remaining", "credit", "charge", "due",
    ),
    CASES.values(),
    ids=CASES.keys(),
)  # fmt: skip
def test_it_prorates_the_hand_worked_cases(
    currency, current, new, start, end, change, term_days, remaining, credit, charge, due
):
    result = prorate(
        current_price=money(current, currency),
        new_price=money(new, currency),
        term_start=when(start),
        term_end=when(end),
        change_date=when(change),
    )

    assert (result.term_days, result.remaining_days) == (term_days, remaining)
    # As strings: the value and its places (16.67, ¥1667), as an invoice prints them.
    assert (str(result.credit.amount), str(result.charge.amount), str(result.due.amount)) == (
        credit,
        charge,
        due,
    )
    assert result.currency == currency
    assert {result.credit.currency, result.charge.currency, result.due.currency} == {currency}


def test_it_returns_its_inputs_and_method_with_the_lines():
    result = prorate(
        current_price=money("50"),
        new_price=money("80"),
        term_start=when("2025-11-01"),
        term_end=when("2025-11-30"),
        change_date=when("2025-11-21"),
    )

    assert result == Proration(
        currency="USD",
        current_price=money("50"),
        new_price=money("80"),
        term_start=when("2025-11-01"),
        term_end=when("2025-11-30"),
        change_date=when("2025-11-21"),
        term_days=30,
        remaining_days=10,
        credit=money("16.67"),
        charge=money("26.67"),
        due=money("10.00"),
        method="by_day",
    )
    with pytest.raises(AttributeError):
        result.credit = money("0")  # frozen: a quote cannot be edited after the fact


def test_it_stays_exact_for_prices_past_the_default_decimal_precision():
    # 28 significant digits (Decimal's default) would round price * days before dividing.
    price = D("12345678901234567890123456789.99")
    result = prorate(
        current_price=Money(D("1E+40"), "USD"),
        new_price=Money(price, "USD"),
        term_start=when("2025-01-01"),
        term_end=when("2025-12-31"),
        change_date=when("2025-01-02"),
    )

    assert result.credit.amount == D("9972602739726027397260273972602739726027.40")
    assert result.charge.amount == D("12311855123422966334260104853.58")
    assert result.due.amount == D("-9972602739713715542136851006268479621173.82")


def test_it_stays_exact_when_only_the_new_price_is_past_the_default_precision():
    # The digits follow the larger price, whichever it is: here the new one.
    result = prorate(
        current_price=Money(D("10.00"), "USD"),
        new_price=Money(D("12345678901234567890123456789.99"), "USD"),
        term_start=when("2025-01-01"),
        term_end=when("2025-12-31"),
        change_date=when("2025-01-02"),
    )

    assert result.credit.amount == D("9.97")  # 10 x 364/365 = 9.9726...
    assert result.charge.amount == D("12311855123422966334260104853.58")
    assert result.due.amount == D("12311855123422966334260104843.61")


# --- Inputs that do not describe a change within a term -------------------------------

VALID = {
    "current_price": money("50.00"),
    "new_price": money("80.00"),
    "term_start": when("2025-11-01"),
    "term_end": when("2025-11-30"),
    "change_date": when("2025-11-21"),
}

INVALID = {
    "a negative current price": (
        {"current_price": money("-0.01")},
        {"current_price": "The current price cannot be negative."},
    ),
    "a negative new price": (
        {"new_price": money("-0.01")},
        {"new_price": "The new price cannot be negative."},
    ),
    "two currencies": (
        {"new_price": money("80.00", "EUR")},
        {"new_price": "The new price must be in USD, the currency of the current price, not EUR."},
    ),
    "a fraction of a cent": (
        {"current_price": money("50.005")},
        {"current_price": "The current price can have at most 2 decimal places in USD."},
    ),
    "a fraction of a cent in the new price": (
        {"new_price": money("80.001")},
        {"new_price": "The new price can have at most 2 decimal places in USD."},
    ),
    "a fraction of a yen": (
        {"current_price": money("5000", "JPY"), "new_price": money("8000.5", "JPY")},
        {"new_price": "The new price must be a whole number of JPY, with no decimals."},
    ),
    "a term that ends before it starts": (
        {"term_end": when("2025-10-31")},
        {"term_end": "The term's last day (2025-10-31) cannot be before its first day "
                     "(2025-11-01)."},
    ),
    "a change the day before the term": (
        {"change_date": when("2025-10-31")},
        {"change_date": "The change date must be within the term: on or after its first day, "
                        "2025-11-01."},
    ),
    "a change the day after the term": (
        {"change_date": when("2025-12-01")},
        {"change_date": "The change date must be within the term: on or before its last day, "
                        "2025-11-30."},
    ),
    "everything at once": (
        {
            "current_price": money("-1"),
            "new_price": money("-2"),
            "term_end": when("2025-10-01"),
            "change_date": when("2025-12-25"),
        },
        {
            "current_price": "The current price cannot be negative.",
            "new_price": "The new price cannot be negative.",
            "term_end": "The term's last day (2025-10-01) cannot be before its first day "
                        "(2025-11-01).",
        },
    ),
}  # fmt: skip


@pytest.mark.parametrize(("changes", "errors"), INVALID.values(), ids=INVALID.keys())
def test_it_says_what_is_wrong_with_each_input(changes, errors):
    with pytest.raises(InvalidProration) as raised:
        prorate(**{**VALID, **changes})

    assert raised.value.errors == errors
    assert isinstance(raised.value, ValueError)
    assert str(raised.value) == " ".join(f"{field}: {text}" for field, text in errors.items())


@pytest.mark.parametrize(
    "changes",
    [
        {"change_date": when("2025-11-01")},
        {"change_date": when("2025-11-30")},
        {"term_end": when("2025-11-01"), "change_date": when("2025-11-01")},
        {"current_price": money("0"), "new_price": money("0")},
        {"current_price": money("50.1"), "new_price": money("80")},
    ],
    ids=["first day", "last day", "one-day term", "free", "fewer places"],
)
def test_it_accepts_the_boundaries(changes):
    assert prorate(**{**VALID, **changes}).remaining_days >= 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"current_price": D("50")}, "current_price must be Money, not Decimal."),
        ({"new_price": 80}, "new_price must be Money, not int."),
        ({"term_start": "2025-11-01"}, "term_start must be a date, not str."),
        ({"term_end": datetime(2025, 11, 30)}, "term_end must be a date, not datetime."),
        ({"change_date": None}, "change_date must be a date, not NoneType."),
    ],
)
def test_it_refuses_what_is_not_money_or_a_date(changes, message):
    with pytest.raises(TypeError) as raised:
        prorate(**{**VALID, **changes})

    assert str(raised.value) == message


# --- Properties -----------------------------------------------------------------------

CURRENCIES = ["USD", "EUR", "GBP", "JPY", "BHD"]


def half_up(value: Fraction) -> int:
    """An independent rounding, on exact fractions of a minor unit (value ≥ 0)."""
    return (2 * value.numerator + value.denominator) // (2 * value.denominator)


def from_minor_units(count: int, currency: str) -> Decimal:
    # From text, so that no Decimal context rounds a long number on the way.
    return Decimal(f"{count}E-{minor_unit_places(currency)}")


def expected_line(price: Money, remaining: int, term_days: int) -> Decimal:
    places = minor_unit_places(price.currency)
    in_minor_units = Fraction(price.amount) * 10**places * remaining / term_days
    return from_minor_units(half_up(in_minor_units), price.currency)


@st.composite
def prices(draw, currency: str) -> Money:
    # Mostly ordinary prices; sometimes far past what Decimal's default precision holds.
    minor_units = draw(st.integers(0, 10**9) | st.integers(0, 10**45))
    return Money(from_minor_units(minor_units, currency), currency)


@st.composite
def changes(draw) -> dict:
    currency = draw(st.sampled_from(CURRENCIES))
    term_start = draw(st.dates(min_value=date(1999, 1, 1), max_value=date(2101, 12, 31)))
    term_days = draw(st.integers(1, 3 * 366))
    term_end = term_start + timedelta(days=term_days - 1)
    change_date = term_start + timedelta(days=draw(st.integers(0, term_days - 1)))
    return {
        "current_price": draw(prices(currency)),
        "new_price": draw(prices(currency)),
        "term_start": term_start,
        "term_end": term_end,
        "change_date": change_date,
    }


@given(changes())
@example(
    {
        "current_price": money("10.10"),
        "new_price": money("10.10"),
        "term_start": when("2025-11-01"),
        "term_end": when("2025-11-04"),
        "change_date": when("2025-11-04"),
    }
)
def test_each_line_is_the_exact_fraction_rounded_once_half_up(change):
    result = prorate(**change)

    term_days = (change["term_end"] - change["term_start"]).days + 1
    remaining = (change["term_end"] - change["change_date"]).days + 1
    assert (result.term_days, result.remaining_days) == (term_days, remaining)
    assert result.credit.amount == expected_line(change["current_price"], remaining, term_days)
    assert result.charge.amount == expected_line(change["new_price"], remaining, term_days)


@given(changes())
def test_the_lines_always_add_up(change):
    result = prorate(**change)

    # Compared as fractions: Decimal's default context would round these huge amounts.
    assert Fraction(result.due.amount) == Fraction(result.charge.amount) - Fraction(
        result.credit.amount
    )


@given(changes())
def test_every_line_is_in_the_currency_s_minor_unit(change):
    result = prorate(**change)

    places = minor_unit_places(result.currency)
    for line in (result.credit, result.charge, result.due):
        assert line.currency == change["current_price"].currency
        assert line.amount.as_tuple().exponent == -places  # 16.67, never 16.6667 or 16.7


@given(changes())
def test_an_upgrade_never_credits_more_than_was_paid_for_the_term(change):
    result = prorate(**change)

    assert D(0) <= result.credit.amount <= change["current_price"].amount
    assert D(0) <= result.charge.amount <= change["new_price"].amount


@given(changes(), st.integers(1, 3 * 366))
def test_a_later_change_date_never_raises_the_credit(change, days_later):
    later_date = min(change["change_date"] + timedelta(days=days_later), change["term_end"])
    earlier = prorate(**change)
    later = prorate(**{**change, "change_date": later_date})

    assert later.credit <= earlier.credit
    assert later.charge <= earlier.charge
    assert (
        later.remaining_days == earlier.remaining_days - (later_date - change["change_date"]).days
    )


@given(changes())
def test_a_change_to_the_same_price_is_due_nothing(change):
    result = prorate(**{**change, "new_price": change["current_price"]})

    assert result.due.is_zero
    assert result.credit == result.charge


@given(changes())
def test_a_change_on_the_first_day_swaps_the_whole_price(change):
    result = prorate(**{**change, "change_date": change["term_start"]})

    assert result.remaining_days == result.term_days
    assert result.credit.amount == change["current_price"].amount
    assert result.charge.amount == change["new_price"].amount


@given(
    st.sampled_from(CURRENCIES),
    st.integers(0, 10**6),
    st.integers(1, 500),
    st.integers(1, 500),
    changes(),
)
def test_more_seats_at_the_same_seat_price_never_owes_money_back(
    currency, seat_price_minor, seats, added, change
):
    seat_price = Money(from_minor_units(seat_price_minor, currency), currency)
    result = prorate(
        **{
            **change,
            "current_price": seat_price * seats,
            "new_price": seat_price * (seats + added),
        }
    )

    assert result.due.amount >= 0
    assert result.charge.amount == expected_line(
        seat_price * (seats + added), result.remaining_days, result.term_days
    )
