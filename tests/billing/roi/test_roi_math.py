"""The pure ROI arithmetic: hand-worked cases first, then properties."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.money import Money
from billing.pricing import BillingCycle
from billing.roi.calculator import (
    Assumptions,
    MetricUsage,
    TierInput,
    cumulative_points,
    evaluate,
    evaluate_tier,
    limit_outlook,
    net_present_value,
    round_ratio,
    tier_outlook,
)

D = Decimal


def usd(amount) -> Money:
    return Money(D(str(amount)), "USD")


def assumptions(**overrides) -> Assumptions:
    values = {
        "team_size": 50,
        "hourly_cost": usd(75),
        "cost_per_error": usd(0),
        "implementation_cost": usd(0),
        "cycle": BillingCycle.ANNUAL,
        "horizon_years": 1,
        "discount_rate_percent": None,
    }
    values.update(overrides)
    return Assumptions(**values)


def tier(slug="business", *, price="60000", hours="3", errors="0", seats=None) -> TierInput:
    return TierInput(
        slug=slug,
        name=slug.title(),
        price=None if price is None else usd(price),
        hours_saved_per_person_week=D(hours),
        errors_avoided_per_year=D(errors),
        limits={"seats": seats},
    )


def test_it_works_the_issues_example_by_hand():
    # 50 people * 3 h * 52 weeks * $75 = $585,000; against $60,000: $525,000 net,
    # 525,000 / 60,000 = 875 %. The year's $60,000 is paid at its start and $48,750 of
    # value comes a month: they cross after 60,000 / 48,750 = 1.23… ≈ 1.2 months.
    result = evaluate_tier(tier(), assumptions())
    assert result.annual_value == usd(585000)
    assert result.annual_cost == usd(60000)
    assert result.annual_net == usd(525000)
    assert result.roi_percent == D("875.0")
    assert result.payback_months == D("1.2")
    assert result.npv is None


@pytest.mark.parametrize(
    ("overrides", "tier_kwargs", "value", "cost", "roi", "payback"),
    [
        # Monthly billing: 12 * $5,000 = $60,000, as the annual case, but only a month's
        # $5,000 is paid up front: 5,000 / 48,750 = 0.10… months.
        ({"cycle": BillingCycle.MONTHLY}, {"price": "5000"}, "585000", "60000", "875.0", "0.1"),
        # Errors: 20 * $1,000 = $20,000 on top of 10 * 2 h * 52 * $50 = $52,000.
        (
            {"team_size": 10, "hourly_cost": usd(50), "cost_per_error": usd(1000)},
            {"price": "12000", "hours": "2", "errors": "20"},
            "72000",
            "12000",
            "500.0",
            "2.0",  # 12,000 / (72,000 / 12)
        ),
        # Three years with $30,000 implementation: (3 * 525,000 - 30,000) / (3 * 60,000
        # + 30,000) = 1,545,000 / 210,000 = 735.71… %; the first year's 60,000 and the
        # 30,000 are reached by 48,750 a month after 90,000 / 48,750 = 1.85 months.
        (
            {"horizon_years": 3, "implementation_cost": usd(30000)},
            {},
            "585000",
            "60000",
            "735.7",
            "1.8",
        ),
        # Cost above value: negative ROI, no payback. 1 * 1 h * 52 * $10 = $520.
        (
            {"team_size": 1, "hourly_cost": usd(10)},
            {"price": "1000", "hours": "1"},
            "520",
            "1000",
            "-48.0",
            None,
        ),
    ],
)
def test_it_matches_hand_worked_cases(overrides, tier_kwargs, value, cost, roi, payback):
    result = evaluate_tier(tier(**tier_kwargs), assumptions(**overrides))
    assert result.annual_value == usd(value)
    assert result.annual_cost == usd(cost)
    assert result.roi_percent == D(roi)
    assert result.payback_months == (None if payback is None else D(payback))
    assert result.pays_back is (payback is not None)


@pytest.mark.parametrize(
    ("price", "implementation", "years", "payback", "within"),
    [
        # $60,000 a year against $585,000 of value: 1.2 months.
        ("60000", "0", 1, "1.2", True),
        # $540,000 a year and $100,000 to implement, $45,000 net a year: the value so
        # far first reaches what was paid in year 3 (k = floor(12 * 100,000 / (45,000 *
        # 12)) = 2), after (1,200,000 + 3 * 540,000 * 12) / 585,000 = 35.28 months:
        # inside three years (36), not two.
        ("540000", "100000", 3, "35.3", True),
        ("540000", "100000", 2, "35.3", False),
        # $135,000 to implement is three years' net exactly: the value reaches the paid
        # total only as year 4's price falls due (k = 3), after (1,620,000 + 4 * 540,000
        # * 12) / 585,000 = 47.08 months; three years only break even (ROI 0 %).
        ("540000", "135000", 3, "47.1", False),
        ("540000", "135000", 4, "47.1", True),
        ("600000", "0", 3, None, False),  # cost above value: never
    ],
)
def test_it_pays_back_within_the_horizon_only_up_to_its_last_month(
    price, implementation, years, payback, within
):
    result = evaluate_tier(
        tier(price=price),
        assumptions(horizon_years=years, implementation_cost=usd(implementation)),
    )
    assert result.payback_months == (None if payback is None else D(payback))
    assert result.pays_back_within_horizon is within


@pytest.mark.parametrize(
    ("cycle", "price", "payback"),
    [
        # $3,000,000 to implement against $525,000 net a year. Annual: k = floor(12 *
        # 3,000,000 / (525,000 * 12)) = 5, after (36,000,000 + 6 * 60,000 * 12) / 585,000
        # = 68.92 months. Monthly ($5,000): k = floor(36,000,000 / 525,000) = 68, after
        # (36,000,000 + 69 * 60,000) / 585,000 = 68.62 months.
        (BillingCycle.ANNUAL, "60000", "68.9"),
        (BillingCycle.MONTHLY, "5000", "68.6"),
    ],
)
def test_it_pays_back_where_the_charts_lines_cross(cycle, price, payback):
    result = evaluate_tier(
        tier(price=price),
        assumptions(cycle=cycle, horizon_years=10, implementation_cost=usd(3_000_000)),
    )
    assert result.payback_months == D(payback)
    points = cumulative_points(result, cycle)
    crossed = next(p.month for p in points if p.value >= p.cost)
    assert crossed == int(D(payback)) + 1


def test_it_discounts_net_value_for_the_npv():
    # 525,000 * (1/1.1 + 1/1.21 + 1/1.331) - 0 = 1,305,597.30 after rounding.
    result = evaluate_tier(tier(), assumptions(horizon_years=3, discount_rate_percent=D("10")))
    assert result.npv.rounded() == usd("1305597.30")
    # A zero rate is the plain sum less implementation.
    npv = net_present_value(
        annual_net=usd(100), rate_percent=D(0), years=4, implementation_cost=usd(50)
    )
    assert npv == usd(350)


def test_it_has_no_roi_when_nothing_is_spent():
    result = evaluate_tier(tier(price="0"), assumptions())
    assert result.roi_percent is None
    assert result.payback_months == D("0.0")


def test_it_recommends_the_highest_net_value_that_fits():
    outcome = evaluate(
        assumptions(),
        [
            tier("starter", price="290", hours="5", seats=5),  # best value, but too small
            tier("business", price="60000", seats=60),
            tier("enterprise", price="120000"),
        ],
    )
    assert [r.fits for r in outcome.results] == [False, True, True]
    assert outcome.recommended.tier.slug == "business"


def test_it_breaks_a_tie_towards_the_cheaper_tier():
    # "dear" is worth $2,500 more (one error avoided) and costs $2,500 more: the same
    # $525,000 net as "cheap", so the cheaper one is recommended, whichever comes first.
    tiers = [tier("dear", price="62500", errors="1"), tier("cheap", price="60000")]
    for ordered in (tiers, tiers[::-1]):
        outcome = evaluate(assumptions(cost_per_error=usd(2500)), ordered)
        assert outcome.results[0].annual_net == outcome.results[1].annual_net == usd(525000)
        assert outcome.recommended.tier.slug == "cheap"


def test_it_recommends_nothing_when_no_tier_pays():
    outcome = evaluate(assumptions(team_size=1, hourly_cost=usd(1)), [tier(), tier("e")])
    assert outcome.recommended is None
    assert all(r.payback_months is None for r in outcome.results)


def test_it_leaves_unpriced_tiers_out():
    outcome = evaluate(assumptions(), [tier(), tier("gbp-only", price=None)])
    assert [t.slug for t in outcome.unpriced] == ["gbp-only"]
    assert len(outcome.results) == 1


def test_it_accumulates_value_and_cost_month_by_month():
    result = evaluate_tier(tier(), assumptions(horizon_years=2, implementation_cost=usd(1000)))
    points = cumulative_points(result, BillingCycle.ANNUAL)
    assert len(points) == 25
    assert points[0].value == usd(0) and points[0].cost == usd(61000)
    assert points[12].cost == usd(121000)
    assert points[24].value == usd(1170000) and points[24].cost == usd(121000)
    monthly = evaluate_tier(tier(price="5000"), assumptions(cycle=BillingCycle.MONTHLY))
    monthly_points = cumulative_points(monthly, BillingCycle.MONTHLY)
    assert monthly_points[0].cost == usd(5000)
    assert monthly_points[12].cost == usd(60000)


def calls(*periods, limit=100_000) -> MetricUsage:
    return MetricUsage("api-calls", "API calls", "calls", periods, limit)


@pytest.mark.parametrize(
    ("periods", "today", "tier_limit", "over", "relieved"),
    [
        # Over today's 100,000 in two of three months; Business's 250,000 holds them all.
        ((96_000, 118_000, 104_000), 100_000, 250_000, 0, 2),
        # A smaller tier: over in all three, and nothing relieved.
        ((96_000, 118_000, 104_000), 100_000, 10_000, 3, 0),
        # Partly relieved: 110,000 fits, 130,000 does not.
        ((110_000, 130_000, 90_000), 100_000, 120_000, 1, 1),
        # At the limit is not over it.
        ((100_000, 100_000, 100_000), 100_000, 100_000, 0, 0),
        # Unlimited today: nothing to relieve; unlimited on the tier: never over.
        ((500_000, 0, 0), None, 100_000, 1, 0),
        ((500_000, 0, 0), 100_000, None, 0, 1),
    ],
)
def test_it_counts_the_months_a_tier_would_have_been_over(
    periods, today, tier_limit, over, relieved
):
    outlook = limit_outlook(calls(*periods, limit=today), {"api-calls": tier_limit})
    assert (outlook.over, outlook.relieved, outlook.window) == (over, relieved, 3)
    assert outlook.limit == tier_limit


def test_it_counts_a_metric_the_tier_lacks_as_a_limit_of_zero():
    outlook = limit_outlook(calls(3, 0, 1), {"seats": 10})
    assert (outlook.limit, outlook.over) == (0, 2)


def test_it_sorts_a_tiers_limits_into_hits_and_relief():
    usage = [
        calls(96_000, 118_000, 104_000),
        MetricUsage("seats", "Seats", "seats", (11, 11, 12), 12),
    ]
    team = tier_outlook(usage, {"api-calls": 100_000, "seats": 12})
    assert [o.usage.key for o in team.hits] == ["api-calls"] and team.relief == []
    business = tier_outlook(usage, {"api-calls": 250_000, "seats": 60})
    assert business.hits == [] and [o.usage.key for o in business.relief] == ["api-calls"]
    starter = tier_outlook(usage, {"api-calls": 1_000, "seats": 5})
    assert [o.usage.key for o in starter.hits] == ["api-calls", "seats"]


usage_periods = st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=3)
limits = st.none() | st.integers(min_value=0, max_value=10**9)


@given(usage_periods, limits, limits, limits)
def test_a_higher_limit_never_means_more_months_over(periods, today, low, high):
    if low is not None and high is not None and low > high:
        low, high = high, low
    usage = calls(*periods, limit=today)
    lower, higher = (
        limit_outlook(usage, {"api-calls": low}),
        limit_outlook(usage, {"api-calls": high}),
    )
    if low is not None:
        assert higher.over <= lower.over
        assert higher.relieved >= lower.relieved
    # Every month over today's limit is either still over on the tier, or relieved.
    today_over = limit_outlook(usage, {"api-calls": today}).over
    assert higher.over + higher.relieved >= today_over


@pytest.mark.parametrize(
    ("value", "shown"),
    [("1.35", "1.4"), ("1.349", "1.3"), ("-48", "-48.0"), ("874.99", "875.0"), ("0.04", "0.0")],
)
def test_it_rounds_ratios_half_up_to_one_place(value, shown):
    assert round_ratio(D(value)) == D(shown)


def test_it_refuses_nonsense_assumptions():
    with pytest.raises(ValueError):
        assumptions(team_size=0)
    with pytest.raises(ValueError):
        assumptions(horizon_years=11)
    with pytest.raises(ValueError):
        assumptions(cycle="weekly")
    with pytest.raises(ValueError):
        assumptions(discount_rate_percent=D("101"))


# --- Properties -------------------------------------------------------------------------

amounts = st.decimals(min_value=0, max_value=10_000, places=2, allow_nan=False)
positive_amounts = st.decimals(min_value=D("0.01"), max_value=10_000, places=2)
hours = st.decimals(min_value=0, max_value=60, places=2)
teams = st.integers(min_value=1, max_value=100_000)
prices = st.decimals(min_value=0, max_value=10_000_000, places=2)
errors = st.decimals(min_value=0, max_value=100_000, places=2)


@st.composite
def scenarios(draw):
    return (
        Assumptions(
            team_size=draw(teams),
            hourly_cost=usd(draw(positive_amounts)),
            cost_per_error=usd(draw(amounts)),
            implementation_cost=usd(draw(prices)),
            cycle=draw(st.sampled_from([BillingCycle.MONTHLY, BillingCycle.ANNUAL])),
            horizon_years=draw(st.integers(min_value=1, max_value=10)),
            discount_rate_percent=draw(
                st.none() | st.decimals(min_value=0, max_value=100, places=2)
            ),
        ),
        tier(price=draw(prices), hours=draw(hours), errors=draw(errors)),
    )


@given(scenarios(), hours)
def test_it_never_lowers_value_when_more_hours_are_saved(scenario, extra):
    base_assumptions, base = scenario
    more = tier(
        price=base.price.amount,
        hours=min(base.hours_saved_per_person_week + extra, D(60)),
        errors=base.errors_avoided_per_year,
    )
    assert (
        evaluate_tier(more, base_assumptions).annual_value
        >= evaluate_tier(base, base_assumptions).annual_value
    )


@given(scenarios(), prices)
def test_it_never_raises_roi_when_the_price_goes_up(scenario, increase):
    base_assumptions, base = scenario
    dearer = tier(
        price=base.price.amount + increase,
        hours=base.hours_saved_per_person_week,
        errors=base.errors_avoided_per_year,
    )
    before = evaluate_tier(base, base_assumptions).roi_percent
    after = evaluate_tier(dearer, base_assumptions).roi_percent
    if before is not None and after is not None:
        assert after <= before


@given(scenarios(), st.integers(min_value=1, max_value=20))
def test_it_values_time_linearly_in_team_size(scenario, factor):
    base_assumptions, base = scenario
    bigger = Assumptions(
        **{**base_assumptions.__dict__, "team_size": base_assumptions.team_size * factor}
    )
    small = evaluate_tier(base, base_assumptions)
    large = evaluate_tier(base, bigger)
    assert large.time_value == small.time_value * factor
    assert large.error_value == small.error_value


# Up to 121 monthly points per case: slower than the deadline on a busy machine.
@settings(deadline=None)
@given(scenarios())
def test_it_never_produces_nan_or_infinity(scenario):
    base_assumptions, base = scenario
    result = evaluate_tier(base, base_assumptions)
    numbers = [
        result.annual_value.amount,
        result.annual_cost.amount,
        result.annual_net.amount,
        result.horizon_net.amount,
    ]
    numbers += [x for x in (result.roi_percent, result.payback_months) if x is not None]
    if result.npv is not None:
        numbers.append(result.npv.amount)
    for point in cumulative_points(result, base_assumptions.cycle):
        numbers += [point.value.amount, point.cost.amount]
    assert all(number.is_finite() for number in numbers)


@settings(deadline=None)
@given(scenarios())
def test_property_it_pays_back_where_the_chart_crosses_and_whenever_the_roi_is_positive(
    scenario,
):
    """The payback is the chart's crossing: before it (less the half-tenth the rounding
    may take) every month's value so far is below what was paid so far; and a tier whose
    ROI over the horizon is above zero pays back within it (never "does not pay back
    within 3 years" beside a positive ROI and lines that cross)."""
    base_assumptions, base = scenario
    result = evaluate_tier(base, base_assumptions)
    if result.payback_months is None:
        assert result.annual_net.amount <= 0
        return
    for point in cumulative_points(result, base_assumptions.cycle):
        if point.month + D("0.05") < result.payback_months:
            assert point.value < point.cost
    if result.horizon_net.amount > 0:
        assert result.pays_back_within_horizon
    if result.pays_back_within_horizon:
        assert result.horizon_net.amount >= 0
