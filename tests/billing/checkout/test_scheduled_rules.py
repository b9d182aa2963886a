"""A scheduled change's rules: cancelled only while scheduled and with a reason, applied
from its first day and only once, moving only what differs. No database (make mutate
runs these)."""

from datetime import date

import pytest

from billing.checkout.changes import Moves, cancel_refusal, is_open, moves, too_early

APRIL_1 = date(2026, 4, 1)


@pytest.mark.parametrize(
    "status, label, reason, refusal",
    [
        ("scheduled", "Scheduled", "Changed our minds.", None),
        ("scheduled", "Scheduled", "  Trimmed.  ", None),
        ("scheduled", "Scheduled", "", "Say why; the reason is kept on record."),
        ("scheduled", "Scheduled", " \n\t", "Say why; the reason is kept on record."),
        ("canceled", "Canceled", "Again.", "This change is already canceled; nothing to cancel."),
        ("applied", "Applied", "", "This change is already applied; nothing to cancel."),
    ],
    ids=["a-reason", "a-padded-reason", "no-reason", "blank-reason", "canceled", "applied"],
)
def test_a_change_is_cancelled_only_while_scheduled_and_with_a_reason(
    status, label, reason, refusal
):
    assert cancel_refusal(status=status, status_label=label, reason=reason) == refusal


@pytest.mark.parametrize(
    "status, open_",
    [("scheduled", True), ("canceled", False), ("applied", False)],
    ids=["scheduled", "canceled", "applied"],
)
def test_only_a_scheduled_change_is_applied(status, open_):
    assert is_open(status) is open_


@pytest.mark.parametrize(
    "today, refusal",
    [
        (date(2026, 3, 31), "This change takes effect on 1 April 2026, not before."),
        (APRIL_1, None),
        (date(2026, 4, 2), None),
    ],
    ids=["the-day-before", "its-first-day", "a-day-late"],
)
def test_a_change_is_applied_from_its_first_day(today, refusal):
    assert too_early(effective_on=APRIL_1, today=today) == refusal


@pytest.mark.parametrize(
    "now, scheduled, expected",
    [
        ((7, 12, "monthly", True), (7, 12, "monthly", True), Moves(False, False, False, False)),
        ((7, 12, "monthly", True), (8, 12, "monthly", True), Moves(True, False, True, False)),
        ((7, 12, "monthly", True), (7, 8, "monthly", True), Moves(False, True, False, False)),
        ((7, 12, "monthly", True), (7, 12, "annual", True), Moves(False, False, True, False)),
        ((7, 12, "monthly", True), (7, 12, "monthly", False), Moves(False, False, False, True)),
        ((7, 12, "annual", False), (7, 12, "annual", True), Moves(False, False, False, True)),
        ((7, 12, "annual", True), (8, 8, "monthly", False), Moves(True, True, True, True)),
        ((7, 12, "annual", False), (8, 12, "annual", False), Moves(True, False, True, False)),
    ],
    ids=[
        "nothing",
        "version",
        "seats",
        "cycle",
        "renewal-off",
        "renewal-on",
        "everything",
        "version-same-cycle",
    ],
)
def test_applying_moves_only_what_differs_and_a_new_version_or_cycle_locks_a_new_price(
    now, scheduled, expected
):
    version, seats, cycle, auto_renew = now
    to_version, to_seats, to_cycle, to_auto_renew = scheduled
    assert (
        moves(
            version=version,
            seats=seats,
            cycle=cycle,
            auto_renew=auto_renew,
            to_version=to_version,
            to_seats=to_seats,
            to_cycle=to_cycle,
            to_auto_renew=to_auto_renew,
        )
        == expected
    )
