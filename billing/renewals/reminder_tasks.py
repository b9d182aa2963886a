"""The renewal reminders' Celery tasks (portal/schedule.py: daily, on the test clock).

`send_renewal_reminders` finds the licenses renewing within the largest lead time and
hands them to the workers in batches of BATCH ids; `send_renewal_reminder_batch` sends
each license's one due reminder (billing.renewals.notices). Both are idempotent: a
retried batch, a duplicated tick or two workers on the same batch send each reminder
once, the Notice row being the claim. A batch carries the business day it was made for
and expires before the next day's run, so a late delivery never reminds on a stale date.
"""

from __future__ import annotations

from datetime import date, timedelta

from celery import shared_task

from billing.renewals.notices import due_license_ids, reminders_send
from portal import clock

BATCH = 200
BATCH_EXPIRES = timedelta(hours=12)


def _chunks(ids: list[int], size: int):
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


@shared_task(acks_late=True)
def send_renewal_reminders() -> int:
    """Hands today's candidate licenses to the workers in batches; the number of batches.
    On the test clock the batches run here, synchronously, as the clock's contract asks
    (portal.clock: each job done at the moment it was due)."""
    today = clock.today()
    batches = list(_chunks(due_license_ids(today=today), BATCH))
    for ids in batches:
        if clock.is_simulated():
            send_renewal_reminder_batch.apply(args=[ids, today.isoformat()], throw=True)
        else:
            send_renewal_reminder_batch.apply_async(
                args=[ids, today.isoformat()],
                expires=int(BATCH_EXPIRES.total_seconds()),
            )
    return len(batches)


@shared_task(acks_late=True, autoretry_for=(Exception,), max_retries=3, retry_backoff=True)
def send_renewal_reminder_batch(license_ids: list[int], day: str) -> dict:
    """The reminders due on `day` for `license_ids`: counts of sent, already sent,
    nothing due and failed (a license that failed is retried by tomorrow's run: the
    rule still finds its reminder due)."""
    counts = reminders_send(license_ids=license_ids, today=date.fromisoformat(day))
    return {
        "sent": counts.sent,
        "emails": counts.emails,
        "price_notices": counts.price_notices,
        "already_sent": counts.already_sent,
        "nothing_due": counts.nothing_due,
        "failed": counts.failed,
    }
