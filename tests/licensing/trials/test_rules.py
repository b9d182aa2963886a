"""The trial rules (licensing.trials.rules): why a start is refused, the reminder leads
of a trial's length, which lead is due, and the days left. Pure: known cases, then the
properties over every input."""

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from licensing.trials.rules import (
    OpenLicense,
    days_left,
    last_day,
    length_days,
    reminder_lead,
    reminder_leads,
    start_refusal,
    trial_seats,
)

TEAM = OpenLicense(tier_order=2, usable=True, trial_running=False)


def refusal(**changes):
    values = {
        "tier_name": "Business",
        "trial_days": 14,
        "tier_order": 3,
        "already_tried": False,
        "current": None,
    } | changes
    return start_refusal(**values)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param({}, None, id="new-organization-may"),
        pytest.param({"current": TEAM}, None, id="paying-for-a-lower-tier-may"),
        pytest.param({"trial_days": None}, "Business has no trial.", id="no-trial"),
        pytest.param({"trial_days": 0}, "Business has no trial.", id="zero-days-no-trial"),
        pytest.param({"trial_days": 1}, None, id="one-day-trial"),
        pytest.param(
            {"already_tried": True},
            "Your organization has already tried Business: each tier is tried once.",
            id="tried-once",
        ),
        pytest.param(
            {"current": OpenLicense(tier_order=2, usable=False, trial_running=False)},
            "Your license is not in use (suspended, canceled or expired): it cannot run a trial.",
            id="license-not-usable",
        ),
        pytest.param(
            {"current": OpenLicense(tier_order=2, usable=True, trial_running=True)},
            "A trial is already running on your license: end it before starting another.",
            id="one-running-per-license",
        ),
        pytest.param(
            {"current": OpenLicense(tier_order=3, usable=True, trial_running=False)},
            "Your plan already includes what Business offers: a trial is of a higher tier.",
            id="same-tier",
        ),
        pytest.param(
            {"current": OpenLicense(tier_order=4, usable=True, trial_running=False)},
            "Your plan already includes what Business offers: a trial is of a higher tier.",
            id="lower-tier",
        ),
        pytest.param(
            {
                "current": OpenLicense(tier_order=3, usable=True, trial_running=False),
                "tier_order": 4,
            },
            None,
            id="one-above",
        ),
        pytest.param(
            {"trial_days": None, "already_tried": True},
            "Business has no trial.",
            id="no-trial-said-first",
        ),
        pytest.param(
            {"already_tried": True, "current": OpenLicense(2, False, True)},
            "Your organization has already tried Business: each tier is tried once.",
            id="tried-said-before-the-license",
        ),
        pytest.param(
            {"current": OpenLicense(5, False, True)},
            "Your license is not in use (suspended, canceled or expired): it cannot run a trial.",
            id="unusable-said-before-running",
        ),
        pytest.param(
            {"current": OpenLicense(5, True, True)},
            "A trial is already running on your license: end it before starting another.",
            id="running-said-before-the-order",
        ),
    ],
)
def test_why_a_start_is_refused(changes, expected):
    assert refusal(**changes) == expected


@pytest.mark.parametrize(
    ("days", "leads"),
    [
        (1, ()),
        (2, (1,)),
        (3, (1,)),
        (4, (2, 1)),
        (5, (2, 1)),
        (6, (3, 1)),
        (7, (3, 1)),
        (8, (7, 1)),
        (14, (7, 1)),
        (30, (7, 1)),
    ],
)
def test_the_reminder_leads_of_a_length(days, leads):
    assert reminder_leads(days) == leads


@given(st.integers(min_value=1, max_value=400))
def test_leads_are_inside_the_trial_each_once_largest_first(days):
    leads = reminder_leads(days)
    assert all(0 < lead < days for lead in leads)
    assert list(leads) == sorted(set(leads), reverse=True)
    if days > 1:
        assert 1 in leads  # the last day is always reminded of


@pytest.mark.parametrize(
    ("left", "leads", "sent", "expected"),
    [
        pytest.param(8, (7, 1), [], None, id="before-the-first"),
        pytest.param(7, (7, 1), [], 7, id="the-7"),
        pytest.param(5, (7, 1), [], 7, id="late-still-the-7"),
        pytest.param(5, (7, 1), [7], None, id="the-7-sent"),
        pytest.param(2, (7, 1), [7], None, id="a-day-before-the-1"),
        pytest.param(1, (7, 1), [7], 1, id="the-1"),
        pytest.param(1, (7, 1), [], 1, id="never-told-only-the-nearest"),
        pytest.param(1, (7, 1), [7, 1], None, id="all-sent"),
        pytest.param(3, (7, 1), [1], None, id="never-a-larger-after-a-smaller"),
        pytest.param(0, (7, 1), [], None, id="over"),
        pytest.param(-1, (7, 1), [], None, id="past"),
        pytest.param(1, (), [], None, id="no-leads"),
    ],
)
def test_the_lead_due_today(left, leads, sent, expected):
    assert reminder_lead(days_left=left, leads=leads, sent=sent) == expected


@given(
    st.integers(min_value=-5, max_value=40),
    st.lists(st.integers(min_value=1, max_value=30), max_size=4),
    st.lists(st.integers(min_value=1, max_value=30), max_size=4),
)
def test_a_lead_due_is_never_sent_nor_above_one_sent(left, leads, sent):
    lead = reminder_lead(days_left=left, leads=leads, sent=sent)
    if lead is not None:
        assert lead in leads and lead >= left > 0
        assert lead not in sent and all(lead < old for old in sent)


MIDNIGHT = datetime(2026, 3, 28, tzinfo=UTC)


@pytest.mark.parametrize(
    ("ends_at", "today", "expected_last", "expected_left"),
    [
        (MIDNIGHT, date(2026, 3, 27), date(2026, 3, 27), 1),
        (MIDNIGHT, date(2026, 3, 28), date(2026, 3, 27), 0),
        (MIDNIGHT, date(2026, 3, 29), date(2026, 3, 27), 0),
        (MIDNIGHT, date(2026, 3, 14), date(2026, 3, 27), 14),
        (MIDNIGHT, date(2026, 3, 21), date(2026, 3, 27), 7),
        (MIDNIGHT + timedelta(hours=9, minutes=30), date(2026, 3, 28), date(2026, 3, 28), 1),
        (MIDNIGHT + timedelta(microseconds=1), date(2026, 3, 27), date(2026, 3, 28), 2),
    ],
)
def test_last_day_and_days_left(ends_at, today, expected_last, expected_left):
    assert last_day(ends_at) == expected_last
    assert days_left(ends_at=ends_at, today=today) == expected_left


def test_the_length_counts_the_first_and_last_day():
    assert length_days(starts_on=date(2026, 3, 14), ends_at=MIDNIGHT) == 14
    assert length_days(starts_on=date(2026, 3, 27), ends_at=MIDNIGHT) == 1


@given(st.integers(min_value=1, max_value=90), st.integers(min_value=-10, max_value=100))
def test_days_left_counts_down_to_zero(length, elapsed):
    start = date(2026, 1, 1)
    ends_at = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=length)
    left = days_left(ends_at=ends_at, today=start + timedelta(days=elapsed))
    assert left == max(0, length - elapsed)
    assert length_days(starts_on=start, ends_at=ends_at) == length


@given(
    st.one_of(st.none(), st.integers(min_value=0, max_value=90)),
    st.booleans(),
    st.integers(min_value=0, max_value=5),
    st.one_of(
        st.none(),
        st.builds(OpenLicense, st.integers(min_value=0, max_value=5), st.booleans(), st.booleans()),
    ),
)
def test_a_start_is_allowed_exactly_when_every_rule_holds(days, tried, order, current):
    allowed = refusal(trial_days=days, already_tried=tried, tier_order=order, current=current)
    holds = bool(days) and not tried
    if current is not None:
        holds = holds and current.usable and not current.trial_running
        holds = holds and order > current.tier_order
    assert (allowed is None) == holds


@pytest.mark.parametrize(
    ("min_billed", "allowed", "expected"),
    [
        (1, None, 5),  # sold by the seat from one: the usual five
        (5, None, 5),
        (6, None, 6),  # sold from more: at least what the purchase will bill
        (10, 50, 10),
        (25, None, 25),
        (10, 8, 8),  # never more than the tier allows
        (1, 3, 3),
        (1, 5, 5),
    ],
)
def test_a_trial_licenses_seats(min_billed, allowed, expected):
    assert trial_seats(min_billed=min_billed, allowed=allowed) == expected
