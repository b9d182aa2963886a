"""The reminder rule (billing.renewals.reminders): which lead time a run reminds at, the
backfill when the lead times change, and when a price rise is told. Pure: known cases,
then the properties over every input."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.renewals.reminders import lead_times, price_notice_due, reminder_lead

ANNUAL = [90, 30, 7]
TABLE = {"annual": [90, 30, 7], "monthly": [7]}


@pytest.mark.parametrize(
    ("days_left", "leads", "sent", "expected"),
    [
        pytest.param(91, ANNUAL, [], None, id="before-the-first-window"),
        pytest.param(90, ANNUAL, [], 90, id="on-the-first-lead-day"),
        pytest.param(89, ANNUAL, [], 90, id="a-day-late-still-the-90"),
        pytest.param(89, ANNUAL, [90], None, id="the-90-sent-nothing-until-30"),
        pytest.param(31, ANNUAL, [90], None, id="a-day-before-the-30"),
        pytest.param(30, ANNUAL, [90], 30, id="the-30"),
        pytest.param(25, ANNUAL, [], 30, id="never-told-only-the-nearest-lead"),
        pytest.param(25, ANNUAL, [30], None, id="the-30-sent-the-90-never-after-it"),
        pytest.param(7, ANNUAL, [90, 30], 7, id="the-7"),
        pytest.param(7, ANNUAL, [90, 30, 7], None, id="all-sent"),
        pytest.param(1, ANNUAL, [], 7, id="the-day-before-still-reminded"),
        pytest.param(0, ANNUAL, [], None, id="renewal-day-no-reminder"),
        pytest.param(-3, ANNUAL, [], None, id="renewal-past-no-reminder"),
        pytest.param(8, [15], [], 15, id="window-moved-5-to-15-backfills"),
        pytest.param(8, [5], [], None, id="window-of-5-not-yet"),
        pytest.param(3, [15], [5], None, id="a-smaller-lead-sent-earlier-covers-it"),
        pytest.param(7, [7], [], 7, id="monthly-7"),
        pytest.param(8, [7], [], None, id="monthly-8-days-left"),
        pytest.param(5, [], [], None, id="no-lead-times"),
    ],
)
def test_the_lead_a_run_reminds_at(days_left, leads, sent, expected):
    assert reminder_lead(days_left=days_left, leads=leads, sent=sent) == expected


@pytest.mark.parametrize(
    ("cycle", "term_cycles", "expected"),
    [
        pytest.param("annual", 1, [90, 30, 7], id="annual"),
        pytest.param("annual", 3, [90, 30, 7], id="three-years"),
        pytest.param("monthly", 1, [7], id="monthly"),
        pytest.param("monthly", 11, [7], id="eleven-months"),
        pytest.param("monthly", 12, [90, 30, 7], id="twelve-months-is-a-year"),
    ],
)
def test_the_lead_times_of_a_term(cycle, term_cycles, expected):
    assert lead_times(cycle=cycle, term_cycles=term_cycles, table=TABLE) == expected


def test_lead_times_are_each_once_largest_first():
    table = {"annual": [7, 30, 7, 90], "monthly": []}
    assert lead_times(cycle="annual", term_cycles=1, table=table) == [90, 30, 7]
    assert lead_times(cycle="monthly", term_cycles=1, table=table) == []
    assert lead_times(cycle="monthly", term_cycles=0, table=TABLE) == [7]


@pytest.mark.parametrize(
    ("rises", "told", "days_left", "term_days", "leads", "expected"),
    [
        pytest.param(True, False, 90, 365, ANNUAL, True, id="annual-90-days-ahead"),
        pytest.param(True, False, 91, 365, ANNUAL, False, id="annual-91-not-yet"),
        pytest.param(True, False, 40, 365, ANNUAL, True, id="annual-late-still-told"),
        pytest.param(True, True, 40, 365, ANNUAL, False, id="told-once"),
        pytest.param(False, False, 90, 365, ANNUAL, False, id="no-rise"),
        pytest.param(True, False, 8, 31, [7], False, id="monthly-before-the-first-reminder"),
        pytest.param(True, False, 7, 31, [7], True, id="monthly-at-the-first-reminder"),
        pytest.param(True, False, 3, 31, [7], True, id="monthly-after-it"),
        pytest.param(True, False, 0, 31, [7], False, id="renewal-day"),
        pytest.param(True, False, 0, 365, ANNUAL, False, id="renewal-day-annual"),
        pytest.param(True, False, 90, 90, [], True, id="term-as-long-as-the-notice"),
        pytest.param(True, False, 91, 91, [], False, id="term-a-day-longer"),
        pytest.param(True, False, 90, 91, [], True, id="term-a-day-longer-at-90"),
    ],
)
def test_when_a_price_rise_is_told(rises, told, days_left, term_days, leads, expected):
    assert (
        price_notice_due(
            rises=rises,
            told=told,
            days_left=days_left,
            term_days=term_days,
            notice_days=90,
            leads=leads,
        )
        is expected
    )


leads_st = st.lists(st.integers(min_value=0, max_value=400), max_size=6)


@given(
    days_left=st.integers(min_value=-30, max_value=400),
    leads=leads_st,
    sent=st.sets(st.integers(min_value=0, max_value=400), max_size=4),
)
def test_a_reminder_is_the_smallest_due_lead_and_ends_the_run(days_left, leads, sent):
    lead = reminder_lead(days_left=days_left, leads=leads, sent=sent)
    if lead is None:
        # Nothing due: no lead at or above the days left that is unsent and below every
        # lead already sent.
        assert days_left <= 0 or not [
            x for x in leads if x >= days_left and x not in sent and all(x < s for s in sent)
        ]
        return
    assert days_left > 0
    assert lead in leads and lead not in sent and lead >= days_left
    assert all(lead < s for s in sent)
    # Sent, nothing more is due the same day: at most one reminder per license and day.
    assert reminder_lead(days_left=days_left, leads=leads, sent={*sent, lead}) is None


@given(
    days_left=st.integers(min_value=1, max_value=400),
    leads=st.lists(st.integers(min_value=1, max_value=400), min_size=1, max_size=6),
)
def test_a_license_inside_any_window_is_reminded_when_never_told(days_left, leads):
    """The backfill: whatever the lead times became, a renewal inside the largest of
    them that nobody was reminded of gets a reminder now."""
    lead = reminder_lead(days_left=days_left, leads=leads, sent=())
    assert (lead is not None) == (days_left <= max(leads))


@given(
    start=st.integers(min_value=1, max_value=200),
    leads=st.lists(st.integers(min_value=1, max_value=200), min_size=1, max_size=5),
)
def test_a_daily_run_sends_each_lead_at_most_once_and_the_smallest_always(start, leads):
    """Run once a day from `start` days ahead to the renewal: no lead twice, the
    smallest lead due is always sent, and the reminders go nearer and nearer."""
    sent: list[int] = []
    for days_left in range(start, 0, -1):
        lead = reminder_lead(days_left=days_left, leads=leads, sent=sent)
        if lead is not None:
            sent.append(lead)
    assert len(sent) == len(set(sent))
    assert sent == sorted(sent, reverse=True)
    assert min(leads) in sent or min(leads) > start


@given(
    rises=st.booleans(),
    told=st.booleans(),
    days_left=st.integers(min_value=-5, max_value=400),
    term_days=st.integers(min_value=28, max_value=1100),
    leads=leads_st,
)
def test_a_rise_is_told_only_when_it_rises_once_and_ahead(rises, told, days_left, term_days, leads):
    due = price_notice_due(
        rises=rises,
        told=told,
        days_left=days_left,
        term_days=term_days,
        notice_days=90,
        leads=leads,
    )
    if due:
        assert rises and not told and days_left > 0
        assert days_left <= max([90, *leads])
    # Inside every window (the notice's and the first reminder's), an untold rise is told.
    if rises and not told and 0 < days_left <= min([90, *leads]):
        assert due
