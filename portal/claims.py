"""Exactly-once work for Celery tasks: a row is claimed by a conditional UPDATE before
the work is done, so a retry, a duplicate delivery or a second worker finds nothing to do.

A job's rows carry `claimed_at`, `attempts`, `last_error` and a "done" timestamp. A claim
older than the claim timeout belongs to a worker that died (it must exceed the task time
limit, so a live worker is never overtaken); a row still not done some time after it was
due is handed to the worker again by a beat sweep."""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NoReturn

from celery import Task
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone

logger = logging.getLogger(__name__)


class _Raced(Exception):
    pass


def retry_countdown(retries: int) -> int:
    """Seconds before the next try: 30 s, doubling, at most an hour."""
    return min(30 * 2**retries, 3600)


@dataclass(frozen=True)
class ClaimedJob:
    """One kind of exactly-once job over the rows of `model`.

    `done_field` is set once the work is done; `due_field` (a lookup, it may span a
    relation) says since when a row has been waiting, for the sweep. Claims run on the
    real time, not the business clock (portal.clock): a lease times out in real seconds,
    whatever the test clock says.

    `wanted` narrows the rows that still want the work (a row it leaves out is never
    claimed, recorded as done or swept up), for work that can be called off."""

    model: type[models.Model]
    action: str  # for the log: "Sending email", "Rendering invoice PDF"
    done_field: str
    due_field: str
    claim_timeout: timedelta
    stall_after: timedelta
    max_attempts: int
    wanted: Q = field(default_factory=Q)

    def _claimable(self, now) -> Q:
        free = Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - self.claim_timeout)
        return free & self.wanted

    def claim(self, pk: int) -> datetime | None:
        """The claim's time if this caller now holds the row and must do the work; None
        if it is done already or another live worker holds it."""
        now = timezone.now()
        claimed = self.model.objects.filter(
            self._claimable(now), pk=pk, **{f"{self.done_field}__isnull": True}
        ).update(claimed_at=now, attempts=F("attempts") + 1)
        return now if claimed else None

    def claim_many(self, pks: list[int]) -> list[int]:
        """claim() for many rows at once, in two queries: those of `pks` this caller now
        holds and must do the work of. The free rows are locked (PostgreSQL; rows another
        claimer holds locked are skipped, they are its), then claimed by the same
        conditional UPDATE as claim(); if that UPDATE took fewer rows than were locked
        (a database without row locks, raced), it is undone and each row claimed alone."""
        now = timezone.now()
        free = self.model.objects.filter(
            self._claimable(now), pk__in=pks, **{f"{self.done_field}__isnull": True}
        )
        try:
            with transaction.atomic():
                ids = list(free.select_for_update(skip_locked=True).values_list("pk", flat=True))
                claimed = free.filter(pk__in=ids).update(claimed_at=now, attempts=F("attempts") + 1)
                if claimed != len(ids):
                    raise _Raced
        except _Raced:
            return [pk for pk in pks if self.claim(pk)]
        return ids

    def finish(self, pk: int, *, claimed_at: datetime | None = None, **fields: Any) -> bool:
        """Records the work as done, with whatever it produced, while the row still
        wants it. With `claimed_at`, only while that claim is still the row's (something
        may have cleared it meanwhile to ask for the work again); False when it was not
        recorded."""
        rows = self.model.objects.filter(self.wanted, pk=pk)
        if claimed_at is not None:
            rows = rows.filter(claimed_at=claimed_at)
        return bool(rows.update(**fields, **{self.done_field: timezone.now()}, last_error=""))

    def fail(self, task: Task, pk: int, exc: Exception) -> NoReturn:
        """Releases the claim with the error recorded, so the retry can claim it again,
        and schedules that retry with backoff."""
        self.model.objects.filter(pk=pk).update(claimed_at=None, last_error=str(exc))
        logger.warning("%s %s failed: %s", self.action, pk, exc)
        raise task.retry(exc=exc, countdown=retry_countdown(task.request.retries)) from exc

    def stalled(self, limit: int) -> list[int]:
        """Rows whose hand-over was lost (broker down, worker killed mid-task): not done,
        not held by a live worker, due for a while and not out of attempts."""
        now = timezone.now()
        rows = self.model.objects.filter(
            self._claimable(now),
            **{
                f"{self.done_field}__isnull": True,
                f"{self.due_field}__lt": now - self.stall_after,
                "attempts__lt": self.max_attempts,
            },
        ).values_list("pk", flat=True)
        return list(rows[:limit])
