"""What usage and feature-use batches share (licensing.usage.services and .features): the
checks that refuse a batch whole, naming every bad record, and each key's outcome once
stored. (license, idempotency key) is unique in the database, so a retried or concurrent
duplicate is stored once, whichever request wins."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import datetime

from django.core.exceptions import ValidationError

from licensing.usage import meters

MAX_BATCH = 500


def refuse_bad_batch(
    reports: Sequence,
    *,
    noun: str,
    at: datetime,
    moment_field: str,
    record_problems: Callable[[object], Iterable[str]],
) -> None:
    """Raise ValidationError (one message per problem) unless every report is good: a
    batch of 1 to MAX_BATCH, each report's own problems (`record_problems`), its moment
    (`moment_field`, `at` when absent) neither in the future nor too old, each key once."""
    if not reports:
        raise ValidationError(f"Send at least one {noun} record.")
    if len(reports) > MAX_BATCH:
        raise ValidationError(f"Send at most {MAX_BATCH} {noun} records at a time.")
    problems = []
    for index, report in enumerate(reports):
        problems += [f"records[{index}]: {problem}" for problem in record_problems(report)]
        moment = getattr(report, moment_field) or at
        if moment > at + meters.CLOCK_SKEW:
            problems.append(f"records[{index}]: {moment_field} is in the future.")
        if moment < at - meters.OLDEST_REPORT:
            problems.append(
                f"records[{index}]: {moment_field} is more than "
                f"{meters.OLDEST_REPORT.days} days ago."
            )
    first: dict[str, int] = {}
    for index, report in enumerate(reports):
        earlier = first.setdefault(report.idempotency_key, index)
        if earlier != index:
            problems.append(
                f"records[{index}]: idempotency_key repeats records[{earlier}]'s; each record "
                "in a batch needs its own."
            )
    if problems:
        raise ValidationError(problems)


def store_batch(
    model,
    rows: list,
    *,
    license,
    body: tuple[str, ...],
    moment: str,
    timed: Collection[str],
) -> dict[str, str]:
    """Insert `rows` (of `model`, their `batch` still unset) as one batch; {idempotency
    key: "accepted" | "duplicate"}: a key stored before, by a retry or a concurrent
    request, is a duplicate and is not stored again. A key stored before with another
    record (its `body` fields differ, or its `moment` for the keys in `timed`, the
    records sent with one: an omitted one is the time of sending) is refused:
    ValidationError naming each such record, to be raised inside the caller's
    transaction so that nothing of the batch is stored."""
    batch = uuid.uuid4()
    for row in rows:
        row.batch = batch
    model.objects.bulk_create(rows, ignore_conflicts=True)
    ours = set(
        model.objects.filter(license=license, batch=batch).values_list("idempotency_key", flat=True)
    )
    again = [row.idempotency_key for row in rows if row.idempotency_key not in ours]
    earlier = {
        old.idempotency_key: old
        for old in model.objects.filter(license=license, idempotency_key__in=again)
    }
    problems = []
    for index, row in enumerate(rows):
        old = earlier.get(row.idempotency_key)
        fields = body + ((moment,) if row.idempotency_key in timed else ())
        differ = [name for name in fields if old and getattr(old, name) != getattr(row, name)]
        if differ:
            named = ", ".join(name.removesuffix("_id") for name in differ)
            problems.append(
                f"records[{index}]: idempotency_key {row.idempotency_key!r} was used before "
                f"for another record (its {named} differed); a key names one record: send "
                "a new key for a new record, or the same record to retry it."
            )
    if problems:
        raise ValidationError(problems)
    return {
        row.idempotency_key: "accepted" if row.idempotency_key in ours else "duplicate"
        for row in rows
    }
