"""What of a customer's exceeds a lower plan, and what will happen to each, from plain
values: the pure part of the continuity check (licensing.licenses.continuity loads the
figures). `make mutate` mutates this module against its fast tests.

Nothing is deleted by a downgrade. What exceeds is kept and becomes read-only: machines
stay activated (new activations beyond the limit are refused), usage already recorded
stays, and usage over a limit counts against the grace allowance and is then refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from licensing.catalog.diff import quantity
from licensing.licenses.grants import SEATS, Entitlements, MetricInfo


@dataclass(frozen=True)
class Excess:
    """One thing the organization has or uses beyond the new plan."""

    what: str
    now: str  # what they have or use today
    allowed: str  # what the new plan allows
    outcome: str  # what will happen, in words


@dataclass(frozen=True)
class ContinuityCheck:
    excesses: list[Excess]
    features_lost: list[str]
    checked: list[str]  # everything looked at, for "everything else fits"

    @property
    def fits(self) -> bool:
        return not self.excesses and not self.features_lost


@dataclass(frozen=True)
class Usage:
    """A meter's figure today: this period's count, or the level of a metric that never
    resets."""

    metric: MetricInfo
    used: int


def _machines_excess(active: int, allowed: int | None) -> Excess | None:
    if allowed is None or active <= allowed:
        return None
    return Excess(
        what="Active machines",
        now=f"{active} active",
        allowed=f"{allowed} on the new plan",
        outcome=f"All {active} stay activated and keep working. New activations are "
        f"refused until fewer than {allowed} are active.",
    )


def _usage_excess(usage: Usage, target: Entitlements, seats: int) -> Excess | None:
    metric, used = usage.metric, usage.used
    allowed = target.seats_allowed(seats) if metric.key == SEATS else target.limit(metric.key)
    if allowed is None or used <= allowed:
        return None
    if metric.key == SEATS:
        outcome = (
            f"Nobody loses access. Your software will report {used} seats against "
            f"{allowed}, and new seats are refused until the count is under it."
        )
    elif metric.is_level:
        # A level (projects, storage) does not start again each period: it goes down
        # only when less is in use.
        outcome = (
            "Nothing recorded is removed. What is over the new limit counts against "
            "the grace allowance, then more is refused until less is in use."
        )
    else:
        outcome = (
            "Nothing recorded is removed. Usage over the new limit counts against "
            "the grace allowance, then new usage is refused until the next period."
        )
    when = "in use" if metric.is_level else "this period"
    return Excess(
        what=metric.name,
        now=f"{quantity(used, metric.unit)} {when}",
        allowed=quantity(allowed, metric.unit),
        outcome=outcome,
    )


def find_excesses(
    *,
    current: Entitlements,
    target: Entitlements,
    seats: int,
    active_machines: int,
    usage: list[Usage],
) -> ContinuityCheck:
    """What exceeds `target` with `seats` seats, of what is entitled today (`current`),
    the machines active and each meter's usage."""
    machines = _machines_excess(active_machines, target.machine_limit(seats))
    excesses = [] if machines is None else [machines]
    checked = ["seats", "active machines"]
    for meter in usage:
        checked.append(meter.metric.name.lower())
        excess = _usage_excess(meter, target, seats)
        if excess is not None:
            excesses.append(excess)
    lost = [
        grant.feature.name for key, grant in current.features.items() if key not in target.features
    ]
    return ContinuityCheck(excesses=excesses, features_lost=sorted(lost), checked=checked)
