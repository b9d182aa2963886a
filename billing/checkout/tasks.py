"""The checkout's periodic jobs, on the schedule in portal/schedule.py and on the test
clock. Both are idempotent: each checkout or scheduled change is closed or applied in its
own transaction with its row locked, so a duplicate tick or a retry after a killed worker
does each thing once. Business time comes from the one clock (portal.clock)."""

from celery import shared_task

from billing.checkout.scheduled import scheduled_changes_apply_due
from billing.checkout.services import checkouts_abandon_stale
from portal import clock


@shared_task(acks_late=True)
def abandon_stale_checkouts() -> int:
    """Checkouts left open for a day are recorded as abandoned (for the analytics)."""
    return checkouts_abandon_stale(at=clock.now())


@shared_task(acks_late=True)
def apply_due_scheduled_changes() -> int:
    """Scheduled changes (a downgrade, fewer seats, auto-renew off…) applied on their
    day; one that fails stays scheduled for the next run."""
    return len(scheduled_changes_apply_due(today=clock.today()))
