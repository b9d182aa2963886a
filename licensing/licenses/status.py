"""The rules of a license's status, pure: which status may follow which, and where a
license goes when its last hold is lifted.

A hold suspends a license for one reason, owned by its source: staff (admin), dunning
(an unpaid invoice) or, later, a trial. Holds stack: the license stays suspended while any
source still holds it, and lifting one source's hold never lifts another's. Every status
change goes through `check_transition`; suspension only through a hold.
"""

from __future__ import annotations

from licensing.models.licenses import HoldSource, LicenseStatus

ACTIVE, TRIALING, PAST_DUE = LicenseStatus.ACTIVE, LicenseStatus.TRIALING, LicenseStatus.PAST_DUE
SUSPENDED, CANCELED, EXPIRED = (
    LicenseStatus.SUSPENDED,
    LicenseStatus.CANCELED,
    LicenseStatus.EXPIRED,
)

# status → the statuses it may move to. Canceled is reversible by staff (a revocation
# undone, back to what it was, suspended if holds are still in place); expired is left
# by a renewal.
ALLOWED: dict[str, frozenset[str]] = {
    TRIALING: frozenset({ACTIVE, PAST_DUE, SUSPENDED, CANCELED, EXPIRED}),
    ACTIVE: frozenset({PAST_DUE, SUSPENDED, CANCELED, EXPIRED}),
    PAST_DUE: frozenset({ACTIVE, SUSPENDED, CANCELED, EXPIRED}),
    SUSPENDED: frozenset({ACTIVE, TRIALING, CANCELED, EXPIRED}),
    CANCELED: frozenset({ACTIVE, TRIALING, PAST_DUE, SUSPENDED}),
    EXPIRED: frozenset({ACTIVE}),
}

# A hold can be placed on a license that may run; a closed one has nothing to hold.
HOLDABLE = frozenset({TRIALING, ACTIVE, PAST_DUE, SUSPENDED})


class StatusError(ValueError):
    """A status change the rules do not allow; the message says why, for a person."""


def _label(status: str) -> str:
    return LicenseStatus(status).label.lower()


def check_transition(current: str, new: str, *, holds: frozenset[str] = frozenset()) -> None:
    """Refuse a move from `current` to `new` that the rules do not allow. `holds` are the
    sources still holding the license: none may be bypassed by a plain status change."""
    if new not in LicenseStatus.values:
        raise StatusError(f"{new!r} is not a license status.")
    if new == current:
        raise StatusError(f"The license is already {_label(current)}.")
    if new not in ALLOWED[current]:
        raise StatusError(f"A license cannot go from {_label(current)} to {_label(new)}.")
    if holds and new not in (SUSPENDED, CANCELED, EXPIRED):
        # Whatever the license is now (suspended, or canceled or expired while held),
        # it runs again only once every source has lifted its hold.
        sources = ", ".join(sorted(HoldSource(source).label.lower() for source in holds))
        raise StatusError(f"The license is on hold ({sources}); lift the hold first.")


def check_hold(current: str, source: str, *, holds: frozenset[str]) -> None:
    """Refuse a hold on a closed license, or a second hold of one source."""
    if source not in HoldSource.values:
        raise StatusError(f"{source!r} is not a hold source.")
    if current not in HOLDABLE:
        raise StatusError(f"A {_label(current)} license cannot be put on hold.")
    if source in holds:
        raise StatusError(f"The license is already on hold ({HoldSource(source).label.lower()}).")


def status_after_release(*, remaining: frozenset[str], held_from: str) -> str | None:
    """Where a license goes once one hold is lifted: nowhere while another source still
    holds it (None); after the last one, back to active, or to trialing for a trial
    license (a hold never turns a trial into a paid license)."""
    if remaining:
        return None
    return TRIALING if held_from == TRIALING else ACTIVE
