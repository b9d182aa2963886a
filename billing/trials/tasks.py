"""The trials' Celery tasks (portal/schedule.py: business time, so the test clock runs
them). Thin: each calls billing.trials.notices, idempotent whatever the retries and the
workers (the revert locks its license and trial and finds it closed; a notice is claimed
once)."""

from __future__ import annotations

import logging

from celery import shared_task

from billing.trials.notices import trial_reminders_send, trial_revert_and_tell, trials_past_end
from portal import clock

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, autoretry_for=(Exception,), max_retries=3, retry_backoff=True)
def end_trials() -> int:
    """Revert every running trial past its end, each in its own transaction, with its one
    email; the number reverted by this run. One trial failing is logged and left to the
    next run (it is still past its end then)."""
    at = clock.now()
    reverted = 0
    for trial_id in trials_past_end(at):
        try:
            reverted += trial_revert_and_tell(trial_id=trial_id, at=at)
        except Exception:
            logger.exception("Reverting trial %s failed", trial_id)
    return reverted


@shared_task(acks_late=True, autoretry_for=(Exception,), max_retries=3, retry_backoff=True)
def send_trial_reminders() -> int:
    """Today's trial reminders, each lead once; the number sent."""
    counts = trial_reminders_send(today=clock.today(), at=clock.now())
    return counts.sent
