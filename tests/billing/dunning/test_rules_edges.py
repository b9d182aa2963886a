"""Edges of the dunning rules (billing.dunning.rules): the due day itself, a reminder
day of 0, and a stage whose day is today."""

from datetime import date, timedelta

from billing.dunning import rules

DUE = date(2027, 3, 3)


def test_nothing_is_due_on_the_due_date_even_with_no_grace():
    step = rules.step_due(
        due_on=DUE,
        reminder_days=(1, 7),
        past_due_on=DUE,
        suspend_on=DUE + timedelta(days=30),
        today=DUE,
        sent=rules.Sent(),
        has_license=True,
    )
    assert step.is_nothing


def test_a_reminder_day_of_zero_is_never_sent():
    step = rules.step_due(
        due_on=DUE,
        reminder_days=(0, 7),
        past_due_on=DUE + timedelta(days=10),
        suspend_on=DUE + timedelta(days=30),
        today=DUE + timedelta(days=1),
        sent=rules.Sent(),
        has_license=True,
    )
    assert step.reminder is None
    assert step.is_nothing


def test_a_stage_whose_day_is_today_waits_for_the_run():
    today = DUE + timedelta(days=7)
    events = rules.timeline(
        due_on=DUE,
        reminder_days=(),
        past_due_on=today,
        suspend_on=DUE + timedelta(days=30),
        today=today,
        has_license=True,
    )
    states = {event.kind: event.state for event in events}
    assert states[rules.PAST_DUE] == rules.PENDING
    assert states[rules.SUSPEND] == rules.TO_COME
    assert [event.kind for event in events] == [rules.DUE, rules.PAST_DUE, rules.SUSPEND]
