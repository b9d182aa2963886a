from decimal import Decimal

import pytest

from billing.money import Money
from billing.pricing import SeatPrice
from licensing.catalog.diff import (
    FeatureSpec,
    LimitChange,
    LimitSpec,
    SupportSpec,
    VersionSnapshot,
    compare,
    describe_changes,
)


def snapshot(name, features, limits, *, hours=24, monthly="10", annual="100", level="Standard"):
    return VersionSnapshot(
        tier_name=name,
        tier_slug=name.lower(),
        number=1,
        features=tuple(FeatureSpec(key, key.title(), "core") for key in features),
        limits=tuple(LimitSpec(key, key.title(), "units", value) for key, value in limits.items()),
        support=SupportSpec(level, hours, ("Email",), False, ""),
        prices={
            ("USD", "monthly"): SeatPrice(Money(Decimal(monthly), "USD"), "monthly"),
            ("USD", "annual"): SeatPrice(Money(Decimal(annual), "USD"), "annual"),
        },
    )


LOW = snapshot(
    "Low", ["a", "b"], {"seats": 5, "storage": 10, "calls": None}, monthly="29", annual="290"
)
HIGH = snapshot(
    "High",
    ["a", "c", "d"],
    {"seats": 25, "storage": None, "calls": None},
    hours=4,
    monthly="99",
    annual="990",
    level="Priority",
)


@pytest.mark.parametrize(
    ("before", "after", "direction", "delta"),
    [
        (5, 25, "gain", "+20 units"),
        (25, 5, "loss", "-20 units"),
        (10, None, "gain", "to unlimited"),
        (None, 10, "loss", "no longer unlimited"),
        (None, None, "same", "no change"),
        (7, 7, "same", "no change"),
        (1000, 1500, "gain", "+500 units"),
        (0, 3, "gain", "+3 units"),
        (1, 2, "gain", "+1 unit"),
        (3, 2, "loss", "-1 unit"),
        (3, 1, "loss", "-2 units"),
    ],
)
def test_it_describes_each_limit_delta(before, after, direction, delta):
    change = LimitChange("Seats", "units", before, after)
    assert (change.direction, change.delta) == (direction, delta)


def test_it_shows_what_an_upgrade_gains_keeps_and_loses():
    result = compare(LOW, HIGH, currency="USD")
    assert [f.key for f in result.gained] == ["c", "d"]
    assert [f.key for f in result.kept] == ["a"]
    assert [f.key for f in result.lost] == ["b"]
    assert {c.name: c.direction for c in result.limits} == {
        "Seats": "gain",
        "Storage": "gain",
        "Calls": "same",
    }
    assert result.price.per_month == Money(Decimal("70"), "USD")
    assert result.price.per_year == Money(Decimal("700"), "USD")
    assert result.is_upgrade
    assert {c.aspect for c in result.support} == {"Support level", "First response"}


def test_it_shows_what_a_downgrade_loses():
    result = compare(HIGH, LOW, currency="USD")
    assert [f.key for f in result.gained] == ["b"]
    assert [f.key for f in result.lost] == ["c", "d"]
    assert {c.name: c.direction for c in result.limits} == {
        "Seats": "loss",
        "Storage": "loss",
        "Calls": "same",
    }
    assert result.price.per_month == Money(Decimal("-70"), "USD")
    assert result.price.direction == "less"
    assert not result.is_upgrade


def test_it_has_no_price_difference_when_a_currency_is_missing():
    assert compare(LOW, HIGH, currency="EUR").price is None


def test_it_describes_a_new_version_against_the_old_one():
    old = snapshot("Team", ["a", "b"], {"seats": 10}, monthly="79", annual="790")
    new = snapshot("Team", ["a", "c"], {"seats": 15}, hours=12, monthly="89", annual="790")
    assert describe_changes(old, new) == [
        "Added C.",
        "Removed B.",
        "Seats: 10 units → 15 units.",
        "First response: within 24 h → within 12 h.",
        "Price in USD (monthly): $79.00 → $89.00.",
    ]


def test_it_says_so_when_nothing_changed():
    assert describe_changes(LOW, LOW) == ["No change to features, limits, support or prices."]


def test_it_describes_a_first_version_by_what_it_contains():
    lines = describe_changes(None, LOW)
    assert lines[0] == "First version of Low."
    assert "Includes A." in lines
    assert "Storage: 10 units." in lines
    assert "Calls: Unlimited." in lines
    assert "Price in USD (annual): $290.00." in lines
