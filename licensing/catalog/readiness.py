"""The rules of publishing the catalog, pure (licensing.catalog.publishing does the
writes): what a tier version still lacks before it can be published, the notice a
replaced version gets, a draft's number, and when a version may retire or a policy be
published. `make mutate` mutates this module against its fast tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from billing.pricing import BillingCycle
from licensing.models import PolicyStatus, VersionStatus


@dataclass(frozen=True)
class PriceRow:
    currency: str
    cycle: str  # a BillingCycle
    amount: Decimal
    per_seat: bool
    min_seats: int


def version_problems(
    *,
    note: str,
    has_features: bool,
    limits_missing: list[str],
    prices: list[PriceRow],
    seat_limit: int | None,
    public: bool,
    currencies: list[str],
) -> list[str]:
    """Why a version cannot be published yet; empty when it can. `limits_missing` names
    the product's metrics the version sets no limit for; `currencies` are the enabled
    ones, in which a public tier must have every cycle's price."""
    problems = []
    if not note.strip():
        problems.append("Write the reason for this version; it is published in the changelog.")
    if not has_features:
        problems.append("Include at least one feature.")
    problems += [
        f"Set the {name} limit (leave the value blank for unlimited)." for name in limits_missing
    ]
    amounts = {(row.currency, row.cycle): row.amount for row in prices}
    problems += seat_price_problems(prices, seat_limit)
    if public:
        for currency in currencies:
            for cycle, label in BillingCycle.choices:
                if (currency, cycle) not in amounts:
                    problems.append(f"Add the {label.lower()} price in {currency}.")
    for (currency, cycle), amount in sorted(amounts.items()):
        monthly = amounts.get((currency, BillingCycle.MONTHLY))
        if cycle == BillingCycle.ANNUAL and monthly is not None and amount > monthly * 12:
            problems.append(
                f"The annual price in {currency} is more than twelve monthly payments; "
                "paying yearly must never cost more."
            )
    return problems


def seat_price_problems(prices: list[PriceRow], seat_limit: int | None) -> list[str]:
    """A per-seat minimum within the tier's seat limit, and one way of charging per
    currency, so the monthly and annual prices compare like for like."""
    problems = []
    for row in prices:
        if row.per_seat and seat_limit is not None and row.min_seats > seat_limit:
            problems.append(
                f"The {BillingCycle(row.cycle).label.lower()} price in {row.currency} starts "
                f"at {row.min_seats} seats, more than the tier's {seat_limit}."
            )
    for currency in sorted({row.currency for row in prices}):
        kinds = {(row.per_seat, row.min_seats) for row in prices if row.currency == currency}
        if len(kinds) > 1:
            problems.append(
                f"Charge the monthly and annual prices in {currency} the same way: both per "
                "seat from the same minimum, or both flat."
            )
    return problems


def next_number(latest: int | None) -> int:
    """A tier's versions are numbered 1, 2, 3… in the order they are drafted."""
    return (latest or 0) + 1


def draft_refusal(*, status: str, name: str) -> str | None:
    """Only a draft is published: a published or retired version is frozen."""
    if status != VersionStatus.DRAFT:
        return f"{name} is not a draft; only drafts can be published."
    return None


def notice_refusal(notice_days: int) -> str | None:
    if notice_days < 0:
        return "The notice period cannot be negative."
    return None


def notice_date(at: datetime, notice_days: int) -> date:
    """Customers on a replaced version keep it at least until this day."""
    return (at + timedelta(days=notice_days)).date()


def retire_refusal(
    *,
    status: str,
    name: str,
    successor_status: str,
    successor_public: bool,
    same_tier: bool,
    notice_date: date,
    at: datetime,
    reason: str,
) -> str | None:
    """Why the version `name` cannot retire with this successor, notice and reason."""
    if status != VersionStatus.PUBLISHED:
        return f"{name} is not published; only published versions retire."
    if successor_status != VersionStatus.PUBLISHED or not successor_public:
        return "The suggested successor must be a published, public version."
    if same_tier:
        return "The successor must be another tier; publish a new version instead."
    if notice_date < at.date():
        return "The notice date cannot be in the past."
    if not reason.strip():
        return "Give the reason; it is published in the changelog."
    return None


def policy_publish_refusal(
    *, status: str, name: str, has_sections: bool, effective_date: date, at: datetime
) -> str | None:
    """Why the policy `name` cannot be published at `at`, or None."""
    if status != PolicyStatus.DRAFT:
        return f"{name} is already published."
    if not has_sections:
        return "A policy needs at least one section before it is published."
    if effective_date < at.date():
        return (
            "The effective date cannot be in the past: customers must be able to read a "
            "policy before it applies."
        )
    return None
