"""Where a signed-in customer stands on the pricing page: their organization's plan of
each product, and what choosing each other tier would be for them. Pure (no ORM): the
view reads the plans, this names the moves, the template says them.

A move is named by the tier's order first and then the billing cycle:
- a tier ordered higher than the plan's is an upgrade, lower a downgrade (whatever the
  cycle shown: the cycle is the smaller change), another ordered alongside a switch;
- the plan's own tier is the current plan in the plan's cycle, and a switch of billing
  in the other.
"""

from __future__ import annotations

from dataclasses import dataclass

CURRENT = "current"
UPGRADE = "upgrade"
SWITCH = "switch"
DOWNGRADE = "downgrade"


@dataclass(frozen=True)
class CurrentPlan:
    """An organization's plan of one product, as the pricing page marks it."""

    organization_slug: str
    organization_name: str
    product_id: int
    tier_slug: str
    tier_name: str
    tier_order: int
    cycle: str  # "" when the license is billed by no subscription (any cycle is its own)
    seats: int
    # The tiers (slugs) the organization may start a trial of now: the pricing page
    # offers "Try <tier> free" on those (the rule is licensing.trials.rules).
    trial_tiers: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Move:
    kind: str  # current, upgrade, switch or downgrade
    label: str  # the button's words


def plan_move(
    plan: CurrentPlan,
    *,
    tier_slug: str,
    tier_name: str,
    tier_order: int,
    cycle: str,
    cycle_label: str,
) -> Move:
    """What choosing the tier billed per `cycle` is from `plan`, and the words for it:
    "Upgrade to Business", "Switch to annual billing", "Downgrade to Starter"."""
    if tier_order > plan.tier_order:
        return Move(UPGRADE, f"Upgrade to {tier_name}")
    if tier_order < plan.tier_order:
        return Move(DOWNGRADE, f"Downgrade to {tier_name}")
    if tier_slug != plan.tier_slug:  # another tier ordered alongside
        return Move(SWITCH, f"Switch to {tier_name}")
    if plan.cycle and cycle != plan.cycle:
        return Move(SWITCH, f"Switch to {cycle_label.lower()} billing")
    return Move(CURRENT, "Manage your plan")
