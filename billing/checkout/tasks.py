"""The checkout's periodic job: checkouts left open for a day are recorded as abandoned
(for the revenue analytics). Idempotent: an abandoned checkout is not touched again, and
each one is closed in its own transaction with its row locked, so a duplicate tick or a
retry after a killed worker records each abandonment once."""

from celery import shared_task

from billing.checkout.services import checkouts_abandon_stale


@shared_task(acks_late=True)
def abandon_stale_checkouts() -> int:
    return checkouts_abandon_stale()
