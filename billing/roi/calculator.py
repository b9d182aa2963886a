"""What each tier is worth to a customer, from their own numbers. Pure arithmetic: no
ORM, no Django, Decimal throughout, so it is tested with hand-worked tables and
hypothesis properties.

Money keeps full precision here and is rounded only where it is shown (Money.rounded,
Money.format). Ratios (ROI percent, payback months) are rounded as the pricing page's
percentages are, by billing.pricing.round_percent (imported here as `round_ratio`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from billing.money import Money
from billing.pricing import MONTHS_PER_YEAR, BillingCycle
from billing.pricing import round_percent as round_ratio

CYCLES = tuple(BillingCycle.values)
WEEKS_PER_YEAR = 52
SEATS = "seats"


@dataclass(frozen=True)
class TierInput:
    """One tier as the calculator sees it. `price` is what one billing period (a month
    or a whole year) costs the team in the visitor's currency and cycle, a per-seat price
    already multiplied out (`price_text` says how: "$12.00 per seat a month, from 5
    seats"); None when the catalog has no price for them. `limits` maps a metric key to
    its limit (None: unlimited); the "seats" metric decides whether the team fits."""

    slug: str
    name: str
    price: Money | None
    hours_saved_per_person_week: Decimal
    errors_avoided_per_year: Decimal
    limits: dict[str, int | None]
    price_text: str = ""

    @property
    def seat_limit(self) -> int | None:
        return self.limits.get(SEATS)


@dataclass(frozen=True)
class Assumptions:
    """The visitor's own numbers, shared by every tier."""

    team_size: int
    hourly_cost: Money
    cost_per_error: Money
    implementation_cost: Money
    cycle: str
    horizon_years: int
    discount_rate_percent: Decimal | None = None

    def __post_init__(self) -> None:
        if self.team_size < 1:
            raise ValueError("A team has at least one person.")
        if not 1 <= self.horizon_years <= 10:
            raise ValueError("The horizon is between 1 and 10 years.")
        if self.cycle not in CYCLES:
            raise ValueError(f"{self.cycle!r} is not a billing cycle.")
        if self.implementation_cost.amount < 0 or self.cost_per_error.amount < 0:
            raise ValueError("Costs are never negative.")
        if self.discount_rate_percent is not None and not (0 <= self.discount_rate_percent <= 100):
            raise ValueError("The discount rate is a percentage between 0 and 100.")

    @property
    def currency(self) -> str:
        return self.hourly_cost.currency


@dataclass(frozen=True)
class TierResult:
    tier: TierInput
    fits: bool
    time_value: Money
    error_value: Money
    annual_cost: Money

    horizon_years: int
    implementation_cost: Money
    discount_rate_percent: Decimal | None
    cycle: str = BillingCycle.ANNUAL

    @property
    def annual_value(self) -> Money:
        return self.time_value + self.error_value

    @property
    def annual_net(self) -> Money:
        return self.annual_value - self.annual_cost

    @property
    def horizon_net(self) -> Money:
        """Net value over the horizon after the one-off implementation cost."""
        return self.annual_net * self.horizon_years - self.implementation_cost

    @property
    def roi_percent(self) -> Decimal | None:
        """None when nothing is spent at all (a free tier and no implementation cost):
        a return on nothing is not a number, and we never show infinity."""
        spent = self.annual_cost * self.horizon_years + self.implementation_cost
        if spent.amount == 0:
            return None
        return round_ratio(self.horizon_net.amount / spent.amount * 100)

    @property
    def payback_months(self) -> Decimal | None:
        """`payback_exact`, as shown: to one decimal place."""
        exact = self.payback_exact
        return None if exact is None else round_ratio(exact)

    @property
    def payback_exact(self) -> Decimal | None:
        """The month the value so far first reaches everything paid so far, where the
        chart's lines cross (cumulative_points: the implementation cost at the start,
        each period's price at its start). None: the tier does not pay back (its cost is
        not below its value).

        A period lasts `months` (12 or 1) and costs annual cost * months / 12. In period
        k (counted from 0) the paid total stands at implementation + (k + 1) prices; the
        value, annual value / 12 a month, reaches it within the period once (k + 1) *
        (net a year * months / 12) exceeds the implementation cost. At the first such k,
        k = floor(12 * implementation / (net a year * months)), it takes
        (12 * implementation + (k + 1) * annual cost * months) / annual value months.
        Worked in whole amounts, divided once."""
        net = self.annual_net.amount
        if net <= 0:
            return None
        months = period_of(self.cycle, self.annual_cost.amount)[0]
        outlay = MONTHS_PER_YEAR * self.implementation_cost.amount
        k = outlay // (net * months)
        paid = outlay + (k + 1) * self.annual_cost.amount * months
        return paid / self.annual_value.amount

    @property
    def npv(self) -> Money | None:
        if self.discount_rate_percent is None:
            return None
        return net_present_value(
            annual_net=self.annual_net,
            rate_percent=self.discount_rate_percent,
            years=self.horizon_years,
            implementation_cost=self.implementation_cost,
        )

    @property
    def pays_back(self) -> bool:
        return self.payback_months is not None

    @property
    def pays_back_within_horizon(self) -> bool:
        """Payback at or before the horizon's last month, unrounded (12.01 months is
        after a one-year horizon, though shown as 12.0): a tier that would pay back only
        after the years the figures cover is not said to pay back. The same as a net over
        the horizon above zero."""
        return (
            self.payback_exact is not None
            and self.payback_exact <= self.horizon_years * MONTHS_PER_YEAR
        )


@dataclass(frozen=True)
class Outcome:
    results: list[TierResult]
    unpriced: list[TierInput]
    recommended: TierResult | None


def time_value(*, team_size: int, hours_per_person_week: Decimal, hourly_cost: Money) -> Money:
    """team times hours a week times 52 weeks times the hourly cost."""
    return hourly_cost * (team_size * hours_per_person_week * WEEKS_PER_YEAR)


def error_value(*, errors_per_year: Decimal, cost_per_error: Money) -> Money:
    return cost_per_error * errors_per_year


def annual_cost(price: Money, cycle: str) -> Money:
    """An annual price as it is; a monthly price twelve times."""
    return price if cycle == BillingCycle.ANNUAL else price * MONTHS_PER_YEAR


def net_present_value(
    *, annual_net: Money, rate_percent: Decimal, years: int, implementation_cost: Money
) -> Money:
    """Σ over years 1..H of net / (1 + r)^y, less the implementation cost paid today."""
    growth = 1 + rate_percent / 100
    discounted = Money.total(
        (annual_net / growth**year for year in range(1, years + 1)), annual_net.currency
    )
    return discounted - implementation_cost


def fits(tier: TierInput, team_size: int) -> bool:
    return tier.seat_limit is None or tier.seat_limit >= team_size


def evaluate_tier(tier: TierInput, assumptions: Assumptions) -> TierResult:
    if tier.price is None:
        raise ValueError(f"{tier.name} has no price to evaluate.")
    return TierResult(
        tier=tier,
        fits=fits(tier, assumptions.team_size),
        time_value=time_value(
            team_size=assumptions.team_size,
            hours_per_person_week=tier.hours_saved_per_person_week,
            hourly_cost=assumptions.hourly_cost,
        ),
        error_value=error_value(
            errors_per_year=tier.errors_avoided_per_year,
            cost_per_error=assumptions.cost_per_error,
        ),
        annual_cost=annual_cost(tier.price, assumptions.cycle),
        horizon_years=assumptions.horizon_years,
        implementation_cost=assumptions.implementation_cost,
        discount_rate_percent=assumptions.discount_rate_percent,
        cycle=assumptions.cycle,
    )


def recommend(results: list[TierResult]) -> TierResult | None:
    """The highest net value among tiers that fit the team and pay back within the
    horizon (an implementation cost can keep a tier whose value a year exceeds its price
    from paying back in the years chosen); a tie goes to the cheaper tier, and a further
    tie to the one listed first. None when no tier does: then we recommend nothing
    rather than the least bad."""
    # Paying back at all means a value a year above the cost (TierResult.payback_exact).
    candidates = [r for r in results if r.fits and r.pays_back_within_horizon]
    if not candidates:
        return None
    return min(candidates, key=lambda r: (-r.annual_net.amount, r.annual_cost.amount))


def evaluate(assumptions: Assumptions, tiers: list[TierInput]) -> Outcome:
    priced = [tier for tier in tiers if tier.price is not None]
    results = [evaluate_tier(tier, assumptions) for tier in priced]
    return Outcome(
        results=results,
        unpriced=[tier for tier in tiers if tier.price is None],
        recommended=recommend(results),
    )


@dataclass(frozen=True)
class Point:
    month: int
    value: Money
    cost: Money

    @property
    def net(self) -> Money:
        return self.value - self.cost


def period_of(cycle: str, annual_cost):
    """A billing period's length in months and its price, from a year's price."""
    if cycle == BillingCycle.ANNUAL:
        return MONTHS_PER_YEAR, annual_cost
    return 1, annual_cost / MONTHS_PER_YEAR


def cumulative_points(result: TierResult, cycle: str) -> list[Point]:
    """Month by month over the horizon: value accrued so far against everything paid so
    far. The implementation cost and each period's price are paid at its start, so an
    annual price is paid in full at months 0, 12, 24…"""
    months = result.horizon_years * MONTHS_PER_YEAR
    period, price = period_of(cycle, result.annual_cost)
    points = []
    for month in range(months + 1):
        # Periods started by the end of this month (the last month starts none).
        periods = min(month // period + 1, months // period)
        points.append(
            Point(
                month=month,
                value=result.annual_value * month / MONTHS_PER_YEAR,
                cost=result.implementation_cost + price * periods,
            )
        )
    return points


@dataclass(frozen=True)
class MetricUsage:
    """A customer's usage of one metric in their last completed periods (oldest first),
    and the limit their license gives them on it today (None: unlimited)."""

    key: str
    name: str
    unit: str
    periods: tuple[int, ...]
    current_limit: int | None

    @property
    def peak(self) -> int:
        return max(self.periods, default=0)


def periods_over(periods: tuple[int, ...], limit: int | None) -> int:
    """How many periods' usage went above a limit (None: unlimited, never)."""
    return 0 if limit is None else sum(1 for used in periods if used > limit)


@dataclass(frozen=True)
class LimitOutlook:
    """One metric on one tier: how often the customer's own recent usage would have gone
    over that tier's limit, and how many of the periods they went over today's limit
    would have been inside it."""

    usage: MetricUsage
    limit: int | None
    over: int
    relieved: int

    @property
    def window(self) -> int:
        return len(self.usage.periods)


def limit_outlook(usage: MetricUsage, limits: dict[str, int | None]) -> LimitOutlook:
    """A metric the tier lacks altogether counts as a limit of 0, as in entitlements."""
    limit = limits.get(usage.key, 0)
    relieved = sum(
        1
        for used in usage.periods
        if usage.current_limit is not None
        and used > usage.current_limit
        and (limit is None or used <= limit)
    )
    return LimitOutlook(
        usage=usage, limit=limit, over=periods_over(usage.periods, limit), relieved=relieved
    )


@dataclass(frozen=True)
class TierOutlook:
    """What a tier would have meant for the customer's recent usage."""

    limits: list[LimitOutlook]

    @property
    def hits(self) -> list[LimitOutlook]:
        return [outlook for outlook in self.limits if outlook.over]

    @property
    def relief(self) -> list[LimitOutlook]:
        return [outlook for outlook in self.limits if outlook.relieved]


def tier_outlook(usage: list[MetricUsage], limits: dict[str, int | None]) -> TierOutlook:
    return TierOutlook([limit_outlook(metric, limits) for metric in usage])
