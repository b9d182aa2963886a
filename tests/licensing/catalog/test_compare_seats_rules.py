"""The comparison's seats and prices, stated exactly: one seat when both tiers are
flat, the larger per-seat minimum otherwise, each side's monthly price kept, and
whether the comparison is per seat at all."""

from decimal import Decimal

import pytest

from billing.money import Money
from billing.pricing import SeatPrice
from licensing.catalog.diff import SupportSpec, VersionSnapshot, compare, describe_changes

SUPPORT = SupportSpec("Standard", 24, (), False, "")


def price(amount: str, cycle: str, *, per_seat=False, min_seats=1) -> SeatPrice:
    return SeatPrice(Money(Decimal(amount), "USD"), cycle, per_seat=per_seat, min_seats=min_seats)


def snapshot(slug: str, monthly: SeatPrice, annual: SeatPrice) -> VersionSnapshot:
    return VersionSnapshot(
        tier_name=slug.title(),
        tier_slug=slug,
        number=1,
        features=(),
        limits=(),
        support=SUPPORT,
        prices={("USD", "monthly"): monthly, ("USD", "annual"): annual},
    )


STARTER = snapshot("starter", price("29", "monthly"), price("290", "annual"))
TEAM = snapshot(
    "team",
    price("12", "monthly", per_seat=True, min_seats=3),
    price("120", "annual", per_seat=True, min_seats=3),
)
BUSINESS = snapshot(
    "business",
    price("20", "monthly", per_seat=True, min_seats=5),
    price("200", "annual", per_seat=True, min_seats=5),
)


def test_two_flat_tiers_are_compared_for_one_seat_and_are_not_per_seat():
    flat = snapshot("pro", price("99", "monthly"), price("990", "annual"))
    comparison = compare(STARTER, flat, currency="USD")
    assert comparison.seats == 1
    assert comparison.per_seat is False
    assert comparison.source_price == price("29", "monthly")
    assert comparison.target_price == price("99", "monthly")
    assert comparison.price.per_month == Money(Decimal("70"), "USD")


def test_per_seat_tiers_are_compared_at_the_larger_minimum():
    comparison = compare(TEAM, BUSINESS, currency="USD")
    assert comparison.seats == 5
    assert comparison.per_seat is True
    assert comparison.source_price == TEAM.prices[("USD", "monthly")]
    assert comparison.target_price == BUSINESS.prices[("USD", "monthly")]
    # 5 seats at $20 less 5 seats at $12
    assert comparison.price.per_month == Money(Decimal("40"), "USD")


@pytest.mark.parametrize(("source", "target"), [(STARTER, TEAM), (TEAM, STARTER)])
def test_one_per_seat_side_makes_the_comparison_per_seat(source, target):
    comparison = compare(source, target, currency="USD")
    assert comparison.per_seat is True
    assert comparison.seats == 3


def test_a_team_size_asked_for_is_used():
    comparison = compare(TEAM, BUSINESS, currency="USD", seats=8)
    assert comparison.seats == 8
    assert comparison.price.per_month == Money(Decimal("64"), "USD")


def test_a_comparison_without_prices_in_the_currency_has_none():
    comparison = compare(STARTER, TEAM, currency="EUR")
    assert comparison.price is None
    assert comparison.source_price is None and comparison.target_price is None
    assert comparison.per_seat is False


def test_the_changelog_words_flat_and_per_seat_prices_apart():
    lines = describe_changes(None, TEAM)
    assert "Price in USD (monthly): $12.00 per seat a month, from 3 seats." in lines
    assert "Price in USD (monthly): $29.00." in describe_changes(None, STARTER)
