"""A real Celery worker (`celery -A portal worker` with the same arguments) whose term-end
step is hooked for the integration tests, read from the environment:

- TIERWISE_TEST_RENEWAL_LOG: a file that gets a line per renewal committed ("commit
  <license id> <pid>") and one per renewal inside the transaction where the worker stops
  ("pause …"), so a test knows what really committed in which process, whatever the
  database says;
- TIERWISE_TEST_RENEWAL_PAUSE_AFTER: after this many renewals committed in this process,
  the next transaction of renewals stops for good, once every row of it is written and
  before it commits (their periods, the claims, included): the moment to SIGKILL it;
- TIERWISE_TEST_RENEWAL_DELAY: seconds each transaction of renewals takes first, so two
  workers overlap.

Nothing in the application knows about these hooks: they are patched in here, before the
worker starts. The hooks wrap the two ways the term-end batch renews:
`billing.renewals.batch.subscriptions_renew` (many subscriptions in one transaction) and
`billing.renewals.services.subscription_term_end` (one at a time), each in a transaction
of its own: the service's own becomes a savepoint of it, and what it hands over on
commit (the emails to the outbox's worker) waits for the outer commit, as it would."""

import os
import sys
import time
from functools import partial
from pathlib import Path

import django

django.setup()

from django.db import transaction  # noqa: E402

from billing.renewals import batch, services  # noqa: E402
from portal.celery import app  # noqa: E402

RENEWAL_LOG = Path(os.environ["TIERWISE_TEST_RENEWAL_LOG"])
PAUSE_AFTER = int(os.environ.get("TIERWISE_TEST_RENEWAL_PAUSE_AFTER", "-1"))
DELAY = float(os.environ.get("TIERWISE_TEST_RENEWAL_DELAY", "0"))
real_term_end = services.subscription_term_end
real_renew = batch.subscriptions_renew
committed = 0


def _note(event: str, license_id: int) -> None:
    global committed
    if event == "commit":
        committed += 1
    with RENEWAL_LOG.open("a") as log:
        log.write(f"{event} {license_id} {os.getpid()}\n")


def _renewed(license_ids: list[int]) -> None:
    """Inside the renewals' transaction, every row written."""
    if license_ids and 0 <= PAUSE_AFTER <= committed:
        for license_id in license_ids:
            _note("pause", license_id)
        time.sleep(3600)  # until the test kills the worker
    for license_id in license_ids:
        transaction.on_commit(partial(_note, "commit", license_id))


def hooked_term_end(**kwargs):
    time.sleep(DELAY)
    with transaction.atomic():
        result = real_term_end(**kwargs)
        if result.outcome == services.Outcome.RENEWED:
            _renewed([result.license_id])
    return result


def hooked_renew(subscription_ids, **kwargs):
    time.sleep(DELAY)
    with transaction.atomic():
        done = real_renew(subscription_ids, **kwargs)
        _renewed([result.license_id for result in done.results.values()])
    return done


services.subscription_term_end = hooked_term_end
batch.subscriptions_renew = hooked_renew

if __name__ == "__main__":
    app.worker_main(["worker", *sys.argv[1:]])
