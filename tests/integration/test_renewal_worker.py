"""The term-end job through the broker, run by a real Celery worker on PostgreSQL and
Redis: the hourly task hands its batches to the worker, every due subscription renews
once, the run is finished with its counts, and each renewal's one email reaches a real
SMTP server. (The SIGKILL test and the 20,000-renewal bench build on this: bench/.)"""

import time
from datetime import date

import pytest

from billing.models import Invoice, Notice, NoticeKind, RenewalRun, RenewalRunStatus
from billing.renewals import tasks
from portal.models import Role
from tests.factories import MembershipFactory, OrganizationFactory
from tests.helpers.checkout import subscribed
from tests.helpers.services import NEEDS_POSTGRESQL, NEEDS_REDIS_BROKER

pytestmark = pytest.mark.integration

LICENSES = 5


def _wait(condition, what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.25)
    raise AssertionError(f"Not within {timeout}s: {what}")


@NEEDS_POSTGRESQL
@NEEDS_REDIS_BROKER
def test_the_worker_renews_each_due_subscription_once(celery_worker_process, smtp_server, catalog):
    # Terms that ended in November: due on the worker's (real) date, December 2026 on.
    licenses = []
    for number in range(LICENSES):
        organization = OrganizationFactory(name=f"Customer {number}", slug=f"customer-{number}")
        MembershipFactory(organization=organization, role=Role.OWNER)
        licenses.append(
            subscribed(
                organization,
                catalog,
                seats=3,
                term_start=date(2026, 11, 1),
                term_end=date(2026, 11, 30),
            )
        )
    tasks.run_term_end.delay()
    tasks.run_term_end.delay()  # a duplicated beat tick

    _wait(
        lambda: (
            Notice.objects.filter(kind=NoticeKind.RENEWED).count() == LICENSES
            and not RenewalRun.objects.filter(status=RenewalRunStatus.RUNNING).exists()
        ),
        "every license renewed and the runs finished",
    )
    for license in licenses:
        license.refresh_from_db()
        assert license.term_start == date(2026, 12, 1)
        assert Invoice.objects.filter(license=license).count() == 1
    runs = RenewalRun.objects.all()
    assert sum(run.renewed for run in runs) == LICENSES
    # Each batch ran once. The broker delivers at least once, and a batch delivered again
    # would renew nothing (it counts again, its licenses as skipped); but nothing hands a
    # message back here: the worker stays up, the visibility timeout is an hour, and the
    # tests that force it run one at a time in this xdist worker (tests/conftest.py).
    assert all(run.batches_done == run.batches for run in runs)
    smtp_server.wait_for(LICENSES)
    time.sleep(2)  # nothing more arrives
    renewed = [m for m in smtp_server.messages if b"renewed until" in m.content]
    assert len(renewed) == LICENSES
