"""The term-end job on real Celery workers, fed through Redis, on PostgreSQL, mailing a
real SMTP server: every due license is renewed exactly once, with one new period, one
invoice and one email, when the worker renewing a batch is SIGKILLed half-way through
its renewals (inside a transaction of them) and the beat ticks again, and when a
duplicated tick hands the same subscriptions to two workers at once.

"Once" is counted three times over: the database (periods per subscription and first
day, invoices, notices, outbox emails), the SMTP server (messages per address: each
organization has one billing address) and the workers' own note of every renewal they
committed (hooked_renewal_worker.py), which no bookkeeping in the database can fake."""

import ast
import collections
import re
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from kombu import Connection

from bench.renewal_rows import address, seed
from billing.models import (
    Invoice,
    Notice,
    NoticeKind,
    RenewalFailure,
    SubscriptionPeriod,
)
from billing.renewals.tasks import AT_ONCE, run_term_end
from licensing.demo.catalog import build_catalog
from licensing.models import License
from portal import clock
from portal.models import OutboundEmail
from tests.helpers.services import NEEDS_POSTGRESQL, NEEDS_REDIS_BROKER
from tests.integration.conftest import _start_worker, _stop_worker

pytestmark = [pytest.mark.integration, NEEDS_POSTGRESQL, NEEDS_REDIS_BROKER]

DUE = 200
# The first worker commits this many renewals of its batch (of 200), then stops inside
# the next one's transaction, every row written, and is killed there.
KILL_AFTER = AT_ONCE  # one transaction of renewals committed; killed inside the next
TIMEOUT = 180.0  # a loaded CI machine; a failure waits this long, a pass does not


class RenewalWorkers:
    """Starts real workers whose term-end step is hooked (hooked_renewal_worker.py): each
    renewal committed is noted in one log shared by all of them."""

    def __init__(self, tmp_path: Path, smtp_server):
        self.tmp_path = tmp_path
        self.smtp_server = smtp_server
        self.renewal_log = tmp_path / "renewals.log"
        self.renewal_log.touch()
        self.processes: list[subprocess.Popen] = []

    def start(self, *, pause_after: int = -1, delay: float = 0) -> subprocess.Popen:
        name = f"renew{len(self.processes) + 1}"
        process = _start_worker(
            self.tmp_path / f"{name}.log",
            module=["tests.integration.hooked_renewal_worker"],
            name=name,
            env={
                "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "EMAIL_HOST": self.smtp_server.host,
                "EMAIL_PORT": str(self.smtp_server.port),
                "TIERWISE_TEST_RENEWAL_LOG": str(self.renewal_log),
                "TIERWISE_TEST_RENEWAL_PAUSE_AFTER": str(pause_after),
                "TIERWISE_TEST_RENEWAL_DELAY": str(delay),
            },
        )
        self.processes.append(process)
        return process

    def events(self, event: str) -> list[int]:
        """The license ids of every `event` (commit, pause) noted, in order."""
        return [
            int(parts[1])
            for line in self.renewal_log.read_text().splitlines()
            if (parts := line.split()) and parts[0] == event
        ]

    def results(self, task: str) -> list[str]:
        """What each run of `task` returned, in every worker's log."""
        pattern = re.compile(
            rf"Task billing\.renewals\.tasks\.{task}\[[^\]]+\] succeeded in \S+: (.+)$"
        )
        return [
            match.group(1)
            for process in self.processes
            for line in process.log_path.read_text().splitlines()
            if (match := pattern.search(line))
        ]

    def renewed_by_batches(self) -> int:
        return sum(ast.literal_eval(result)["renewed"] for result in self.results("renew_batch"))

    def all_ready(self) -> bool:
        return all(
            " ready." in process.log_path.read_text()
            for process in self.processes
            if process.poll() is None
        )

    def wait_for(self, condition: Callable[[], bool], what: str, timeout: float = TIMEOUT):
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                logs = "\n".join(
                    f"--- {p.log_path.name}\n{p.log_path.read_text()[-2000:]}"
                    for p in self.processes
                )
                raise AssertionError(f"Still waiting after {timeout}s for {what}\n{logs}")
            time.sleep(0.2)


@pytest.fixture
def renewal_workers(transactional_db, through_the_broker, smtp_server, tmp_path):
    workers = RenewalWorkers(tmp_path, smtp_server)
    yield workers
    for process in workers.processes:
        _stop_worker(process)


@dataclass(frozen=True)
class Due:
    count: int
    today: date
    subscription_ids: list[int]
    license_ids: set[int]
    addresses: set[str]


@pytest.fixture
def due(request, transactional_db) -> Due:
    """DUE subscriptions (or the test's parameter) whose term ended yesterday (the
    workers' today is the real one), each in an organization with one billing address."""
    build_catalog()
    today = clock.today()
    count = getattr(request, "param", DUE)
    ids = seed(count=count, term_end=today - timedelta(days=1), prefix="due", now=clock.now())
    licenses = License.objects.filter(subscription__in=ids).select_related("organization")
    return Due(
        count=count,
        today=today,
        subscription_ids=ids,
        license_ids={license.pk for license in licenses},
        addresses={address(license.organization.slug) for license in licenses},
    )


def _renewed(due: Due) -> list[int]:
    """The licenses with a period starting today, once per period."""
    return list(
        SubscriptionPeriod.objects.filter(
            subscription_id__in=due.subscription_ids, starts_on=due.today
        ).values_list("subscription__license_id", flat=True)
    )


def _all_delivered(due: Due, smtp_server) -> Callable[[], bool]:
    def done() -> bool:
        return (
            len(_renewed(due)) >= due.count
            and len(smtp_server.messages) >= due.count
            and not OutboundEmail.objects.filter(sent_at__isnull=True).exists()
        )

    return done


def _assert_renewed_once(due: Due, smtp_server) -> None:
    # Late duplicates (a message handed over twice) have a moment to arrive.
    time.sleep(1)
    renewed = collections.Counter(_renewed(due))
    assert set(renewed) == due.license_ids
    assert set(renewed.values()) == {1}
    periods = SubscriptionPeriod.objects.filter(
        subscription_id__in=due.subscription_ids, starts_on=due.today
    )
    assert not periods.filter(invoice__isnull=True).exists()
    invoices = Invoice.objects.filter(license_id__in=due.license_ids, issued_on=due.today)
    per_license = collections.Counter(invoices.values_list("license_id", flat=True))
    assert set(per_license) == due.license_ids and set(per_license.values()) == {1}
    assert set(periods.values_list("invoice_id", flat=True)) == set(
        invoices.values_list("pk", flat=True)
    )
    assert not invoices.filter(number__isnull=True).exists()
    notices = Notice.objects.filter(kind=NoticeKind.RENEWED, license_id__in=due.license_ids)
    assert sorted(notices.values_list("license_id", flat=True)) == sorted(due.license_ids)
    emails = collections.Counter(OutboundEmail.objects.values_list("to", flat=True))
    assert emails == {address: 1 for address in due.addresses}
    assert not OutboundEmail.objects.filter(sent_at__isnull=True).exists()
    delivered = collections.Counter(
        rcpt for message in smtp_server.messages for rcpt in message.rcpt_tos
    )
    assert delivered == {address: 1 for address in due.addresses}
    assert not RenewalFailure.objects.exists()
    # Each license is on its next term: from today, for a year.
    terms = set(
        License.objects.filter(pk__in=due.license_ids).values_list("term_start", "term_end")
    )
    assert {start for start, _ in terms} == {due.today}
    assert all(end > due.today + timedelta(days=360) for _, end in terms)


def _assert_each_batch_finished_once(workers: RenewalWorkers, batches_sent: int) -> None:
    """The broker delivers at least once, and a batch delivered again would renew nothing
    (its licenses count as skipped, as the checks before this one show); but here nothing
    hands a message back but the test itself: the visibility timeout is an hour, and the
    tests that force it run one at a time in this xdist worker (tests/conftest.py). A
    batch finished twice means a message came back from elsewhere."""
    finished = len(workers.results("renew_batch"))
    assert finished == batches_sent, f"{finished} batches finished of {batches_sent} sent"


def _redis_hands_back_unacknowledged_messages() -> None:
    """What Redis does once a message's visibility timeout (an hour) has passed without
    an acknowledgement: it goes back to its queue for another worker."""
    options = {**settings.CELERY_BROKER_TRANSPORT_OPTIONS, "visibility_timeout": 0}
    with Connection(settings.CELERY_BROKER_URL, transport_options=options) as connection:
        connection.default_channel.qos.restore_visible(num=100)


def test_a_worker_killed_half_way_through_a_batch_leaves_every_license_renewed_once(
    renewal_workers, due, smtp_server
):
    first = renewal_workers.start(pause_after=KILL_AFTER)
    renewal_workers.wait_for(renewal_workers.all_ready, "the first worker to start")
    run_term_end.delay()
    renewal_workers.wait_for(
        lambda: renewal_workers.events("pause"), "the first worker to stop inside a renewal"
    )
    first.kill()  # SIGKILL, inside the transaction: no rollback sent, no acknowledgement
    first.wait()

    committed = renewal_workers.events("commit")
    killed = renewal_workers.events("pause")
    assert len(committed) == KILL_AFTER
    assert len(killed) == AT_ONCE
    # PostgreSQL rolled the killed renewals back with their claims: what stands is
    # exactly what the worker committed, and the batch's other licenses are still due.
    assert sorted(_renewed(due)) == sorted(committed)
    assert not set(killed) & set(committed)
    assert not RenewalFailure.objects.exists()

    # The killed worker's batch goes back to the queue (Redis does it once its
    # visibility timeout is over), another worker starts, and the beat ticks again.
    _redis_hands_back_unacknowledged_messages()
    renewal_workers.start()
    run_term_end.delay()
    renewal_workers.wait_for(_all_delivered(due, smtp_server), "every renewal and its email")
    renewal_workers.wait_for(
        lambda: len(renewal_workers.results("run_term_end")) == 2, "the second tick"
    )
    ticks = renewal_workers.results("run_term_end")
    # Each batch sent finishes: the first tick's on the second worker, handed back above.
    batches_sent = sum(1 for result in ticks if result != "None")
    renewal_workers.wait_for(
        lambda: len(renewal_workers.results("renew_batch")) >= batches_sent, "every batch"
    )

    commits = collections.Counter(renewal_workers.events("commit"))
    assert set(commits) == due.license_ids and set(commits.values()) == {1}
    # The batches the second worker ran renewed the rest, and only the rest.
    assert renewal_workers.renewed_by_batches() == due.count - KILL_AFTER
    _assert_renewed_once(due, smtp_server)
    _assert_each_batch_finished_once(renewal_workers, batches_sent)


# Both ticks are sent once both workers are ready: each takes one, and the two batches
# race over the same subscriptions, in the same order, from the first to the last.
@pytest.mark.parametrize("due", [100], indirect=True)
def test_a_duplicated_tick_on_two_workers_renews_each_license_once(
    renewal_workers, due, smtp_server
):
    renewal_workers.start()
    renewal_workers.start()
    renewal_workers.wait_for(renewal_workers.all_ready, "both workers to start")
    run_term_end.delay()
    run_term_end.delay()

    renewal_workers.wait_for(_all_delivered(due, smtp_server), "every renewal and its email")
    renewal_workers.wait_for(
        lambda: len(renewal_workers.results("run_term_end")) == 2, "both ticks"
    )
    batches_sent = sum(1 for r in renewal_workers.results("run_term_end") if r != "None")
    renewal_workers.wait_for(
        lambda: len(renewal_workers.results("renew_batch")) >= batches_sent, "every batch"
    )

    commits = collections.Counter(renewal_workers.events("commit"))
    assert set(commits) == due.license_ids and set(commits.values()) == {1}
    assert renewal_workers.renewed_by_batches() == due.count
    _assert_renewed_once(due, smtp_server)
    _assert_each_batch_finished_once(renewal_workers, batches_sent)
