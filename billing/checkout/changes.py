"""The rules of a scheduled change, pure (billing.checkout.scheduled does the writes):
who may cancel it and when, when it may be applied, and what applying it moves. `make
mutate` mutates this module against its fast tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from billing.models import ScheduledChangeStatus


@dataclass(frozen=True)
class Moves:
    """What applying a scheduled change does to the license and its subscription."""

    version: bool  # onto the scheduled tier version
    seats: bool  # to the scheduled number of seats
    price: bool  # a new locked price: a new version, or another billing cycle
    auto_renew: bool  # renewal turned on or off


def cancel_refusal(*, status: str, status_label: str, reason: str) -> str | None:
    """Why the change cannot be cancelled with `reason`, or None when it can."""
    if status != ScheduledChangeStatus.SCHEDULED:
        return f"This change is already {status_label.lower()}; nothing to cancel."
    if not reason.strip():
        return "Say why; the reason is kept on record."
    return None


def is_open(status: str) -> bool:
    """Only a change still scheduled is applied; applying it again does nothing."""
    return status == ScheduledChangeStatus.SCHEDULED


def too_early(*, effective_on: date, today: date) -> str | None:
    """Why the change cannot be applied `today`, or None once it is due."""
    if effective_on > today:
        return f"This change takes effect on {effective_on.isoformat()}, not before."
    return None


def moves(
    *,
    version: int,
    seats: int,
    cycle: str,
    auto_renew: bool,
    to_version: int,
    to_seats: int,
    to_cycle: str,
    to_auto_renew: bool,
) -> Moves:
    """What changes, from the license's version id, seats and renewal and the
    subscription's cycle today to the scheduled ones."""
    new_version = version != to_version
    return Moves(
        version=new_version,
        seats=seats != to_seats,
        price=new_version or cycle != to_cycle,
        auto_renew=auto_renew != to_auto_renew,
    )
