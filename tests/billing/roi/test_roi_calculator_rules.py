"""The ROI calculator's rules at their edges: a team exactly at a tier's seat limit fits,
a tier that only breaks even is not recommended, and the model refuses assumptions it
cannot work with, saying which."""

import re
from dataclasses import replace
from decimal import Decimal

import pytest

from billing.money import Money
from billing.pricing import BillingCycle
from billing.roi.calculator import (
    Assumptions,
    MetricUsage,
    TierInput,
    cumulative_points,
    evaluate,
    evaluate_tier,
)

D = Decimal


def usd(amount) -> Money:
    return Money(D(str(amount)), "USD")


# Ten people at $50 an hour, yearly prices, one year, no other costs: each hour a week
# that a tier saves is worth 10 * 52 * $50 = $26,000 a year.
TEAM_OF_TEN = Assumptions(
    team_size=10,
    hourly_cost=usd(50),
    cost_per_error=usd(0),
    implementation_cost=usd(0),
    cycle=BillingCycle.ANNUAL,
    horizon_years=1,
)


def assumptions(**changes) -> Assumptions:
    return replace(TEAM_OF_TEN, **changes)


def tier(slug="team", *, price="1000", seats=None) -> TierInput:
    money = None if price is None else usd(price)
    return TierInput(slug, slug.title(), money, D(1), D(0), {"seats": seats})


@pytest.mark.parametrize(("seats", "fits"), [(9, False), (10, True), (11, True), (None, True)])
def test_a_team_exactly_at_the_seat_limit_fits(seats, fits):
    assert evaluate_tier(tier(seats=seats), assumptions(team_size=10)).fits is fits


def test_a_tier_that_only_breaks_even_is_not_recommended():
    outcome = evaluate(assumptions(), [tier("even", price="26000")])
    assert outcome.results[0].annual_net == usd(0)
    assert outcome.recommended is None
    assert outcome.results[0].payback_months is None
    assert outcome.results[0].pays_back is False


def test_a_tier_fifty_cents_ahead_is_recommended_and_pays_back():
    outcome = evaluate(assumptions(), [tier("ahead", price="25999.50")])
    result = outcome.results[0]
    assert result.annual_net == usd("0.50")
    assert outcome.recommended is result
    # The year's $25,999.50, paid at its start, is reached by $26,000 of value a year
    # after 12 * 25,999.50 / 26,000 = 11.9998 months: it pays back, within the year.
    assert result.payback_months == D("12.0")
    assert result.pays_back is True
    # 12.0 months is the last month of a one-year horizon: within it, not after.
    assert result.horizon_years == 1 and result.pays_back_within_horizon is True


@pytest.mark.parametrize(
    ("implementation", "recommended"),
    # $26,000 of value a year against $16,000: $10,000 a year ahead. An implementation
    # cost of $9,999.99 is paid back just inside the year; $10,000 only as the second
    # year's price falls due (the value reaches $26,000 at month 12 exactly, when $16,000
    # more is paid), so not within a one-year horizon.
    [("9999.99", True), ("10000", False), ("50000", False)],
)
def test_a_tier_that_does_not_pay_back_within_the_horizon_is_not_recommended(
    implementation, recommended
):
    outcome = evaluate(
        assumptions(implementation_cost=usd(implementation)), [tier("team", price="16000")]
    )
    result = outcome.results[0]
    assert result.annual_net == usd("10000")
    assert result.pays_back_within_horizon is recommended
    assert (outcome.recommended is result) is recommended


def test_it_names_the_tier_it_cannot_evaluate():
    with pytest.raises(ValueError, match=re.escape("Team has no price to evaluate.")):
        evaluate_tier(tier(price=None), assumptions())


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"team_size": 0}, "A team has at least one person."),
        ({"horizon_years": 0}, "The horizon is between 1 and 10 years."),
        ({"horizon_years": 11}, "The horizon is between 1 and 10 years."),
        ({"cycle": "weekly"}, "'weekly' is not a billing cycle."),
        ({"implementation_cost": usd("-0.01")}, "Costs are never negative."),
        ({"cost_per_error": usd("-0.01")}, "Costs are never negative."),
        (
            {"discount_rate_percent": D("-0.1")},
            "The discount rate is a percentage between 0 and 100.",
        ),
        (
            {"discount_rate_percent": D("100.1")},
            "The discount rate is a percentage between 0 and 100.",
        ),
    ],
)
def test_it_refuses_assumptions_it_cannot_work_with(overrides, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        assumptions(**overrides)


@pytest.mark.parametrize(
    "overrides",
    [
        {"team_size": 1},
        {"horizon_years": 1},
        {"horizon_years": 10},
        {"cycle": BillingCycle.MONTHLY},
        {"implementation_cost": usd(0), "cost_per_error": usd(0)},
        {"discount_rate_percent": D(0)},
        {"discount_rate_percent": D(100)},
    ],
)
def test_it_accepts_assumptions_at_the_edges(overrides):
    assert assumptions(**overrides).team_size >= 1


def test_each_point_is_its_month_with_its_net():
    result = evaluate_tier(tier(price="1200"), assumptions(implementation_cost=usd(300)))
    points = cumulative_points(result, BillingCycle.ANNUAL)
    assert [point.month for point in points] == list(range(13))
    # Month 6: half of $26,000 accrued, against $300 + $1,200 paid at the start.
    assert points[6].net == usd(13000) - usd(1500)
    assert points[0].net == usd(-1500)


@pytest.mark.parametrize(("periods", "peak"), [((3, 9, 4), 9), ((0,), 0), ((), 0)])
def test_the_peak_is_the_busiest_period(periods, peak):
    assert MetricUsage("seats", "Seats", "seats", periods, 5).peak == peak


@pytest.mark.parametrize(
    ("implementation", "within", "roi"),
    [
        # A free tier worth $26,000 a year: $26,000 to implement is reached at the last
        # moment of a one-year horizon, 12 months exactly (break-even, ROI 0 %): within.
        ("26000", True, "0.0"),
        # $26,026 is reached after 12 * 26,026 / 26,000 = 12.012 months, shown as 12.0
        # but after the horizon, with an ROI below zero: never said to pay back within it.
        ("26026", False, "-0.1"),
    ],
)
def test_the_horizon_is_compared_with_the_payback_before_rounding(implementation, within, roi):
    result = evaluate_tier(
        tier(price="0"), assumptions(implementation_cost=usd(implementation), horizon_years=1)
    )
    assert result.annual_value == usd(26000)
    assert result.payback_months == D("12.0")
    assert result.pays_back_within_horizon is within
    assert result.roi_percent == D(roi)
