"""The dunning rules: the dates copied at finalization, the step due on a day, the
customer's timeline. No database (make mutate runs these)."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.dunning.rules import (
    DUE,
    NOTHING,
    PAST_DUE,
    REMINDER,
    SUSPEND,
    Dates,
    Event,
    Sent,
    Step,
    dates,
    next_event,
    overdue_days,
    step_due,
    timeline,
)

DUE_ON = date(2026, 4, 13)
PAST = date(2026, 4, 20)  # day 7
SUSP = date(2026, 5, 13)  # day 30
DAYS = (1, 7, 14)


def day(n: int) -> date:
    return DUE_ON + timedelta(days=n)


NOTHING_SENT = Sent()


def step(
    today, sent=NOTHING_SENT, *, has_license=True, days=DAYS, past=PAST, susp=SUSP, due=DUE_ON
):
    return step_due(
        due_on=due,
        reminder_days=days,
        past_due_on=past,
        suspend_on=susp,
        today=today,
        sent=sent,
        has_license=has_license,
    )


def test_dates_copies_the_settings_onto_the_due_date():
    assert dates(due_on=DUE_ON, reminder_days=[14, 1, 7, 7], past_due_days=7, suspend_days=30) == (
        Dates(reminder_days=(1, 7, 14), past_due_on=PAST, suspend_on=SUSP)
    )


def test_dates_keeps_only_days_after_the_due_date():
    found = dates(due_on=DUE_ON, reminder_days=[0, -3, 2, "5"], past_due_days=0, suspend_days=1)
    assert found == Dates(reminder_days=(2, 5), past_due_on=DUE_ON, suspend_on=day(1))


@pytest.mark.parametrize(
    "today, sent, expected",
    [
        pytest.param(day(-1), Sent(), NOTHING, id="before-due"),
        pytest.param(DUE_ON, Sent(), NOTHING, id="on-due-day"),
        pytest.param(day(1), Sent(), Step(reminder=1), id="day-1-first-reminder"),
        pytest.param(day(1), Sent(reminders=frozenset({1})), NOTHING, id="day-1-sent"),
        pytest.param(day(3), Sent(reminders=frozenset({1})), NOTHING, id="between-reminders"),
        pytest.param(day(6), Sent(), Step(reminder=1), id="late-run-sends-latest-reached"),
        pytest.param(
            day(7),
            Sent(reminders=frozenset({1})),
            Step(reminder=7, past_due=True),
            id="day-7-reminder-and-past-due",
        ),
        pytest.param(
            day(10),
            Sent(),
            Step(reminder=7, past_due=True),
            id="missed-days-latest-only",
        ),
        pytest.param(
            day(8),
            Sent(reminders=frozenset({1, 7}), past_due=True),
            NOTHING,
            id="day-8-nothing",
        ),
        pytest.param(
            day(14),
            Sent(reminders=frozenset({1, 7}), past_due=True),
            Step(reminder=14),
            id="day-14-reminder",
        ),
        pytest.param(
            day(29),
            Sent(reminders=frozenset({1, 7, 14}), past_due=True),
            NOTHING,
            id="day-29-nothing",
        ),
        pytest.param(
            day(30),
            Sent(reminders=frozenset({1, 7, 14}), past_due=True),
            Step(suspend=True),
            id="day-30-suspend",
        ),
        pytest.param(
            day(31),
            Sent(reminders=frozenset({1, 7, 14}), past_due=True, suspended=True),
            NOTHING,
            id="after-suspension-nothing",
        ),
        pytest.param(
            day(40),
            Sent(),
            Step(reminder=14, past_due=True, suspend=True),
            id="first-run-after-suspension-day-both-stages",
        ),
        pytest.param(
            day(14),
            Sent(reminders=frozenset({14})),
            Step(past_due=True),
            id="earlier-reminder-never-after-later",
        ),
        pytest.param(
            day(20),
            Sent(past_due=False, suspended=True),
            Step(reminder=14),
            id="suspended-already-no-past-due",
        ),
    ],
)
def test_step_due(today, sent, expected):
    assert step(today, sent) == expected


@pytest.mark.parametrize(
    "today, expected",
    [
        pytest.param(day(1), Step(reminder=1), id="day-1"),
        pytest.param(day(7), Step(reminder=7), id="day-7-no-past-due"),
        pytest.param(day(30), Step(reminder=14), id="day-30-no-suspension"),
    ],
)
def test_without_a_license_reminders_only(today, expected):
    assert step(today, has_license=False) == expected


def test_without_copied_dates_nothing_but_reminders():
    assert step(day(40), past=None, susp=None) == Step(reminder=14)
    assert step(day(40), days=(), past=None, susp=None) == NOTHING


def test_no_due_date_nothing():
    assert step(day(40), due=None) == NOTHING


def test_past_due_on_the_suspension_day_is_covered_by_the_suspension():
    assert step(day(30), past=SUSP) == Step(reminder=14, suspend=True)
    assert step(day(31), past=day(31)) == Step(reminder=14, suspend=True)
    assert step(day(29), past=day(29), susp=SUSP) == Step(reminder=14, past_due=True)


def test_past_due_without_a_suspension_day():
    assert step(day(7), susp=None) == Step(reminder=7, past_due=True)


def test_each_stage_exactly_on_its_day():
    assert not step(day(6)).past_due and step(day(7)).past_due
    assert not step(day(29)).suspend and step(day(30)).suspend


@pytest.mark.parametrize(
    "value, stage",
    [
        pytest.param(Step(), None, id="nothing"),
        pytest.param(Step(reminder=1), REMINDER, id="reminder"),
        pytest.param(Step(reminder=7, past_due=True), PAST_DUE, id="past-due"),
        pytest.param(Step(reminder=7, past_due=True, suspend=True), SUSPEND, id="suspend"),
        pytest.param(Step(suspend=True), SUSPEND, id="suspend-only"),
    ],
)
def test_stage_is_the_most_serious(value, stage):
    assert value.stage == stage
    assert value.is_nothing == (stage is None)


def test_step_zero_reminder_is_something():
    assert not Step(reminder=0).is_nothing


@pytest.mark.parametrize(
    "today, days",
    [
        pytest.param(day(-3), 0, id="before"),
        pytest.param(DUE_ON, 0, id="on"),
        pytest.param(day(1), 1, id="one"),
        pytest.param(day(30), 30, id="thirty"),
    ],
)
def test_overdue_days(today, days):
    assert overdue_days(due_on=DUE_ON, today=today) == days


def test_the_timeline_on_day_10():
    events = timeline(
        due_on=DUE_ON,
        reminder_days=[14, 7, 1, 0],
        past_due_on=PAST,
        suspend_on=SUSP,
        today=day(10),
        has_license=True,
    )
    assert events == [
        Event(DUE_ON, DUE, True, 0),
        Event(day(1), REMINDER, True, 1),
        Event(day(7), REMINDER, True, 7),
        Event(PAST, PAST_DUE, True, 7),
        Event(day(14), REMINDER, False, 14),
        Event(SUSP, SUSPEND, False, 30),
    ]
    assert next_event(events) == Event(SUSP, SUSPEND, False, 30)
    assert next_event(events, kinds=[REMINDER]) == Event(day(14), REMINDER, False, 14)


def test_the_timeline_without_a_license_has_reminders_only():
    events = timeline(
        due_on=DUE_ON,
        reminder_days=[1],
        past_due_on=PAST,
        suspend_on=SUSP,
        today=DUE_ON,
        has_license=False,
    )
    assert events == [Event(DUE_ON, DUE, True, 0), Event(day(1), REMINDER, False, 1)]
    assert next_event(events) is None


def test_the_timeline_leaves_out_a_past_due_covered_by_the_suspension():
    events = timeline(
        due_on=DUE_ON,
        reminder_days=[],
        past_due_on=SUSP,
        suspend_on=SUSP,
        today=day(-1),
        has_license=True,
    )
    assert [event.kind for event in events] == [DUE, SUSPEND]
    assert events[0].done is False


def test_the_timeline_with_past_due_only():
    events = timeline(
        due_on=DUE_ON,
        reminder_days=[],
        past_due_on=PAST,
        suspend_on=None,
        today=PAST,
        has_license=True,
    )
    assert events == [Event(DUE_ON, DUE, True, 0), Event(PAST, PAST_DUE, True, 7)]


# --- Properties ------------------------------------------------------------------------

reminder_sets = st.lists(st.integers(min_value=1, max_value=60), max_size=5)


@given(
    days=reminder_sets,
    past=st.integers(min_value=0, max_value=60),
    susp=st.integers(min_value=0, max_value=90),
    has_license=st.booleans(),
    runs=st.lists(st.integers(min_value=1, max_value=10), min_size=1, max_size=30),
)
def test_a_daily_job_sends_each_thing_once_and_reminders_forwards(
    days, past, susp, has_license, runs
):
    """Whatever days the job runs on (gaps of 1 to 10 days), each stage happens at most
    once, reminders only go forwards and each is a day already reached, and the
    suspension, once its day has passed, has happened."""
    sent = Sent()
    today = DUE_ON
    reminders_sent: list[int] = []
    stages: list[str] = []
    for gap in runs:
        today += timedelta(days=gap)
        found = step(
            today, sent, has_license=has_license, days=days, past=day(past), susp=day(susp)
        )
        if found.reminder is not None:
            assert found.reminder in days and found.reminder <= (today - DUE_ON).days
            assert all(found.reminder > earlier for earlier in reminders_sent)
            reminders_sent.append(found.reminder)
        if found.past_due:
            stages.append(PAST_DUE)
        if found.suspend:
            stages.append(SUSPEND)
        sent = Sent(
            reminders=sent.reminders | ({found.reminder} if found.reminder is not None else set()),
            past_due=sent.past_due or found.past_due,
            suspended=sent.suspended or found.suspend,
        )
        # A second run on the same day does nothing more.
        assert (
            step(today, sent, has_license=has_license, days=days, past=day(past), susp=day(susp))
            == NOTHING
        )
    assert len(stages) == len(set(stages))
    if not has_license:
        assert stages == []
    elif (today - DUE_ON).days >= susp:
        assert SUSPEND in stages
    if PAST_DUE in stages and SUSPEND in stages:
        assert stages.index(PAST_DUE) < stages.index(SUSPEND) or past < susp


@given(
    days=reminder_sets,
    past=st.integers(min_value=0, max_value=60),
    susp=st.integers(min_value=0, max_value=90),
    offset=st.integers(min_value=-30, max_value=120),
    has_license=st.booleans(),
)
def test_the_timeline_is_in_order_and_done_means_come(days, past, susp, offset, has_license):
    today = day(offset)
    events = timeline(
        due_on=DUE_ON,
        reminder_days=days,
        past_due_on=day(past),
        suspend_on=day(susp),
        today=today,
        has_license=has_license,
    )
    assert [event.on for event in events] == sorted(event.on for event in events)
    assert all(event.done == (event.on <= today) for event in events)
    assert all(event.on == day(event.day) for event in events)
    assert [event.kind for event in events].count(REMINDER) == len(set(days))
    kinds = {event.kind for event in events}
    assert (SUSPEND in kinds) == has_license
    assert (PAST_DUE in kinds) == (has_license and past < susp)
    upcoming = next_event(events)
    assert upcoming is None or (not upcoming.done and upcoming.kind in (PAST_DUE, SUSPEND))
