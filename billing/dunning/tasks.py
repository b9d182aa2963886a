"""The daily dunning job, on the schedule in portal/schedule.py and on the test clock.
Idempotent: each invoice's step is its own transaction, claimed by its notices' unique
keys, so a duplicated tick, a retry or two workers at once do each step once."""

from celery import shared_task

from billing.dunning.services import dunning_run
from portal import clock


@shared_task(acks_late=True)
def run_dunning() -> dict:
    """Reminders, past due and suspensions due today for every overdue invoice, and the
    settlement sweep."""
    return dunning_run(at=clock.now()).as_dict()
