"""MRR normalisation (billing.ledger.mrr): a cycle's price for the seats bought, per
month, rounded once half up to the minor unit, as an integer. No database (make mutate
runs these)."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.ledger.mrr import from_minor_units, monthly, mrr_minor_units, to_minor_units
from billing.money import Money
from billing.pricing import SeatPrice


def price(amount: str, cycle: str, currency: str = "USD", per_seat=False, min_seats=1):
    return SeatPrice(
        amount=Money(Decimal(amount), currency), cycle=cycle, per_seat=per_seat, min_seats=min_seats
    )


@pytest.mark.parametrize(
    "seat_price, seats, status, expected",
    [
        pytest.param(price("79.00", "monthly"), 1, "active", 7900, id="monthly-flat"),
        pytest.param(price("79.00", "monthly"), 30, "active", 7900, id="flat-ignores-seats"),
        pytest.param(price("950.00", "annual"), 1, "active", 7917, id="annual-flat-half-up"),
        pytest.param(
            price("190.00", "annual", per_seat=True), 12, "active", 19000, id="annual-seat"
        ),
        pytest.param(
            price("19.00", "monthly", per_seat=True, min_seats=3), 1, "active", 5700, id="minimum"
        ),
        pytest.param(
            price("19.00", "monthly", per_seat=True, min_seats=3), 5, "past_due", 9500, id="owed"
        ),
        pytest.param(price("10000", "annual", "JPY"), 1, "active", 833, id="yen-no-minor-unit"),
        pytest.param(price("0.06", "annual"), 1, "active", 1, id="half-a-cent-up"),
        pytest.param(price("0.05", "annual"), 1, "active", 0, id="under-half-a-cent-down"),
        pytest.param(price("0.18", "annual"), 1, "active", 2, id="one-and-a-half-cents-up"),
        pytest.param(price("12.345", "monthly", "BHD"), 1, "active", 12345, id="three-places"),
        pytest.param(price("79.00", "monthly"), 1, "trialing", 0, id="trial-brings-nothing"),
        pytest.param(price("79.00", "monthly"), 1, "suspended", 0, id="suspended"),
        pytest.param(price("79.00", "monthly"), 1, "canceled", 0, id="canceled"),
        pytest.param(price("79.00", "monthly"), 1, "expired", 0, id="expired"),
    ],
)
def test_known_cases(seat_price, seats, status, expected):
    assert mrr_minor_units(price=seat_price, seats=seats, status=status) == expected


def test_an_unknown_cycle_is_refused():
    with pytest.raises(ValueError, match="'weekly' is not a billing cycle"):
        monthly(price("10.00", "weekly"), 1)


@pytest.mark.parametrize(
    "amount, minor",
    [
        pytest.param(Money(Decimal("12.34"), "USD"), 1234, id="cents"),
        pytest.param(Money(Decimal("12.345"), "USD"), 1235, id="half-up"),
        pytest.param(Money(Decimal("12.3449"), "USD"), 1234, id="down"),
        pytest.param(Money(Decimal("500"), "JPY"), 500, id="yen"),
        pytest.param(Money(Decimal("1.2345"), "BHD"), 1235, id="fils"),
        pytest.param(Money(Decimal("0"), "EUR"), 0, id="zero"),
    ],
)
def test_minor_units(amount, minor):
    assert to_minor_units(amount) == minor
    assert from_minor_units(minor, amount.currency) == amount.rounded()


amounts = st.decimals(min_value=0, max_value=100_000, places=2, allow_nan=False)
currencies = st.sampled_from(["USD", "EUR", "JPY", "BHD"])
cycles = st.sampled_from(["monthly", "annual"])


@given(amounts, currencies)
def test_minor_units_round_trip_the_rounded_amount(amount, currency):
    money = Money(amount, currency)
    assert from_minor_units(to_minor_units(money), currency) == money.rounded()


@given(amounts, cycles, st.integers(1, 500), st.integers(1, 50))
def test_more_seats_never_bring_in_less(amount, cycle, seats, more):
    seat_price = price(str(amount), cycle, per_seat=True)
    fewer = mrr_minor_units(price=seat_price, seats=seats, status="active")
    assert mrr_minor_units(price=seat_price, seats=seats + more, status="active") >= fewer


@given(amounts)
def test_twelve_months_of_an_annual_price_are_the_price_within_rounding(amount):
    # Rounded once a month: at most half a cent each month away from the exact twelfth.
    mrr = mrr_minor_units(price=price(str(amount), "annual"), seats=1, status="active")
    assert abs(mrr * 12 - amount * 100) <= 6


@given(amounts, cycles)
def test_a_monthly_price_is_its_own_mrr(amount, cycle):
    mrr = mrr_minor_units(price=price(str(amount), "monthly"), seats=1, status="active")
    assert mrr == to_minor_units(Money(amount, "USD"))


@pytest.mark.parametrize(
    "seat_price, seats, percent, expected",
    [
        # 14 seats of Business at $390 a year, 12.5 % off: $4,777.50 a year, $398.125.
        pytest.param(price("390.00", "annual", per_seat=True), 14, "12.5", 39813, id="half-up"),
        pytest.param(price("79.00", "monthly"), 1, "20", 6320, id="monthly"),
        pytest.param(price("79.00", "monthly"), 1, "0", 7900, id="none"),
        pytest.param(price("79.00", "monthly"), 1, "100", 0, id="all"),
        pytest.param(price("950.00", "annual"), 1, "10", 7125, id="annual-flat"),
    ],
)
def test_the_negotiated_discount_comes_off(seat_price, seats, percent, expected):
    mrr = mrr_minor_units(
        price=seat_price, seats=seats, status="active", discount_percent=Decimal(percent)
    )
    assert mrr == expected
    # Not billed: nothing, discount or not.
    assert (
        mrr_minor_units(
            price=seat_price, seats=seats, status="suspended", discount_percent=Decimal(percent)
        )
        == 0
    )


@pytest.mark.parametrize("percent", ["-0.01", "100.01"])
def test_a_discount_outside_0_to_100_percent_is_refused(percent):
    with pytest.raises(ValueError, match="A discount is 0 to 100 percent"):
        mrr_minor_units(
            price=price("79.00", "monthly"),
            seats=1,
            status="active",
            discount_percent=Decimal(percent),
        )


@given(amounts, cycles, st.decimals(0, 100, places=2))
def test_a_discount_never_raises_the_mrr_and_takes_off_its_share(amount, cycle, percent):
    seat_price = price(str(amount), cycle)
    full = mrr_minor_units(price=seat_price, seats=1, status="active")
    net = mrr_minor_units(price=seat_price, seats=1, status="active", discount_percent=percent)
    assert 0 <= net <= full
    exact = monthly(seat_price, 1).amount * (100 - percent) / 100 * 100
    assert abs(net - exact) <= Decimal("0.5")
