"""The downgrade continuity check: before a customer confirms a lower tier or fewer seats,
what of theirs exceeds the new plan, from real data, and what will happen to each.

Nothing is deleted by a downgrade. What exceeds is kept and becomes read-only: machines
stay activated (new activations beyond the limit are refused), usage already recorded
stays, and usage over a limit counts against the grace allowance and is then refused.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime

from django.contrib.humanize.templatetags.humanize import intcomma

from licensing.licenses.entitlements import Entitlements, license_entitlements
from licensing.licenses.services import machine_limit
from licensing.models import License, TierVersion
from licensing.usage.services import license_meters

SEATS = "seats"
MACHINES = "machines"


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


def entitlements_on(*, license: License, version: TierVersion, at: datetime) -> Entitlements:
    """What `license` would be entitled to on `version`, with its add-ons and overrides."""
    moved = copy.copy(license)
    moved.version = version
    return license_entitlements(license=moved, at=at)


def _limit_text(value: int | None, unit: str) -> str:
    return "no limit" if value is None else f"{intcomma(value)} {unit}"


def continuity_check(
    *, license: License, version: TierVersion, seats: int, at: datetime
) -> ContinuityCheck:
    """What exceeds `version` with `seats` seats, of what `license` has and uses at `at`."""
    current = license_entitlements(license=license, at=at)
    target = entitlements_on(license=license, version=version, at=at)
    excesses: list[Excess] = []
    checked = ["seats", "active machines"]

    active = license.machines.active().count()
    moved = copy.copy(license)
    moved.seats = seats
    machines_allowed = machine_limit(moved, entitlements=target)
    if machines_allowed is not None and active > machines_allowed:
        excesses.append(
            Excess(
                what="Active machines",
                now=f"{active} active",
                allowed=f"{machines_allowed} on the new plan",
                outcome=f"All {active} stay activated and keep working. New activations are "
                f"refused until fewer than {machines_allowed} are active.",
            )
        )
    for meter in license_meters(license=license, at=at, entitlements=current):
        grant = target.limits.get(meter.key)
        allowed = grant.value if grant else 0
        used = meter.state.used
        checked.append(meter.grant.metric.name.lower())
        if meter.key == SEATS:
            allowed = seats if allowed is None else min(seats, allowed)
        if allowed is not None and used > allowed:
            unit = meter.grant.metric.unit
            if meter.key == SEATS:
                outcome = (
                    f"Nobody loses access. Your software will report {used} seats against "
                    f"{allowed}, and new seats are refused until the count is under it."
                )
            else:
                outcome = (
                    "Nothing recorded is removed. Usage over the new limit counts against "
                    "the grace allowance, then new usage is refused until the next period."
                )
            when = "in use" if meter.grant.metric.is_level else "this period"
            excesses.append(
                Excess(
                    what=meter.grant.metric.name,
                    now=f"{intcomma(used)} {unit} {when}",
                    allowed=_limit_text(allowed, unit),
                    outcome=outcome,
                )
            )
    lost = [
        grant.feature.name for key, grant in current.features.items() if key not in target.features
    ]
    return ContinuityCheck(excesses=excesses, features_lost=sorted(lost), checked=checked)
