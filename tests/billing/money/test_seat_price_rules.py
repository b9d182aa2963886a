"""SeatPrice's rules, stated exactly: the messages it refuses with, that a flat price
ignores the minimum, the minimum shown from two seats, a cycle without a phrase."""

from decimal import Decimal

import pytest

from billing.money import Money
from billing.pricing import SeatPrice


def usd(amount: str) -> Money:
    return Money(Decimal(amount), "USD")


def test_a_minimum_below_one_seat_is_refused_in_words():
    with pytest.raises(ValueError) as refused:
        SeatPrice(usd("12"), "monthly", per_seat=True, min_seats=0)
    assert str(refused.value) == "A price's minimum is at least one seat."


def test_pricing_no_seats_is_refused_in_words():
    with pytest.raises(ValueError) as refused:
        SeatPrice(usd("12"), "monthly").billed_seats(0)
    assert str(refused.value) == "Price at least one seat."


def test_a_flat_price_bills_the_seats_bought_whatever_its_minimum():
    flat = SeatPrice(usd("79"), "monthly", per_seat=False, min_seats=5)
    assert flat.billed_seats(3) == 3
    assert flat.for_seats(3) == usd("79")
    per_seat = SeatPrice(usd("12"), "monthly", per_seat=True, min_seats=5)
    assert per_seat.billed_seats(3) == 5
    assert per_seat.for_seats(3) == usd("60")


@pytest.mark.parametrize(
    ("min_seats", "text"),
    [
        (1, "$12.00 per seat a month"),
        (2, "$12.00 per seat a month, from 2 seats"),
        (5, "$12.00 per seat a month, from 5 seats"),
    ],
)
def test_the_minimum_is_said_from_two_seats(min_seats, text):
    assert SeatPrice(usd("12"), "monthly", per_seat=True, min_seats=min_seats).describe() == text


def test_a_cycle_without_a_phrase_is_named_as_it_is():
    assert SeatPrice(usd("80"), "quarterly").describe() == "$80.00 quarterly"
    assert SeatPrice(usd("8"), "quarterly", per_seat=True).describe() == "$8.00 per seat quarterly"
