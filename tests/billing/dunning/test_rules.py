"""The dunning rules: the dates copied at finalization, the step due on a day, the
customer's timeline. No database (make mutate runs these)."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.dunning.rules import (
    ACTIVE,
    COVERED,
    DONE,
    DUE,
    NOTHING,
    PAST_DUE,
    PENDING,
    REMINDER,
    SKIPPED,
    SUSPEND,
    TO_COME,
    Dates,
    Event,
    Sent,
    Step,
    ahead,
    dates,
    license_stage,
    next_event,
    overdue_days,
    settlement,
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


def sent(*items, on: date | None = None) -> Sent:
    """What was sent: REMINDER days (ints), PAST_DUE, SUSPEND; each on `on`."""
    reminders = frozenset(item for item in items if isinstance(item, int))
    when = tuple(
        (REMINDER, item, on) if isinstance(item, int) else (item, 0, on)
        for item in items
        if on is not None
    )
    return Sent(
        reminders=reminders, past_due=PAST_DUE in items, suspended=SUSPEND in items, on=when
    )


def states(events) -> list[tuple[date, str, int, str]]:
    return [(event.on, event.kind, event.day, event.state) for event in events]


def test_the_timeline_on_day_10_as_sent():
    events = timeline(
        due_on=DUE_ON,
        reminder_days=[14, 7, 1, 0],
        past_due_on=PAST,
        suspend_on=SUSP,
        today=day(10),
        has_license=True,
        sent=sent(1, 7, PAST_DUE),
        license_stage=PAST_DUE,
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


CATCH_UP = day(60)


@pytest.mark.parametrize(
    ("today", "was_sent", "stage", "expected"),
    [
        pytest.param(
            day(10),
            sent(),
            None,
            [
                (DUE_ON, DUE, 0, DONE),
                (day(1), REMINDER, 1, SKIPPED),  # replaced by the 7-day one
                # The next run sends it (step_due), as it does the past-due stage: never
                # "not sent" while it is still to go out.
                (day(7), REMINDER, 7, PENDING),
                (PAST, PAST_DUE, 7, PENDING),
                (day(14), REMINDER, 14, TO_COME),
                (SUSP, SUSPEND, 30, TO_COME),
            ],
            id="nothing-sent-yet-stage-pending",
        ),
        # On a reminder's own day, with a later one already out (the days were changed
        # after it was sent): that later one replaces it, never "to come".
        pytest.param(
            day(7),
            sent(14, on=day(6)),
            None,
            [
                (DUE_ON, DUE, 0, DONE),
                (day(1), REMINDER, 1, SKIPPED),
                (day(6), REMINDER, 14, DONE),
                (day(7), REMINDER, 7, SKIPPED),
                (PAST, PAST_DUE, 7, PENDING),
                (SUSP, SUSPEND, 30, TO_COME),
            ],
            id="its-day-a-later-one-sent",
        ),
        pytest.param(
            CATCH_UP,
            sent(14, PAST_DUE, SUSPEND, on=CATCH_UP),
            SUSPEND,
            [
                (DUE_ON, DUE, 0, DONE),
                (day(1), REMINDER, 1, SKIPPED),
                (day(7), REMINDER, 7, SKIPPED),
                (CATCH_UP, REMINDER, 14, DONE),
                (CATCH_UP, PAST_DUE, 7, DONE),
                (CATCH_UP, SUSPEND, 30, DONE),
            ],
            id="catch-up-run-done-on-the-day-it-ran",
        ),
        pytest.param(
            day(4),
            sent(1, on=day(1)),
            SUSPEND,
            [
                (DUE_ON, DUE, 0, DONE),
                (day(1), REMINDER, 1, DONE),
                (day(7), REMINDER, 7, TO_COME),
                (PAST, PAST_DUE, 7, COVERED),
                (day(14), REMINDER, 14, TO_COME),
                (SUSP, SUSPEND, 30, COVERED),
            ],
            id="license-suspended-by-another-invoice",
        ),
        pytest.param(
            day(4),
            sent(1, on=day(1)),
            PAST_DUE,
            [
                (DUE_ON, DUE, 0, DONE),
                (day(1), REMINDER, 1, DONE),
                (day(7), REMINDER, 7, TO_COME),
                (PAST, PAST_DUE, 7, COVERED),
                (day(14), REMINDER, 14, TO_COME),
                (SUSP, SUSPEND, 30, TO_COME),
            ],
            id="license-past-due-by-another-invoice",
        ),
        pytest.param(
            day(20),
            sent(1, 7, 14),
            None,
            [
                (DUE_ON, DUE, 0, DONE),
                (day(1), REMINDER, 1, DONE),
                (day(7), REMINDER, 7, DONE),
                (PAST, PAST_DUE, 7, PENDING),
                (day(14), REMINDER, 14, DONE),
                (SUSP, SUSPEND, 30, TO_COME),
            ],
            id="lifted-license-back-to-active-stage-for-the-next-run",
        ),
    ],
)
def test_the_timeline_marks_only_what_happened(today, was_sent, stage, expected):
    events = timeline(
        due_on=DUE_ON,
        reminder_days=DAYS,
        past_due_on=PAST,
        suspend_on=SUSP,
        today=today,
        has_license=True,
        sent=was_sent,
        license_stage=stage,
    )
    assert states(events) == expected


def test_next_event_skips_a_covered_stage_and_names_a_pending_one():
    covered = timeline(
        due_on=DUE_ON,
        reminder_days=[],
        past_due_on=PAST,
        suspend_on=SUSP,
        today=day(4),
        has_license=True,
        license_stage=SUSPEND,
    )
    assert next_event(covered) is None
    pending = timeline(
        due_on=DUE_ON,
        reminder_days=[],
        past_due_on=PAST,
        suspend_on=SUSP,
        today=day(10),
        has_license=True,
    )
    assert next_event(pending) == Event(PAST, PAST_DUE, False, 7, PENDING)


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
        sent=sent(PAST_DUE, on=PAST),
    )
    assert events == [Event(DUE_ON, DUE, True, 0), Event(PAST, PAST_DUE, True, 7)]


# --- A license's stage and the settlement ---------------------------------------------

# The walker's case: INV-2026-000003 reached its suspension day; INV-2027-000001 is
# 4 days overdue, past due on 7 Feb, suspended on 2 Mar.
FEB_4 = date(2027, 2, 4)
FIRST = (date(2026, 12, 1), date(2027, 1, 3))
SECOND = (date(2027, 2, 7), date(2027, 3, 2))


@pytest.mark.parametrize(
    ("invoices", "today", "stage"),
    [
        pytest.param([], FEB_4, None, id="no-open-invoice"),
        pytest.param([SECOND], FEB_4, None, id="overdue-before-its-past-due-day"),
        pytest.param([SECOND], date(2027, 2, 7), PAST_DUE, id="on-its-past-due-day"),
        pytest.param([SECOND], date(2027, 3, 2), SUSPEND, id="on-its-suspension-day"),
        pytest.param([FIRST, SECOND], FEB_4, SUSPEND, id="one-of-two-reached-suspension"),
        pytest.param([SECOND, FIRST], FEB_4, SUSPEND, id="order-does-not-matter"),
        pytest.param([(None, None)], FEB_4, None, id="invoice-without-dates"),
        pytest.param([(date(2027, 2, 1), None)], FEB_4, PAST_DUE, id="past-due-only"),
    ],
)
def test_license_stage(invoices, today, stage):
    assert license_stage(invoices, today) == stage


@pytest.mark.parametrize(
    ("held", "past_due", "reached", "outcome"),
    [
        pytest.param(True, False, None, ACTIVE, id="held-nothing-reached-lifts"),
        pytest.param(True, False, PAST_DUE, ACTIVE, id="held-other-past-due-lifts-to-active"),
        pytest.param(True, False, SUSPEND, None, id="held-other-suspension-reached-stays"),
        pytest.param(False, True, None, ACTIVE, id="past-due-nothing-reached-active"),
        pytest.param(False, True, PAST_DUE, None, id="past-due-other-past-due-stays"),
        pytest.param(False, True, SUSPEND, None, id="past-due-other-suspension-stays"),
        pytest.param(False, False, None, None, id="active-nothing-to-do"),
        pytest.param(False, False, SUSPEND, None, id="active-left-for-the-daily-job"),
    ],
)
def test_settlement(held, past_due, reached, outcome):
    assert settlement(held=held, past_due=past_due, reached=reached) == outcome


def test_the_walkers_payment_lifts_the_suspension():
    """Paying the invoice that suspended the license, while another is overdue but not
    at its own suspension day, lifts the hold (back to active)."""
    assert settlement(held=True, past_due=False, reached=license_stage([SECOND], FEB_4)) == ACTIVE


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
    stage=st.sampled_from([None, PAST_DUE, SUSPEND]),
    sent_days=reminder_sets,
    stages_sent=st.sets(st.sampled_from([PAST_DUE, SUSPEND])),
)
def test_the_timeline_is_in_order_and_done_means_sent(
    days, past, susp, offset, has_license, stage, sent_days, stages_sent
):
    today = day(offset)
    was_sent = sent(*[d for d in sent_days if d in days], *stages_sent)
    events = timeline(
        due_on=DUE_ON,
        reminder_days=days,
        past_due_on=day(past),
        suspend_on=day(susp),
        today=today,
        has_license=has_license,
        sent=was_sent,
        license_stage=stage,
    )
    assert [event.on for event in events] == sorted(event.on for event in events)
    assert all(event.on == day(event.day) for event in events)
    for event in events:
        assert event.done == (event.state == DONE)
        if event.kind == REMINDER:
            assert event.done == (event.day in was_sent.reminders)
            assert event.state != SKIPPED or event.on < today
        if event.kind == PAST_DUE:
            assert event.done == was_sent.past_due
        if event.kind == SUSPEND:
            assert event.done == was_sent.suspended
        if event.state == TO_COME:  # a reminder of today is still to come (today's run)
            assert event.on > today or (event.kind == REMINDER and event.on == today)
        if event.kind in (PAST_DUE, SUSPEND) and not event.done and stage == SUSPEND:
            assert event.state == COVERED  # a stage the license is in is never ahead
    assert [event.kind for event in events].count(REMINDER) == len(set(days))
    kinds = {event.kind for event in events}
    assert (SUSPEND in kinds) == has_license
    assert (PAST_DUE in kinds) == (has_license and past < susp)
    upcoming = next_event(events)
    assert upcoming is None or (not upcoming.done and upcoming.kind in (PAST_DUE, SUSPEND))


stage_dates = st.tuples(
    st.one_of(st.none(), st.integers(min_value=0, max_value=60)),
    st.one_of(st.none(), st.integers(min_value=0, max_value=90)),
)


@given(
    invoices=st.lists(stage_dates, max_size=4),
    offset=st.integers(min_value=0, max_value=120),
    held=st.booleans(),
    past_due=st.booleans(),
)
def test_a_settlement_never_leaves_past_due_and_lifts_exactly_when_no_suspension_is_reached(
    invoices, offset, held, past_due
):
    today = day(offset)
    rows = [(None if p is None else day(p), None if s is None else day(s)) for p, s in invoices]
    reached = license_stage(rows, today)
    any_suspension = any(s is not None and s <= today for _, s in rows)
    assert (reached == SUSPEND) == any_suspension
    outcome = settlement(held=held, past_due=past_due and not held, reached=reached)
    assert outcome in (None, ACTIVE)
    if held:
        assert (outcome == ACTIVE) == (not any_suspension)
    assert license_stage(list(reversed(rows)), today) == reached


def stages(past_due: Event | None = None, suspend: Event | None = None) -> list[Event]:
    """An invoice's timeline with its due day, a reminder and the stages given."""
    return [
        Event(DUE_ON, DUE, True, 0),
        Event(day(1), REMINDER, True, 1),
        *(event for event in (past_due, suspend) if event is not None),
    ]


def test_ahead_is_the_earliest_past_due_and_suspension_across_the_invoices():
    first = stages(Event(day(7), PAST_DUE, False, 7), Event(day(30), SUSPEND, False, 30))
    second = stages(Event(day(5), PAST_DUE, False, 7), Event(day(31), SUSPEND, False, 30))
    third = stages(Event(day(9), PAST_DUE, False, 7), Event(day(20), SUSPEND, False, 10))
    assert ahead([("a", first), ("b", second), ("c", third)]) == [
        (("b",), Event(day(5), PAST_DUE, False, 7)),
        (("c",), Event(day(20), SUSPEND, False, 10)),
    ]
    assert ahead([]) == []


def on(n: int, kind: str, state: str = TO_COME, after_due: int = 0) -> Event:
    return Event(day(n), kind, state == DONE, after_due, state)


@pytest.mark.parametrize(
    "timelines, expected",
    [
        pytest.param(
            [("a", stages(on(7, PAST_DUE))), ("b", stages(on(7, PAST_DUE)))],
            [(("a", "b"), on(7, PAST_DUE))],
            id="past-due-tie",
        ),
        pytest.param(
            [
                ("a", stages(None, on(30, SUSPEND))),
                ("b", stages(None, on(30, SUSPEND, after_due=9))),
            ],
            [(("a", "b"), on(30, SUSPEND))],
            id="suspension-tie-dated-by-the-first",
        ),
        pytest.param(
            [("b", stages(None, on(30, SUSPEND))), ("a", stages(None, on(30, SUSPEND)))],
            [(("b", "a"), on(30, SUSPEND))],
            id="in-the-order-given",
        ),
        pytest.param(
            [
                ("a", stages(on(5, PAST_DUE), on(30, SUSPEND))),
                ("b", stages(on(7, PAST_DUE), on(30, SUSPEND))),
                ("c", stages(None, on(31, SUSPEND))),
            ],
            [(("a",), on(5, PAST_DUE)), (("a", "b"), on(30, SUSPEND))],
            id="tie-on-the-suspension-only",
        ),
        pytest.param(
            [
                ("a", stages(None, on(31, SUSPEND))),
                ("b", stages(None, on(30, SUSPEND))),
                ("c", stages(None, on(30, SUSPEND))),
            ],
            [(("b", "c"), on(30, SUSPEND))],
            id="an-earlier-date-drops-the-later-one",
        ),
        pytest.param(
            [
                ("a", stages(None, on(30, SUSPEND, PENDING))),
                ("b", stages(None, on(30, SUSPEND, PENDING))),
            ],
            [(("a", "b"), on(30, SUSPEND, PENDING))],
            id="pending-tie",
        ),
        pytest.param(
            [
                ("a", stages(None, on(30, SUSPEND, COVERED))),
                ("b", stages(None, on(30, SUSPEND))),
            ],
            [(("b",), on(30, SUSPEND))],
            id="a-covered-date-sets-nothing",
        ),
        pytest.param(
            [
                ("a", stages(on(20, PAST_DUE))),
                ("b", stages(on(20, PAST_DUE))),
                ("c", stages(None, on(20, SUSPEND))),
            ],
            [(("c",), on(20, SUSPEND))],
            id="a-tied-past-due-on-the-suspension-day-is-left-out",
        ),
    ],
)
def test_ahead_names_every_invoice_that_sets_the_date(timelines, expected):
    """Two invoices reaching a stage the same day both bring it: paying one does not
    avoid it, so both are named (in the order given), with the first one's event."""
    assert ahead(timelines) == expected


def test_ahead_leaves_out_what_happened_or_the_license_is_in_and_keeps_what_is_pending():
    done = Event(day(7), PAST_DUE, True, 7, DONE)
    covered = Event(day(8), PAST_DUE, False, 7, COVERED)
    pending = Event(day(9), SUSPEND, False, 9, PENDING)
    later = Event(day(30), SUSPEND, False, 30)
    reminder = Event(day(14), REMINDER, False, 14)
    found = ahead([("a", [*stages(done, later), reminder]), ("b", stages(covered, pending))])
    assert found == [(("b",), pending)]
    assert ahead([("a", stages(done, Event(day(30), SUSPEND, False, 30, COVERED)))]) == []


@pytest.mark.parametrize("past_due_day", [20, 21])
def test_ahead_leaves_out_a_past_due_on_or_after_the_earliest_suspension(past_due_day):
    suspend = Event(day(20), SUSPEND, False, 10)
    found = ahead(
        [
            ("a", stages(Event(day(past_due_day), PAST_DUE, False, 7))),
            ("b", stages(None, suspend)),
        ]
    )
    assert found == [(("b",), suspend)]


def test_ahead_keeps_a_past_due_the_day_before_the_suspension_in_date_order():
    past_due = Event(day(19), PAST_DUE, False, 7)
    suspend = Event(day(20), SUSPEND, False, 10)
    assert ahead([("a", stages(None, suspend)), ("b", stages(past_due))]) == [
        (("b",), past_due),
        (("a",), suspend),
    ]
