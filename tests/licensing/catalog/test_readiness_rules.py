"""Publishing's rules: what a tier version still lacks, word for word and in order; the
notice a replaced version gets; a draft's number; when a version retires and a policy is
published. No database (make mutate runs these)."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from licensing.catalog.readiness import (
    PriceRow,
    draft_refusal,
    next_number,
    notice_date,
    notice_refusal,
    policy_publish_refusal,
    retire_refusal,
    seat_price_problems,
    version_problems,
)

AT = datetime(2026, 3, 14, 23, 30, tzinfo=UTC)
EUR_MONTHLY = PriceRow("EUR", "monthly", Decimal("10"), False, 1)
EUR_ANNUAL = PriceRow("EUR", "annual", Decimal("100"), False, 1)


def problems(**given):
    figures = {
        "note": "Why.",
        "has_features": True,
        "limits_missing": [],
        "prices": [EUR_MONTHLY, EUR_ANNUAL],
        "seat_limit": None,
        "public": True,
        "currencies": ["EUR"],
    }
    return version_problems(**{**figures, **given})


def test_a_complete_version_has_no_problem():
    assert problems() == []


def test_it_lists_every_problem_in_order():
    assert problems(
        note="  \n",
        has_features=False,
        limits_missing=["Seats", "API calls"],
        prices=[PriceRow("EUR", "annual", Decimal("120.01"), False, 1), EUR_MONTHLY],
        currencies=["EUR", "USD"],
    ) == [
        "Write the reason for this version; it is published in the changelog.",
        "Include at least one feature.",
        "Set the Seats limit (leave the value blank for unlimited).",
        "Set the API calls limit (leave the value blank for unlimited).",
        "Add the monthly price in USD.",
        "Add the annual price in USD.",
        "The annual price in EUR is more than twelve monthly payments; paying yearly must "
        "never cost more.",
    ]


@pytest.mark.parametrize(
    "prices, public, listed",
    [
        ([EUR_ANNUAL], True, ["Add the monthly price in EUR."]),
        ([EUR_MONTHLY], True, ["Add the annual price in EUR."]),
        ([], True, ["Add the monthly price in EUR.", "Add the annual price in EUR."]),
        ([], False, []),  # a private tier is priced per proposal
    ],
    ids=["no-monthly", "no-annual", "no-price", "private"],
)
def test_a_public_tier_has_every_cycles_price_in_every_enabled_currency(prices, public, listed):
    assert problems(prices=prices, public=public) == listed


@pytest.mark.parametrize(
    "annual, too_dear",
    [("119.99", False), ("120", False), ("120.01", True)],
    ids=["less", "twelve-months", "more"],
)
def test_paying_yearly_never_costs_more_than_twelve_months(annual, too_dear):
    prices = [EUR_MONTHLY, PriceRow("EUR", "annual", Decimal(annual), False, 1)]
    assert bool(problems(prices=prices)) is too_dear


def test_an_annual_price_alone_is_never_too_dear():
    assert (
        problems(prices=[PriceRow("EUR", "annual", Decimal("999"), False, 1)], public=False) == []
    )


def test_each_currency_is_compared_with_its_own_monthly_price():
    prices = [
        PriceRow("CHF", "annual", Decimal("130"), False, 1),
        PriceRow("CHF", "monthly", Decimal("11"), False, 1),
        PriceRow("EUR", "monthly", Decimal("10"), False, 1),
        PriceRow("EUR", "annual", Decimal("125"), False, 1),
        PriceRow("USD", "annual", Decimal("130"), False, 1),
    ]
    assert problems(prices=prices, public=False) == [
        "The annual price in EUR is more than twelve monthly payments; paying yearly must "
        "never cost more."
    ]


def test_a_per_seat_minimum_must_fit_the_tiers_seat_limit():
    rows = [
        PriceRow("EUR", "monthly", Decimal("10"), True, 6),
        PriceRow("EUR", "annual", Decimal("100"), True, 6),
    ]
    assert seat_price_problems(rows, 5) == [
        "The monthly price in EUR starts at 6 seats, more than the tier's 5.",
        "The annual price in EUR starts at 6 seats, more than the tier's 5.",
    ]
    assert seat_price_problems(rows, 6) == []
    assert seat_price_problems(rows, None) == []
    flat = [PriceRow("EUR", "monthly", Decimal("10"), False, 6)]
    assert seat_price_problems(flat, 5) == []


def test_a_version_lists_its_seat_price_problems_after_its_limits():
    rows = [
        PriceRow("EUR", "monthly", Decimal("10"), True, 6),
        PriceRow("EUR", "annual", Decimal("100"), True, 6),
    ]
    assert problems(prices=rows, seat_limit=5, limits_missing=["API calls"]) == [
        "Set the API calls limit (leave the value blank for unlimited).",
        "The monthly price in EUR starts at 6 seats, more than the tier's 5.",
        "The annual price in EUR starts at 6 seats, more than the tier's 5.",
    ]
    assert problems(prices=rows, seat_limit=6) == []


def test_a_currency_charges_both_cycles_the_same_way():
    mixed = [
        PriceRow("USD", "monthly", Decimal("10"), True, 1),
        PriceRow("USD", "annual", Decimal("100"), False, 1),
        PriceRow("EUR", "monthly", Decimal("10"), True, 1),
        PriceRow("EUR", "annual", Decimal("100"), True, 3),
        PriceRow("CHF", "monthly", Decimal("10"), True, 2),
        PriceRow("CHF", "annual", Decimal("100"), True, 2),
    ]
    assert seat_price_problems(mixed, None) == [
        "Charge the monthly and annual prices in EUR the same way: both per seat from the "
        "same minimum, or both flat.",
        "Charge the monthly and annual prices in USD the same way: both per seat from the "
        "same minimum, or both flat.",
    ]
    assert problems(prices=mixed, public=False) == seat_price_problems(mixed, None)


def test_versions_are_numbered_from_one():
    assert next_number(None) == 1
    assert next_number(1) == 2
    assert next_number(41) == 42


@pytest.mark.parametrize(
    "status, refusal",
    [
        ("draft", None),
        ("published", "Team v2 (published) is not a draft; only drafts can be published."),
        ("retired", "Team v2 (published) is not a draft; only drafts can be published."),
    ],
    ids=["draft", "published", "retired"],
)
def test_only_a_draft_is_published(status, refusal):
    assert draft_refusal(status=status, name="Team v2 (published)") == refusal


@pytest.mark.parametrize(
    "days, refusal",
    [(0, None), (90, None), (-1, "The notice period cannot be negative.")],
    ids=["none", "ninety", "negative"],
)
def test_the_notice_is_never_negative(days, refusal):
    assert notice_refusal(days) == refusal


def test_the_notice_date_is_the_day_the_notice_ends():
    assert notice_date(AT, 0) == date(2026, 3, 14)
    assert notice_date(AT, 90) == date(2026, 6, 12)
    assert notice_date(datetime(2026, 3, 14, 0, 30, tzinfo=UTC), 1) == date(2026, 3, 15)


def retiring(**given):
    figures = {
        "status": "published",
        "name": "Team v2 (published)",
        "successor_status": "published",
        "successor_public": True,
        "same_tier": False,
        "notice_date": date(2026, 3, 14),
        "at": AT,
        "reason": "Team is folded into Business.",
    }
    return retire_refusal(**{**figures, **given})


@pytest.mark.parametrize(
    "given, refusal",
    [
        ({}, None),
        ({"notice_date": date(2026, 6, 1)}, None),
        (
            {"status": "draft", "name": "Team v3 (draft)", "reason": ""},
            "Team v3 (draft) is not published; only published versions retire.",
        ),
        (
            {"status": "retired", "name": "Team v1 (retired)"},
            "Team v1 (retired) is not published; only published versions retire.",
        ),
        (
            {"successor_status": "draft", "same_tier": True},
            "The suggested successor must be a published, public version.",
        ),
        (
            {"successor_public": False},
            "The suggested successor must be a published, public version.",
        ),
        (
            {"same_tier": True, "reason": ""},
            "The successor must be another tier; publish a new version instead.",
        ),
        (
            {"notice_date": date(2026, 3, 13), "reason": ""},
            "The notice date cannot be in the past.",
        ),
        ({"reason": " \t"}, "Give the reason; it is published in the changelog."),
    ],
    ids=[
        "fine",
        "later-notice",
        "draft",
        "retired",
        "successor-a-draft",
        "successor-private",
        "same-tier",
        "notice-yesterday",
        "no-reason",
    ],
)
def test_a_published_version_retires_to_another_public_tier_with_notice_and_a_reason(
    given, refusal
):
    assert retiring(**given) == refusal


@pytest.mark.parametrize(
    "status, sections, effective, refusal",
    [
        ("draft", True, date(2026, 3, 14), None),
        ("draft", True, date(2026, 4, 1), None),
        ("published", False, date(2026, 3, 1), "Policy v2 (published) is already published."),
        (
            "draft",
            False,
            date(2026, 3, 1),
            "A policy needs at least one section before it is published.",
        ),
        (
            "draft",
            True,
            date(2026, 3, 13),
            "The effective date cannot be in the past: customers must be able to read a "
            "policy before it applies.",
        ),
    ],
    ids=["today", "later", "published", "no-section", "yesterday"],
)
def test_a_policy_is_published_once_with_a_section_and_not_in_the_past(
    status, sections, effective, refusal
):
    assert (
        policy_publish_refusal(
            status=status,
            name="Policy v2 (published)",
            has_sections=sections,
            effective_date=effective,
            at=AT,
        )
        == refusal
    )
