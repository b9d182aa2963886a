"""The catalog diff's wording and edge cases, line for line: every support line, a metric
or a price present on one side only, singular units, and a whole changelog entry."""

from decimal import Decimal

import pytest

from billing.money import Money
from billing.pricing import SeatPrice
from licensing.catalog.diff import (
    FeatureSpec,
    LimitSpec,
    SupportSpec,
    VersionSnapshot,
    compare,
    describe_changes,
    format_limit,
    limit_changes,
    quantity,
)

STANDARD = SupportSpec("Standard", 24, (), False, "")
PRIORITY = SupportSpec("Priority", 4, ("Email", "Phone"), True, "Onboarding")


def usd(amount: str) -> Money:
    return Money(Decimal(amount), "USD")


def version(*, features=(), limits=(), support=STANDARD, prices=None) -> VersionSnapshot:
    return VersionSnapshot(
        tier_name="Team",
        tier_slug="team",
        number=1,
        features=tuple(FeatureSpec(key, key.title(), "core") for key in features),
        limits=tuple(limits),
        support=support,
        # Flat prices, as the catalog states them (per-seat prices have their own tests).
        prices={
            (currency, cycle): SeatPrice(amount, cycle)
            for (currency, cycle), amount in (prices or {}).items()
        },
    )


SEATS = LimitSpec("seats", "Seats", "seats", 5)
STORAGE = LimitSpec("storage", "Storage", "GB", 10)
CALLS = LimitSpec("calls", "API calls", "calls", 1_000)


def test_it_words_every_support_line():
    assert PRIORITY.lines() == {
        "Support level": "Priority",
        "First response": "within 4 h",
        "Channels": "Email, Phone",
        "Named account manager": "yes",
        "Training": "Onboarding",
    }
    assert STANDARD.lines() == {
        "Support level": "Standard",
        "First response": "within 24 h",
        "Channels": "none",
        "Named account manager": "no",
        "Training": "documentation only",
    }


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (None, "seats", "Unlimited"),
        (1, "seats", "1 seat"),
        (1, "hours", "1 hour"),
        (1, "GB", "1 GB"),
        (1, "SMS", "1 SMS"),
        (1, "MB", "1 MB"),
        (2, "seats", "2 seats"),
        (0, "seats", "0 seats"),
        (12_500, "calls", "12,500 calls"),
    ],
)
def test_it_writes_limits_with_singular_units_for_one(value, unit, text):
    assert format_limit(value, unit) == text


@pytest.mark.parametrize(
    ("count", "unit", "text"),
    [
        (0, "integrations", "0 integrations"),
        (1, "integrations", "1 integration"),
        (2, "integrations", "2 integrations"),
        (-1, "seats", "-1 seat"),
        (1, "GB", "1 GB"),
        (1, "SMS", "1 SMS"),
        (1_000, "calls", "1,000 calls"),
    ],
)
def test_a_quantity_reads_singular_for_one(count, unit, text):
    assert quantity(count, unit) == text


def test_a_metric_on_one_side_only_counts_as_zero_on_the_other():
    before = version(limits=[SEATS, STORAGE])
    after = version(limits=[LimitSpec("seats", "Seats", "seats", 5), CALLS])
    assert [(c.name, c.before, c.after, c.direction) for c in limit_changes(before, after)] == [
        ("Seats", 5, 5, "same"),
        ("API calls", 0, 1_000, "gain"),
        ("Storage", 10, 0, "loss"),
    ]
    assert before.limit("calls") is None


def test_a_comparison_keeps_both_versions():
    source, target = version(features=["a"]), version(features=["b"])
    comparison = compare(source, target, currency="USD")
    assert comparison.source is source and comparison.target is target
    assert comparison.price is None


def test_it_describes_a_first_version_line_by_line():
    first = version(
        features=["reports"],
        limits=[SEATS, LimitSpec("storage", "Storage", "GB", None)],
        support=PRIORITY,
        prices={
            ("USD", "monthly"): usd("29"),
            ("EUR", "annual"): Money(Decimal("290"), "EUR"),
            ("USD", "quarterly"): usd("80"),
        },
    )
    assert describe_changes(None, first) == [
        "First version of Team.",
        "Includes Reports.",
        "Seats: 5 seats.",
        "Storage: Unlimited.",
        "Support: Priority, first response within 4 h.",
        "Price in EUR (annual): €290.00.",
        "Price in USD (monthly): $29.00.",
        "Price in USD (quarterly): $80.00.",  # a cycle without a word of its own
    ]


def test_it_describes_prices_offered_withdrawn_changed_and_kept():
    before = version(
        limits=[SEATS, STORAGE],
        prices={
            ("USD", "monthly"): usd("29"),
            ("USD", "annual"): usd("290"),
            ("EUR", "monthly"): Money(Decimal("27"), "EUR"),
            ("GBP", "quarterly"): Money(Decimal("70"), "GBP"),
        },
    )
    after = version(
        limits=[LimitSpec("seats", "Seats", "seats", 1), CALLS],
        support=PRIORITY,
        prices={
            ("USD", "monthly"): usd("29"),
            ("USD", "annual"): usd("300"),
            ("GBP", "monthly"): Money(Decimal("25"), "GBP"),
            ("GBP", "quarterly"): Money(Decimal("75"), "GBP"),
        },
    )
    assert describe_changes(before, after) == [
        "Seats: 5 seats → 1 seat.",
        "API calls: 0 calls → 1,000 calls.",
        "Storage: 10 GB → 0 GB.",
        "Support level: Standard → Priority.",
        "First response: within 24 h → within 4 h.",
        "Channels: none → Email, Phone.",
        "Named account manager: no → yes.",
        "Training: documentation only → Onboarding.",
        "Price in EUR (monthly): no longer offered (was €27.00).",
        "Price in GBP (monthly): now offered at £25.00.",
        "Price in GBP (quarterly): £70.00 → £75.00.",
        "Price in USD (annual): $290.00 → $300.00.",
    ]
