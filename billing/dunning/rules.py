"""The dunning rules, pure: the dates an invoice copies at finalization, the step due on a
day (which reminder to send, whether the license becomes past due or is suspended), and
the customer's timeline (each date and what happens then) for pages and emails.

An invoice's dunning days are copied onto it when it is finalized (`dates`), so a
settings change never moves a date a customer was already shown. Each run of the daily
job asks `step_due` once per overdue invoice, with what was already sent (its notices):

- at most one reminder a run: the latest reminder day already reached, and only if no
  reminder of that day or a later one was sent (a job that missed days sends the one
  that matters now, never a backlog, and never an earlier one after a later);
- past due from `past_due_on`, suspended from `suspend_on`, each once, and only for an
  invoice of a license (an invoice without one gets reminders only). A past-due day on
  or after the suspension day has no step of its own: the suspension covers it.

`make mutate` mutates this module against its fast tests.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

REMINDER = "reminder"
PAST_DUE = "past_due"
SUSPEND = "suspend"
DUE = "due"


@dataclass(frozen=True)
class Dates:
    """What an invoice copies at finalization: reminder days after the due date, the day
    its license becomes past due and the day it is suspended."""

    reminder_days: tuple[int, ...]
    past_due_on: date
    suspend_on: date


def dates(*, due_on: date, reminder_days: Iterable[int], past_due_days: int, suspend_days: int):
    """The dunning dates of an invoice due on `due_on`, from the settings in force when it
    is finalized: reminder days sorted, each once, only days after the due date."""
    return Dates(
        reminder_days=tuple(sorted({int(day) for day in reminder_days if int(day) > 0})),
        past_due_on=due_on + timedelta(days=past_due_days),
        suspend_on=due_on + timedelta(days=suspend_days),
    )


@dataclass(frozen=True)
class Sent:
    """What was already sent for one invoice: the reminder days, and the stages."""

    reminders: frozenset[int] = frozenset()
    past_due: bool = False
    suspended: bool = False


@dataclass(frozen=True)
class Step:
    """What is due now for one invoice. `reminder` is the day (after the due date) of the
    one reminder to send, or None."""

    reminder: int | None = None
    past_due: bool = False
    suspend: bool = False

    @property
    def is_nothing(self) -> bool:
        return self.reminder is None and not self.past_due and not self.suspend

    @property
    def stage(self) -> str | None:
        """The most serious thing that happens in this step: what its email is about."""
        if self.suspend:
            return SUSPEND
        if self.past_due:
            return PAST_DUE
        if self.reminder is not None:
            return REMINDER
        return None


NOTHING = Step()


def _has_stage(stage_on: date | None, has_license: bool) -> bool:
    return has_license and stage_on is not None


def step_due(
    *,
    due_on: date | None,
    reminder_days: Iterable[int],
    past_due_on: date | None,
    suspend_on: date | None,
    today: date,
    sent: Sent,
    has_license: bool,
) -> Step:
    """The step due on `today` for an open invoice (see the module's docstring)."""
    if due_on is None or today <= due_on:
        return NOTHING
    overdue_days = (today - due_on).days
    reached = [day for day in reminder_days if 0 < day <= overdue_days]
    reminder = max(reached) if reached else None
    if reminder is not None and any(day >= reminder for day in sent.reminders):
        reminder = None
    suspend = _has_stage(suspend_on, has_license) and today >= suspend_on and not sent.suspended
    past_due = (
        _has_stage(past_due_on, has_license)
        and today >= past_due_on
        and not sent.past_due
        and not sent.suspended
        and (suspend_on is None or past_due_on < suspend_on)
    )
    return Step(reminder=reminder, past_due=past_due, suspend=suspend)


def overdue_days(*, due_on: date, today: date) -> int:
    """Whole days since the due date (0 on it and before it)."""
    return max((today - due_on).days, 0)


@dataclass(frozen=True)
class Event:
    """One date of the timeline and what happens then; `done` once it has come."""

    on: date
    kind: str  # DUE, REMINDER, PAST_DUE or SUSPEND
    done: bool
    day: int = 0  # days after the due date


def timeline(
    *,
    due_on: date,
    reminder_days: Iterable[int],
    past_due_on: date | None,
    suspend_on: date | None,
    today: date,
    has_license: bool,
) -> list[Event]:
    """The invoice's dunning timeline in date order (on one day: due, reminder, past due,
    suspended). A past-due day on or after the suspension day is left out, as step_due
    leaves it out; an invoice without a license has reminders only."""
    order = {DUE: 0, REMINDER: 1, PAST_DUE: 2, SUSPEND: 3}
    events = [Event(due_on, DUE, due_on <= today, 0)]
    for day in sorted(set(reminder_days)):
        if day > 0:
            on = due_on + timedelta(days=day)
            events.append(Event(on, REMINDER, on <= today, day))
    if _has_stage(suspend_on, has_license):
        if past_due_on is not None and past_due_on < suspend_on:
            events.append(
                Event(past_due_on, PAST_DUE, past_due_on <= today, (past_due_on - due_on).days)
            )
        events.append(Event(suspend_on, SUSPEND, suspend_on <= today, (suspend_on - due_on).days))
    elif _has_stage(past_due_on, has_license):
        events.append(
            Event(past_due_on, PAST_DUE, past_due_on <= today, (past_due_on - due_on).days)
        )
    return sorted(events, key=lambda event: (event.on, order[event.kind]))


def next_event(events: list[Event], kinds: Iterable[str] = (PAST_DUE, SUSPEND)) -> Event | None:
    """The first event of `kinds` still to come: what the customer avoids by paying now."""
    wanted = set(kinds)
    return next((event for event in events if event.kind in wanted and not event.done), None)
