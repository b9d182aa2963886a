"""The status rules (licensing.licenses.status), pure: the transitions map, holds, and
where a license goes when its last hold is lifted."""

import pytest

from licensing.licenses.status import (
    ALLOWED,
    StatusError,
    check_hold,
    check_transition,
    status_after_release,
)
from licensing.models import HoldSource, LicenseStatus

S = LicenseStatus
EVERY = list(S.values)

# (from, to) pairs the product allows: every other move is refused.
ALLOWED_MOVES = {
    (S.TRIALING, S.ACTIVE), (S.TRIALING, S.PAST_DUE), (S.TRIALING, S.SUSPENDED),
    (S.TRIALING, S.CANCELED), (S.TRIALING, S.EXPIRED),
    (S.ACTIVE, S.PAST_DUE), (S.ACTIVE, S.SUSPENDED), (S.ACTIVE, S.CANCELED),
    (S.ACTIVE, S.EXPIRED),
    (S.PAST_DUE, S.ACTIVE), (S.PAST_DUE, S.SUSPENDED), (S.PAST_DUE, S.CANCELED),
    (S.PAST_DUE, S.EXPIRED),
    (S.SUSPENDED, S.ACTIVE), (S.SUSPENDED, S.TRIALING), (S.SUSPENDED, S.CANCELED),
    (S.SUSPENDED, S.EXPIRED),
    (S.CANCELED, S.ACTIVE), (S.CANCELED, S.TRIALING), (S.CANCELED, S.PAST_DUE),
    (S.CANCELED, S.SUSPENDED),
    (S.EXPIRED, S.ACTIVE),
}  # fmt: skip


@pytest.mark.parametrize("current", EVERY)
@pytest.mark.parametrize("new", EVERY)
def test_every_move_is_allowed_or_refused_by_the_map(current, new):
    if (current, new) in ALLOWED_MOVES:
        check_transition(current, new)
    else:
        with pytest.raises(StatusError):
            check_transition(current, new)


def test_the_map_names_every_status():
    assert set(ALLOWED) == set(EVERY)


def test_the_refusals_say_why():
    with pytest.raises(StatusError, match=r"^The license is already active.$"):
        check_transition(S.ACTIVE, S.ACTIVE)
    with pytest.raises(StatusError, match=r"^A license cannot go from expired to past due.$"):
        check_transition(S.EXPIRED, S.PAST_DUE)
    with pytest.raises(StatusError, match=r"^'frozen' is not a license status.$"):
        check_transition(S.ACTIVE, "frozen")


def test_a_held_license_leaves_suspension_only_by_closing():
    holds = frozenset({HoldSource.DUNNING, HoldSource.ADMIN})
    message = r"^The license is on hold \(dunning, staff\); lift the hold first.$"
    with pytest.raises(StatusError, match=message):
        check_transition(S.SUSPENDED, S.ACTIVE, holds=holds)
    with pytest.raises(StatusError, match="lift the hold first"):
        check_transition(S.SUSPENDED, S.TRIALING, holds=frozenset({HoldSource.TRIAL}))
    check_transition(S.SUSPENDED, S.CANCELED, holds=holds)
    check_transition(S.SUSPENDED, S.EXPIRED, holds=holds)
    check_transition(S.SUSPENDED, S.ACTIVE, holds=frozenset())
    # Canceled or expired while held, it still runs only once the holds are lifted.
    for current, new in [(S.CANCELED, S.ACTIVE), (S.CANCELED, S.TRIALING),
                         (S.CANCELED, S.PAST_DUE), (S.EXPIRED, S.ACTIVE)]:  # fmt: skip
        with pytest.raises(StatusError, match="lift the hold first"):
            check_transition(current, new, holds=holds)
    check_transition(S.CANCELED, S.SUSPENDED, holds=holds)
    check_transition(S.CANCELED, S.ACTIVE, holds=frozenset())


@pytest.mark.parametrize("current", [S.TRIALING, S.ACTIVE, S.PAST_DUE, S.SUSPENDED])
def test_a_license_that_may_run_can_be_held(current):
    check_hold(current, HoldSource.ADMIN, holds=frozenset({HoldSource.DUNNING}))


@pytest.mark.parametrize("current", [S.CANCELED, S.EXPIRED])
def test_a_closed_license_cannot_be_held(current):
    with pytest.raises(StatusError, match=r"license cannot be put on hold.$"):
        check_hold(current, HoldSource.ADMIN, holds=frozenset())


def test_one_source_holds_once_and_only_known_sources_hold():
    with pytest.raises(StatusError, match=r"^The license is already on hold \(dunning\).$"):
        check_hold(S.SUSPENDED, HoldSource.DUNNING, holds=frozenset({HoldSource.DUNNING}))
    with pytest.raises(StatusError, match=r"^'bank' is not a hold source.$"):
        check_hold(S.ACTIVE, "bank", holds=frozenset())


@pytest.mark.parametrize(
    ("remaining", "held_from", "after"),
    [
        (frozenset(), S.ACTIVE, S.ACTIVE),
        (frozenset(), S.PAST_DUE, S.ACTIVE),
        (frozenset(), S.TRIALING, S.TRIALING),
        (frozenset({HoldSource.ADMIN}), S.ACTIVE, None),
        (frozenset({HoldSource.DUNNING}), S.TRIALING, None),
    ],
)
def test_lifting_the_last_hold_returns_to_active_or_the_trial(remaining, held_from, after):
    assert status_after_release(remaining=remaining, held_from=held_from) == after
