"""A real Celery worker (`celery -A portal worker` with the same arguments) whose invoice
PDF render step is hooked for the integration tests, read from the environment:

- TIERWISE_TEST_RENDER_LOG: a file that gets a line per render started, failed and done,
  so a test counts the renders that really happened, whatever the database says;
- TIERWISE_TEST_RENDER_DELAY: seconds each render takes first, long enough to kill the
  worker half-way;
- TIERWISE_TEST_RENDER_FAILURES: how many renders fail before one succeeds;
- TIERWISE_TEST_RETRY_COUNTDOWN: seconds before a retry, instead of the production 30 s
  backoff, so a retry happens within the test.

Nothing in the application knows about these hooks: they are patched in here, before the
worker starts."""

import os
import sys
import time
from pathlib import Path

import django

django.setup()

import billing.tasks  # noqa: E402
import portal.claims  # noqa: E402
from portal.celery import app  # noqa: E402

RENDER_LOG = Path(os.environ["TIERWISE_TEST_RENDER_LOG"])
RENDER_DELAY = float(os.environ.get("TIERWISE_TEST_RENDER_DELAY", "0"))
RETRY_COUNTDOWN = int(os.environ.get("TIERWISE_TEST_RETRY_COUNTDOWN", "1"))
failures_left = int(os.environ.get("TIERWISE_TEST_RENDER_FAILURES", "0"))
real_render_pdf = billing.tasks.render_pdf


def _note(event: str) -> None:
    with RENDER_LOG.open("a") as log:
        log.write(f"{event} {os.getpid()}\n")


def hooked_render_pdf(template: str, context: dict) -> bytes:
    global failures_left
    _note("start")
    time.sleep(RENDER_DELAY)
    if failures_left:
        failures_left -= 1
        _note("fail")
        raise OSError("Simulated render failure")
    pdf = real_render_pdf(template, context)
    _note("done")
    return pdf


billing.tasks.render_pdf = hooked_render_pdf
portal.claims.retry_countdown = lambda retries: RETRY_COUNTDOWN

if __name__ == "__main__":
    app.worker_main(["worker", *sys.argv[1:]])
