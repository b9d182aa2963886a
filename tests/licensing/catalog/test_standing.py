"""The moves the pricing page names from a customer's plan: upgrade and downgrade by the
tier's order, a switch for another tier alongside or the other billing cycle, the plan
itself. Tables of cases; no database (make mutate runs these)."""

import pytest

from billing.pricing import BillingCycle
from licensing.catalog.standing import (
    CURRENT,
    DOWNGRADE,
    SWITCH,
    UPGRADE,
    CurrentPlan,
    Move,
    plan_move,
)

TEAM_MONTHLY = CurrentPlan(
    organization_slug="northwind",
    organization_name="Northwind",
    product_id=1,
    tier_slug="team",
    tier_name="Team",
    tier_order=2,
    cycle="monthly",
    seats=5,
)

# (tier slug, name, order, cycle shown) -> the move from Team, monthly.
# fmt: off
MOVES = {
    "a higher tier": (("business", "Business", 3, "monthly"), Move(UPGRADE, "Upgrade to Business")),
    "a higher tier, other billing": (
        ("business", "Business", 3, "annual"), Move(UPGRADE, "Upgrade to Business"),
    ),
    "a lower tier": (("starter", "Starter", 1, "monthly"), Move(DOWNGRADE, "Downgrade to Starter")),
    "a lower tier, other billing": (
        ("starter", "Starter", 1, "annual"), Move(DOWNGRADE, "Downgrade to Starter"),
    ),
    "the plan": (("team", "Team", 2, "monthly"), Move(CURRENT, "Manage your plan")),
    "the plan's tier, annual": (
        ("team", "Team", 2, "annual"), Move(SWITCH, "Switch to annual billing"),
    ),
    "a tier ordered alongside": (("squad", "Squad", 2, "monthly"), Move(SWITCH, "Switch to Squad")),
}
# fmt: on


@pytest.mark.parametrize(("tier", "expected"), MOVES.values(), ids=MOVES)
def test_it_names_each_tier_from_the_plan(tier, expected):
    slug, name, order, cycle = tier
    move = plan_move(
        TEAM_MONTHLY,
        tier_slug=slug,
        tier_name=name,
        tier_order=order,
        cycle=cycle,
        cycle_label=BillingCycle(cycle).label,
    )
    assert move == expected


def test_a_plan_billed_by_no_subscription_is_current_in_either_cycle():
    plan = CurrentPlan(**{**TEAM_MONTHLY.__dict__, "cycle": ""})
    for cycle in BillingCycle.values:
        move = plan_move(
            plan, tier_slug="team", tier_name="Team", tier_order=2, cycle=cycle, cycle_label=""
        )
        assert move.kind == CURRENT
