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

A license with several overdue invoices is in the most serious stage any of them put it
in. The services apply an invoice's stage only when it changes the license (a license
already past due or suspended is not made so again by a second invoice, and no notice is
written for it): the stage stays due and is applied by a later run if the license has
left that stage by then. A payment, credit or void lifts the dunning hold when no open
invoice of the license has reached its suspension day (`settlement`): back to active,
never to past due; a later invoice's own timeline then runs from there.

A license with several overdue invoices has one answer to "what happens next" (`ahead`):
the earliest past-due and suspension days still to come across the invoices' timelines,
each with every invoice that sets it (two reaching it the same day both do), rather than
one timeline per invoice.

The timeline marks done only what happened: a reminder or a stage whose notice was sent
(on the day it was sent), a stage the license is already in (`COVERED`, by another
invoice), and a reminder day passed with no reminder of that day (`SKIPPED`: a run that
missed days sends only the latest, see above).

`make mutate` mutates this module against its fast tests.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeVar

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
    """What was already sent for one invoice: the reminder days, and the stages; `on`
    the day each was sent, as (kind, day, date) with kind REMINDER, PAST_DUE or SUSPEND
    and day the reminder's (0 for a stage)."""

    reminders: frozenset[int] = frozenset()
    past_due: bool = False
    suspended: bool = False
    on: tuple[tuple[str, int, date], ...] = ()

    def sent_on(self, kind: str, day: int = 0) -> date | None:
        return next((when for k, d, when in self.on if k == kind and d == day), None)


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
    reminder = _reminder_due(due_on=due_on, reminder_days=reminder_days, today=today, sent=sent)
    suspend = _has_stage(suspend_on, has_license) and today >= suspend_on and not sent.suspended
    past_due = (
        _has_stage(past_due_on, has_license)
        and today >= past_due_on
        and not sent.past_due
        and not sent.suspended
        and (suspend_on is None or past_due_on < suspend_on)
    )
    return Step(reminder=reminder, past_due=past_due, suspend=suspend)


def _reminder_due(*, due_on: date, reminder_days: Iterable[int], today: date, sent: Sent):
    """The reminder a run on `today` sends: the latest whose day has come, unless it or a
    later one was sent (it told more recent news); None if none."""
    overdue_days = (today - due_on).days
    reached = [day for day in reminder_days if 0 < day <= overdue_days]
    reminder = max(reached) if reached else None
    if reminder is not None and any(day >= reminder for day in sent.reminders):
        return None
    return reminder


def overdue_days(*, due_on: date, today: date) -> int:
    """Whole days since the due date (0 on it and before it)."""
    return max((today - due_on).days, 0)


DONE = "done"
TO_COME = "to_come"
SKIPPED = "skipped"
COVERED = "covered"
PENDING = "pending"

_SERIOUS = {None: 0, PAST_DUE: 1, SUSPEND: 2}


@dataclass(frozen=True)
class Event:
    """One date of the timeline and what happens then. `state`: DONE (it happened, on
    `on`), TO_COME, SKIPPED (a reminder day passed without that reminder), COVERED (a
    stage the license is already in, by another invoice) or PENDING (a stage whose day
    has come, for the next run to apply). `done` when DONE."""

    on: date
    kind: str  # DUE, REMINDER, PAST_DUE or SUSPEND
    done: bool
    day: int = 0  # days after the due date
    state: str = ""

    def __post_init__(self):
        if not self.state:
            object.__setattr__(self, "state", DONE if self.done else TO_COME)


def _event(on: date, kind: str, day: int, state: str) -> Event:
    return Event(on, kind, state == DONE, day, state)


def _stage_event(
    kind: str, *, on: date, day: int, sent_on: date | None, license_stage: str | None, today
) -> Event:
    if sent_on is not None:
        return _event(sent_on, kind, day, DONE)
    if _SERIOUS[license_stage] >= _SERIOUS[kind]:
        return _event(on, kind, day, COVERED)
    return _event(on, kind, day, PENDING if on <= today else TO_COME)


def timeline(
    *,
    due_on: date,
    reminder_days: Iterable[int],
    past_due_on: date | None,
    suspend_on: date | None,
    today: date,
    has_license: bool,
    sent: Sent = Sent(),
    license_stage: str | None = None,
) -> list[Event]:
    """The invoice's dunning timeline in date order (on one day: due, reminder, past due,
    suspended). A past-due day on or after the suspension day is left out, as step_due
    leaves it out; an invoice without a license has reminders only. What was sent shows
    on the day it was sent; `license_stage` is the license's own (None, PAST_DUE or
    SUSPEND, by this invoice or another): a stage it is already in is COVERED, never to
    come."""
    # Appended in the order of one day's events (due, reminders, past due, suspended):
    # the sort by date is stable, so a day's events keep that order.
    reminder_days = sorted(set(reminder_days))
    # The reminder the next daily run sends (step_due's): PENDING, not SKIPPED, though
    # its day has passed (a run missed, the clock moved); the ones before it are replaced.
    next_reminder = _reminder_due(
        due_on=due_on, reminder_days=reminder_days, today=today, sent=sent
    )
    events = [Event(due_on, DUE, due_on <= today)]
    for day in reminder_days:
        if day > 0:
            on = due_on + timedelta(days=day)
            sent_on = sent.sent_on(REMINDER, day)
            if sent_on is not None:
                events.append(_event(sent_on, REMINDER, day, DONE))
            elif day in sent.reminders:
                events.append(_event(on, REMINDER, day, DONE))
            elif day == next_reminder:
                events.append(_event(on, REMINDER, day, PENDING))
            else:
                # Its day has come and the run sends another (a later one): replaced.
                events.append(_event(on, REMINDER, day, SKIPPED if on <= today else TO_COME))
    stages = []
    if _has_stage(suspend_on, has_license):
        if past_due_on is not None and past_due_on < suspend_on:
            stages.append((PAST_DUE, past_due_on, sent.past_due))
        stages.append((SUSPEND, suspend_on, sent.suspended))
    elif _has_stage(past_due_on, has_license):
        stages.append((PAST_DUE, past_due_on, sent.past_due))
    for kind, on, was_sent in stages:
        sent_on = sent.sent_on(kind) or (on if was_sent else None)
        events.append(
            _stage_event(
                kind,
                on=on,
                day=(on - due_on).days,
                sent_on=sent_on,
                license_stage=license_stage,
                today=today,
            )
        )
    return sorted(events, key=lambda event: event.on)


def license_stage(invoices: Iterable[tuple[date | None, date | None]], today: date) -> str | None:
    """The most serious stage the license's open overdue invoices, as (past_due_on,
    suspend_on), have reached on `today`: SUSPEND, PAST_DUE or None."""
    reached = None
    for past_due_on, suspend_on in invoices:
        if suspend_on is not None and suspend_on <= today:
            return SUSPEND
        if past_due_on is not None and past_due_on <= today:
            reached = PAST_DUE
    return reached


ACTIVE = "active"


def settlement(*, held: bool, past_due: bool, reached: str | None) -> str | None:
    """What a payment, credit or void does to a license's dunning state, given the stage
    its open invoices still reach (`license_stage`): ACTIVE when a dunning hold is lifted
    (no open invoice has reached its suspension day; never back to past due) or when a
    past-due license has no open invoice past its past-due day; None to leave it."""
    if held:
        return None if reached == SUSPEND else ACTIVE
    if past_due:
        return ACTIVE if reached is None else None
    return None


def next_event(events: list[Event], kinds: Iterable[str] = (PAST_DUE, SUSPEND)) -> Event | None:
    """The first event of `kinds` still ahead (to come, or pending for the next run):
    what the customer avoids by paying now. A stage the license is already in is not
    ahead."""
    wanted = set(kinds)
    return next(
        (event for event in events if event.kind in wanted and event.state in (TO_COME, PENDING)),
        None,
    )


Key = TypeVar("Key")


def ahead(timelines: Iterable[tuple[Key, list[Event]]]) -> list[tuple[tuple[Key, ...], Event]]:
    """What happens next to one license with several overdue invoices, from each
    invoice's timeline (given as (key, events), oldest due first): the earliest past-due
    and the earliest suspension still ahead across them (to come, or pending for the next
    run), each with the keys of every invoice whose date it is (in the order given: two
    invoices that reach it the same day both bring it, so both must be paid to avoid it),
    in date order. A past-due on or after that suspension is left out, as `timeline`
    leaves out an invoice's own: the suspension comes first and covers it. A stage the
    license is already in is COVERED in every timeline, so it is not ahead."""
    first: dict[str, tuple[list[Key], Event]] = {}
    for key, events in timelines:
        for event in events:
            if event.kind not in (PAST_DUE, SUSPEND) or event.state not in (TO_COME, PENDING):
                continue
            found = first.get(event.kind)
            if found is None or event.on < found[1].on:
                first[event.kind] = ([key], event)
            elif event.on == found[1].on:
                found[0].append(key)
    if PAST_DUE in first and SUSPEND in first and first[PAST_DUE][1].on >= first[SUSPEND][1].on:
        del first[PAST_DUE]
    return sorted(
        ((tuple(keys), event) for keys, event in first.values()), key=lambda found: found[1].on
    )
