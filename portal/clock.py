"""The one clock business time comes from: `now()` and `today()`.

In production they are the real time. With settings.TEST_CLOCK on (development and
demos; make run turns it on), the site's time runs ahead of the real time by an offset
staff move forward from the admin or with `manage.py clock advance --to DATE`, as
Stripe's test clocks do: moving it runs every business job due in between
(portal.schedule, `business=True`), in time order, synchronously, exactly as the workers
would, each with the clock set to the moment it was due; a tick where a job could find
nothing new (its `quiet_until`, and no job did anything since) is skipped. The clock
never goes back.

Business time is every date or moment a rule reads: terms, expiry, due and paid dates,
issue dates, effective dates, usage months, rate-limit windows, invitation expiry. Real
time stays only for what records when something really happened on the machine:
created_at/updated_at-style audit defaults on models (services that stamp a business
moment pass it explicitly), the outbox and PDF claims' leases (portal.claims: a lease
times out in real seconds, whatever the site's date), an API token's revocation and last
use, and the clock's own moved_at.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from portal.schedule import JOBS

log = logging.getLogger(__name__)

# Each process reads the offset at most this often; moving the clock resets its own copy.
_TTL = 1.0
_cached: tuple[float, timedelta] | None = None


_NONE = timedelta(0)


def _offset() -> timedelta:
    global _cached
    if not settings.TEST_CLOCK:
        return _NONE
    if _cached is None or time.monotonic() - _cached[0] > _TTL:
        from portal.models import SimulatedClock

        row = SimulatedClock.objects.filter(pk=1).values_list("offset", flat=True).first()
        _cached = (time.monotonic(), row or timedelta(0))
    return _cached[1]


def forget() -> None:
    """Read the offset afresh on the next call (tests, and after a move elsewhere)."""
    global _cached
    _cached = None


def offset() -> timedelta:
    """How far the site's time runs ahead of the real time (zero unless the test clock is
    on): caches keyed by it are left behind when the clock moves."""
    return _offset()


def now() -> datetime:
    return timezone.now() + _offset()


def timestamp() -> float:
    """now() as POSIX seconds, without building a datetime (the licensing API's rate
    limit reads it on every request)."""
    return time.time() + _offset().total_seconds()


def today() -> date:
    return timezone.localdate(now())


def is_simulated() -> bool:
    return bool(settings.TEST_CLOCK)


class ClockError(ValueError):
    """A move the test clock refuses; the message says why, for a person."""


@dataclass(frozen=True)
class Run:
    job: str
    due_at: datetime
    result: object


def _set(moment: datetime, *, by: str) -> None:
    global _cached
    from portal.models import SimulatedClock

    offset = moment - timezone.now()
    SimulatedClock.objects.update_or_create(
        pk=1, defaults={"offset": offset, "moved_at": timezone.now(), "moved_by": by[:200]}
    )
    _cached = (time.monotonic(), offset)


MOVING = "test-clock:moving"
LONGEST_MOVE = timedelta(days=3 * 366)


def advance(*, to: date, by: str, limit: timedelta = LONGEST_MOVE) -> list[Run]:
    """Move the site's date forward to `to` (at the time of day it is now), running every
    business job due on the way. Each job commits on its own, as on a worker."""
    if not settings.TEST_CLOCK:
        raise ClockError("The test clock is off (settings.TEST_CLOCK).")
    # One move at a time, and the start read under it: two interleaved moves would send
    # the clock back and run jobs twice.
    if not cache.add(MOVING, by, timeout=3600):
        raise ClockError("The test clock is being moved already; try again when it is done.")
    try:
        forget()
        start = now()
        target = datetime.combine(to, start.timetz())
        if target <= start:
            raise ClockError(
                f"The test clock only moves forward: the site's date is already "
                f"{start.date():%-d %B %Y}."
            )
        if target - start > limit:
            raise ClockError(f"Move the test clock at most {limit.days} days at a time.")
        return _advance(start, target, by=by)
    finally:
        cache.delete(MOVING)


def _advance(start: datetime, target: datetime, *, by: str) -> list[Run]:
    jobs = [job for job in JOBS if job.business]
    due = sorted((tick, job.name, job.task) for job in jobs for tick in job.ticks(start, target))
    # A job with a quiet_until rule is skipped at a tick before the moment it last named,
    # unless a job did something (returned a truthy result) since it last ran: the workers
    # would have run it and found nothing to do. A month of hourly no-op ticks cost the
    # suite minutes.
    rules = {job.name: import_string(job.quiet_until) for job in jobs if job.quiet_until}
    quiet: dict[str, datetime | None] = {}
    runs = []
    for tick, name, task in due:
        if name in quiet and (quiet[name] is None or tick < quiet[name]):
            continue
        _set(tick, by=by)
        try:
            with transaction.atomic():
                # By its import path: a web process or a command has not imported every
                # area's tasks module (the worker has), so the registry may lack it.
                # throw=True raises what the task raised; .result is what it returned (no
                # .get(): in a process that ever ran a worker in-process, Celery refuses it).
                result = import_string(task).apply(throw=True).result
                if name in rules and not result:
                    quiet[name] = rules[name](tick)
        except Exception as error:
            log.exception("Test clock: %s failed at %s", name, tick)
            raise ClockError(
                f"{name} failed at {tick:%Y-%m-%d %H:%M} UTC ({error}); the site's time "
                f"stays there, with the jobs before it done."
            ) from error
        if result:
            # Something changed: every job looks again at its next tick (this one too:
            # what it left for later, a failure, is tried again as on the workers).
            quiet.clear()
        runs.append(Run(name, tick, result))
    _set(target, by=by)
    log.info("Test clock moved from %s to %s by %s: %d jobs ran", start, target, by, len(runs))
    return runs
