"""The downgrade continuity check: before a customer confirms a lower tier or fewer seats,
what of theirs exceeds the new plan, from real data, and what will happen to each. The
rule is licensing.licenses.downgrade (pure); this module loads the figures for it.
"""

from __future__ import annotations

import copy
from datetime import datetime

from licensing.licenses.downgrade import ContinuityCheck, Usage, find_excesses
from licensing.licenses.entitlements import license_entitlements
from licensing.licenses.grants import Entitlements
from licensing.models import License, TierVersion
from licensing.usage.services import license_meters


def entitlements_on(*, license: License, version: TierVersion, at: datetime) -> Entitlements:
    """What `license` would be entitled to on `version`, with its add-ons and overrides."""
    moved = copy.copy(license)
    moved.version = version
    return license_entitlements(license=moved, at=at)


def continuity_check(
    *, license: License, version: TierVersion, seats: int, at: datetime
) -> ContinuityCheck:
    """What exceeds `version` with `seats` seats, of what `license` has and uses at `at`."""
    current = license_entitlements(license=license, at=at)
    return find_excesses(
        current=current,
        target=entitlements_on(license=license, version=version, at=at),
        seats=seats,
        active_machines=license.machines.active().count(),
        usage=[
            Usage(meter.grant.metric, meter.state.used)
            for meter in license_meters(license=license, at=at, entitlements=current)
        ],
    )
