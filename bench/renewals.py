"""Renewals at scale: N subscriptions due today renewed by the term-end job on real Celery
workers, and N renewal reminders fanned out into a real SMTP server, each beside a
baseline measured in the same run, at several sizes.

For each size (5,000, 10,000 and N = 20,000 unless told otherwise), in a database of its
own copied from a migrated template with the demo catalog:

1. seeds, with bulk_create, N subscriptions due today and N more renewing in 30 days
   (bench/renewal_rows.py: licenses, subscriptions, a purchase period tiling the term,
   its paid invoice, the ledgers; one billing address per organization);
2. counts the SQL statements of one `subscription_renew` (CaptureQueriesContext, rolled
   back) and times the baseline: the rows a renewal writes, for the same N
   subscriptions, written with bulk_create (rolled back);
3. starts the workers (2 by default, `celery worker --pool solo` each, on Redis) and an
   aiosmtpd server on loopback they send the outbox to, sends the term-end job's beat
   tick through the broker and times until every due subscription has its new period
   and every email the renewals queued has reached the SMTP server;
4. sends the reminders' daily tick and times until every reminder has reached it;
5. counts duplicates in the database (periods per subscription and start, invoices per
   period, emails and notices per license) and in the SMTP server (messages per
   address), and prints the rates, the ratio to the baseline and the growth with N.

    .venv/bin/python bench/renewals.py                     # 5k, 10k, 20k
    .venv/bin/python bench/renewals.py --n 2000 --sizes ''  # one quick size
    .venv/bin/python bench/renewals.py --n 5000 --profile 200  # where a batch's time goes
    .venv/bin/python bench/renewals.py --no-renewals           # the reminders alone

Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust) and Redis on 127.0.0.1:6379,
or BENCH_DATABASE_ADMIN_URL / BENCH_REDIS_URL pointing elsewhere on loopback;
BENCH_DATABASE names the template database (each size runs in <name>_run). The Redis
database is flushed.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg
import redis

from bench.common import ADMIN_URL, HOST, PYTHON, ROOT, _free_port, _loopback_only

DATABASE = os.environ.get("BENCH_DATABASE", "tierwise_bench_renewals")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")
QUEUE = "bench-renewals"
TERM_END_TASK = "billing.renewals.tasks.run_term_end"
REMINDER_TASK = "billing.renewals.reminder_tasks.send_renewal_reminders"
REMINDER_DAYS_LEFT = 30


# --- The SMTP sink ------------------------------------------------------------------------


class Sink:
    """An aiosmtpd handler that notes each message's arrival, recipients and subject."""

    def __init__(self):
        self.lock = threading.Lock()
        self.messages: list[tuple[float, tuple[str, ...], str]] = []
        self._parser = BytesHeaderParser(policy=default_policy)

    async def handle_DATA(self, server, session, envelope):
        subject = str(self._parser.parsebytes(envelope.original_content)["Subject"] or "")
        with self.lock:
            self.messages.append((time.monotonic(), tuple(envelope.rcpt_tos), subject))
        return "250 Message accepted for delivery"

    def count(self) -> int:
        return len(self.messages)

    def since(self, index: int) -> list[tuple[float, tuple[str, ...], str]]:
        with self.lock:
            return self.messages[index:]


def start_sink():
    from aiosmtpd.controller import Controller

    sink = Sink()
    controller = Controller(sink, hostname=HOST, port=_free_port())
    controller.start()
    return sink, controller


# --- Environment, databases, workers --------------------------------------------------


def _signing_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return (
        Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )


def _database_url(name: str) -> str:
    return urlsplit(ADMIN_URL)._replace(path=f"/{name}").geturl()


def environment(database: str, var_dir: Path, smtp_port: int) -> dict[str, str]:
    """Production settings (DEBUG off) on loopback services; the same for this process and
    the workers."""
    return {
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DEBUG": "false",
        "TEST_CLOCK": "false",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "DATABASE_URL": _database_url(database),
        "CACHE_URL": REDIS_URL,
        "CELERY_BROKER_URL": REDIS_URL,
        "CELERY_QUEUE": QUEUE,
        "ALLOWED_HOSTS": HOST,
        "SITE_URL": "http://127.0.0.1:8000",
        "SECURE_SSL_REDIRECT": "false",
        "STAFF_REQUIRE_MFA": "false",
        "TIERWISE_VAR_DIR": str(var_dir),
        "LICENSE_SIGNING_KEY": _signing_key(),
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": HOST,
        "EMAIL_PORT": str(smtp_port),
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
    }


def _admin(sql: str) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


def _drop(name: str) -> None:
    _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def use_database(name: str) -> None:
    """Points this process's Django connection at `name` (no pool in this process)."""
    from django.db import connection, connections

    connections.close_all()
    connection.settings_dict["NAME"] = name


def prepare_template(template: str, *, reuse: bool) -> None:
    """A migrated database with the demo catalog, copied for each size."""
    from django.core.management import call_command

    from licensing.demo.catalog import build_catalog

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template]).fetchone()
    if exists and reuse:
        print(f"Reusing the template database {template}.", flush=True)
        return
    _drop(template)
    _admin(f"CREATE DATABASE {template}")
    use_database(template)
    started = time.perf_counter()
    call_command("migrate", "--noinput", verbosity=0)
    build_catalog()
    print(f"Template {template}: migrated, catalog built ({time.perf_counter() - started:.0f} s)")
    use_database("postgres")


def copy_database(template: str, name: str) -> None:
    from django.db import connections

    connections.close_all()
    _drop(name)
    _admin(f"CREATE DATABASE {name} TEMPLATE {template}")
    use_database(name)


@dataclass
class Workers:
    env: dict[str, str]
    log_dir: Path
    queues: str
    processes: list[subprocess.Popen] = field(default_factory=list)

    def start(self, count: int) -> None:
        for n in range(1, count + 1):
            log_path = self.log_dir / f"worker{n}.log"
            command = [
                PYTHON, "-m", "celery", "-A", "portal", "worker",
                "--pool", "solo", "--queues", self.queues, "--hostname", f"bench{n}@%h",
                "--without-gossip", "--without-mingle", "--without-heartbeat",
                "--loglevel", "info",
            ]  # fmt: skip
            with log_path.open("w") as log:
                process = subprocess.Popen(
                    command, cwd=ROOT, env={**os.environ, **self.env}, stdout=log, stderr=log
                )
            process.log_path = log_path
            self.processes.append(process)
        deadline = time.monotonic() + 60
        while not all(" ready." in p.log_path.read_text() for p in self.processes):
            if any(p.poll() is not None for p in self.processes) or time.monotonic() > deadline:
                self.stop()
                sys.exit(f"A worker did not start; its log:\n{self.tail()}")
            time.sleep(0.2)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes = []

    def tail(self, chars: int = 3000) -> str:
        return "\n".join(
            f"--- {p.log_path.name}\n{p.log_path.read_text()[-chars:]}" for p in self.processes
        )

    def errors(self) -> list[str]:
        lines = []
        for process in self.processes:
            for line in process.log_path.read_text().splitlines():
                if re.search(r"\b(ERROR|CRITICAL)\b|Traceback|raised unexpected", line):
                    lines.append(f"{process.log_path.name}: {line[:300]}")
        return lines


# --- Measuring ------------------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    expected: int
    seconds: float | None = None  # until the database shows every one done
    delivered_seconds: float | None = None  # until the SMTP server has every email
    done: int = 0
    messages: int = 0
    load: tuple[float, float] = (0.0, 0.0)  # the 1-minute load average at start and end

    def rate(self, seconds: float | None, count: int) -> str:
        if not seconds:
            return "n/a"
        return f"{count / seconds:,.0f}/s"


def _queue_length(client: redis.Redis) -> int:
    return client.llen(QUEUE)


def wait_for(
    phase: Phase,
    *,
    done,
    outbox_unsent,
    sink: Sink,
    sink_start: int,
    started: float,
    timeout: float,
    workers: Workers,
) -> None:
    """Polls until `done()` reaches the expected count and the SMTP server has every email
    the outbox holds (none left unsent), or until `timeout` or a stall."""
    broker = redis.Redis.from_url(REDIS_URL)
    phase.load = (os.getloadavg()[0], 0.0)
    last_progress, last_seen, last_print = time.monotonic(), (-1, -1), 0.0
    while True:
        now = time.monotonic()
        count, unsent = done(), outbox_unsent()
        messages = sink.count() - sink_start
        if phase.seconds is None and count >= phase.expected:
            phase.seconds = now - started
        if phase.seconds is not None and unsent == 0 and _queue_length(broker) == 0:
            # Every email queued is out of the outbox: the last one reached the server.
            arrivals = sink.since(sink_start)
            phase.delivered_seconds = (arrivals[-1][0] - started) if arrivals else None
            phase.done, phase.messages = count, messages
            phase.load = (phase.load[0], os.getloadavg()[0])
            return
        if (count, messages) != last_seen:
            last_seen, last_progress = (count, messages), now
        if now - last_print >= 10:
            last_print = now
            print(
                f"  {now - started:6.1f} s: {phase.name} {count:,}/{phase.expected:,}, "
                f"emails delivered {messages:,}, outbox unsent {unsent:,}, "
                f"queue {_queue_length(broker):,}",
                flush=True,
            )
        if now - started > timeout or now - last_progress > 90:
            why = "timed out" if now - started > timeout else "no progress for 90 s"
            print(f"  {phase.name}: {why} at {count:,}/{phase.expected:,}", flush=True)
            for line in workers.errors()[-10:]:
                print("   ", line)
            phase.done, phase.messages = count, messages
            phase.load = (phase.load[0], os.getloadavg()[0])
            return
        time.sleep(1)


def sql_per_renewal(subscription_ids: list[int], today) -> int:
    """The statements of one renewal: the third of three in a transaction rolled back, so
    the first two have warmed what a worker keeps warm."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from billing.models import Subscription
    from billing.renewals import services

    with transaction.atomic():
        for subscription_id in subscription_ids[:3]:
            subscription = Subscription.objects.get(pk=subscription_id)
            with CaptureQueriesContext(connection) as queries:
                services.subscription_renew(subscription=subscription, today=today)
        captured = list(queries.captured_queries)
        transaction.set_rollback(True)
    kinds = collections.Counter()
    for query in captured:
        sql = query["sql"].lstrip()
        verb = sql.split(None, 1)[0].upper()
        table = re.search(r'(?:FROM|INTO|UPDATE)\s+"([a-z_]+)"', sql)
        kinds[(verb, table.group(1) if table else "")] += 1
    print(f"SQL statements per renewal: {len(captured)}")
    for (verb, table), count in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"    {count:3d} {verb:<9} {table}")
    return len(captured)


def profile_batch(ids: list[int], today, top: int = 35) -> None:
    """`subscription_renew` over `ids` in this process under cProfile, rolled back."""
    import cProfile
    import io
    import pstats

    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from billing.models import Subscription
    from billing.renewals import services

    profiler = cProfile.Profile()
    with transaction.atomic():
        subscriptions = list(Subscription.objects.filter(pk__in=ids))
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            profiler.enable()
            for subscription in subscriptions:
                with transaction.atomic():
                    services.subscription_renew(subscription=subscription, today=today)
            profiler.disable()
        took = time.perf_counter() - started
        transaction.set_rollback(True)
    sql = sum(float(q["time"]) for q in queries.captured_queries)
    print(
        f"\n-- profile: {len(ids)} renewals in one process: {took / len(ids) * 1000:.1f} ms each "
        f"under cProfile; {len(queries.captured_queries) / len(ids):.1f} statements each, "
        f"{sql / len(ids) * 1000:.1f} ms of them waiting on PostgreSQL --"
    )
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(r"(billing|licensing|portal|django/template)/", top)
    print(out.getvalue().split("function)", 1)[-1])


def duplicates(due_ids: list[int], reminder_ids: list[int], today, sink_messages) -> list[str]:
    """Counted in the database and in the SMTP server; a line per finding, empty if none."""
    from django.db.models import Count

    from billing.models import Invoice, Notice, NoticeKind, SubscriptionPeriod
    from portal.models import OutboundEmail

    problems = []
    periods = SubscriptionPeriod.objects.filter(subscription_id__in=due_ids, starts_on=today)
    per_subscription = periods.values("subscription_id").annotate(n=Count("pk"))
    renewed = {row["subscription_id"]: row["n"] for row in per_subscription}
    if missing := len(set(due_ids) - set(renewed)):
        problems.append(f"{missing} due subscriptions have no period from {today}")
    if twice := sum(1 for n in renewed.values() if n > 1):
        problems.append(f"{twice} subscriptions have more than one period from {today}")
    others = SubscriptionPeriod.objects.filter(starts_on=today).exclude(subscription_id__in=due_ids)
    if early := others.count():
        problems.append(f"{early} subscriptions not due got a period from {today}")
    without_invoice = periods.filter(invoice__isnull=True).count()
    if without_invoice:
        problems.append(f"{without_invoice} new periods have no invoice")
    invoices = Invoice.objects.filter(periods__in=periods).values("periods").annotate(n=Count("pk"))
    if twice := sum(1 for row in invoices if row["n"] > 1):
        problems.append(f"{twice} new periods billed by more than one invoice")
    license_invoices = (
        Invoice.objects.filter(license__subscription__in=due_ids, issued_on=today)
        .values("license_id")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )
    if twice := license_invoices.count():
        problems.append(f"{twice} licenses got more than one invoice today")
    notices = (
        Notice.objects.values("kind", "subject", "period").annotate(n=Count("pk")).filter(n__gt=1)
    )
    if twice := notices.count():
        problems.append(f"{twice} notices written twice")
    reminded = Notice.objects.filter(
        kind=NoticeKind.RENEWAL_REMINDER, license__subscription__in=reminder_ids
    ).count()
    if reminder_ids and reminded != len(reminder_ids):
        problems.append(f"{reminded} reminder notices for {len(reminder_ids)} licenses")
    emails = OutboundEmail.objects.values("to", "subject").annotate(n=Count("pk")).filter(n__gt=1)
    if twice := emails.count():
        problems.append(f"{twice} outbox emails queued twice (same address and subject)")
    if unsent := OutboundEmail.objects.filter(sent_at__isnull=True).count():
        problems.append(f"{unsent} outbox emails never sent")
    per_message = collections.Counter((rcpt, subject) for _, rcpt, subject in sink_messages)
    if twice := sum(1 for n in per_message.values() if n > 1):
        problems.append(f"{twice} messages reached the SMTP server more than once")
    sent = OutboundEmail.objects.count()
    if len(sink_messages) != sent:
        problems.append(
            f"the SMTP server got {len(sink_messages)} messages for {sent} in the outbox"
        )
    return problems


def _families(messages) -> str:
    """How many messages per kind of subject (digits and names left out), and the most
    any address got."""
    families = collections.defaultdict(collections.Counter)
    for _, rcpt, subject in messages:
        family = re.sub(r"[\d][\d,.\-/]*", "#", subject.split(":")[0])[:60]
        families[family][rcpt] += 1
    return "; ".join(
        f"{family!r}: {sum(c.values()):,} to {len(c):,} addresses (at most {max(c.values())} each)"
        for family, c in families.items()
    )


@dataclass
class Result:
    size: int
    seed: float
    baseline: float
    renew: Phase
    remind: Phase | None
    problems: list[str]

    @property
    def baseline_rate(self) -> float:
        return self.size / self.baseline if self.baseline else 0.0


def _tick(args, phase: Phase, task: str, done, *, sink: Sink, workers: Workers) -> None:
    """Send `task`'s beat tick (`args.ticks` times), then wait until `done()` counts every
    one of the phase done and every email queued meanwhile has reached the SMTP server."""
    from portal.celery import app
    from portal.models import OutboundEmail

    mark = sink.count()
    started = time.monotonic()
    for _ in range(args.ticks):
        app.send_task(task, queue=QUEUE)
    wait_for(
        phase,
        done=done,
        outbox_unsent=lambda: OutboundEmail.objects.filter(sent_at__isnull=True).count(),
        sink=sink,
        sink_start=mark,
        started=started,
        timeout=args.timeout,
        workers=workers,
    )
    print(f"  emails: {_families(sink.since(mark))}")


def run_size(args, size: int, template: str, env: dict, sink: Sink, log_dir: Path) -> Result:
    from bench import renewal_rows
    from billing.models import Notice, NoticeKind, SubscriptionPeriod
    from portal import clock

    run_db = f"{template}_run"
    print(f"\n=== {size:,} subscriptions due today (database {run_db}) ===", flush=True)
    copy_database(template, run_db)
    redis.Redis.from_url(REDIS_URL).flushdb()
    today, now = clock.today(), clock.now()
    started = time.perf_counter()
    from datetime import timedelta

    due_ids = renewal_rows.seed(
        count=0 if args.no_renewals else size,
        term_end=today - timedelta(days=1),
        prefix="due",
        now=now,
    )
    reminder_ids = []
    if not args.no_reminders:
        reminder_ids = renewal_rows.seed(
            count=size,
            term_end=today + timedelta(days=REMINDER_DAYS_LEFT - 1),
            prefix="soon",
            now=now,
        )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    seeded = time.perf_counter() - started
    print(
        f"seeded {len(due_ids) + len(reminder_ids):,} subscriptions in {seeded:.1f} s", flush=True
    )

    if args.sql and due_ids:
        sql_per_renewal(due_ids, today)
    if args.profile:
        profile_batch(due_ids[: args.profile], today)
        if args.profile_only:
            return None
    took = 0.0
    if due_ids:
        took, counts = renewal_rows.baseline(due_ids, today=today, now=now)
        print(
            f"baseline: the rows of {size:,} renewals with bulk_create in {took:.1f} s "
            f"({size / took:,.0f} renewals' rows/s): "
            + ", ".join(f"{v:,} {k}" for k, v in counts.items()),
            flush=True,
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    connection.close()

    workers = Workers({**env, "DATABASE_URL": _database_url(run_db)}, log_dir, queues=args.queues)
    workers.start(args.workers)
    first_message = sink.count()  # the sink serves every size: count this size's only
    try:
        renew = Phase("renewed", len(due_ids))
        if due_ids:
            print(f"{args.workers} workers ready; the term-end tick", flush=True)
            # Only the due subscriptions renew today: no list of N ids in a query polled
            # every second, which would cost more the larger N.
            renewed = SubscriptionPeriod.objects.filter(starts_on=today).count
            _tick(args, renew, args.term_end_task, renewed, sink=sink, workers=workers)
        remind = None
        if reminder_ids and due_ids and renew.seconds is None:
            print("the reminders are left out: the renewals did not finish", flush=True)
        elif reminder_ids:
            print("the reminders' tick", flush=True)
            remind = Phase("reminded", size)
            reminded = Notice.objects.filter(kind=NoticeKind.RENEWAL_REMINDER).count
            _tick(args, remind, args.reminder_task, reminded, sink=sink, workers=workers)
        # Late duplicates have a moment to arrive before anything is counted.
        time.sleep(args.settle)
        errors = workers.errors()
    finally:
        workers.stop()
    problems = duplicates(due_ids, reminder_ids, today, sink.since(first_message))
    if errors:
        problems.append(f"{len(errors)} error lines in the workers' logs, e.g. {errors[0]}")
    connection.close()
    if not args.keep:
        _drop(run_db)
    return Result(size, seeded, took, renew, remind, problems)


def _seconds(value: float | None) -> str:
    return f"{value:7.1f} s" if value else "    n/a"


def report(results: list[Result], args) -> None:
    print("\n=== Renewals at scale ===")
    print(
        f"{args.workers} worker processes (celery --pool solo) on Redis, PostgreSQL, "
        f"aiosmtpd on loopback; {os.cpu_count()} cores"
    )
    header = (
        f"{'N':>7} {'renewed':>9} {'renewals/s':>11} {'baseline/s':>11} {'ratio':>6} "
        f"{'delivered':>10} {'emails/s':>9} {'reminded':>10} {'reminders/s':>12}"
    )
    print(header)
    for r in results:
        renew_rate = r.renew.done / r.renew.seconds if r.renew.seconds else 0
        ratio = f"{renew_rate / r.baseline_rate:.3f}" if renew_rate and r.baseline_rate else "n/a"
        emails = (
            f"{r.renew.messages / r.renew.delivered_seconds:,.0f}"
            if r.renew.delivered_seconds
            else "n/a"
        )
        remind = r.remind
        remind_time = remind.delivered_seconds if remind else None
        print(
            f"{r.size:>7,} {_seconds(r.renew.seconds):>9} {renew_rate:>11,.0f} "
            f"{r.baseline_rate:>11,.0f} {ratio:>6} {_seconds(r.renew.delivered_seconds):>10} "
            f"{emails:>9} {_seconds(remind_time):>10} "
            f"{(remind.messages / remind_time if remind_time else 0):>12,.0f}"
        )
    if len(results) > 1:
        first, last = results[0], results[-1]
        grew = []
        if first.renew.seconds and last.renew.seconds:
            grew.append(f"{last.renew.seconds / first.renew.seconds:.2f}x the time to renew")
        if (
            first.remind
            and last.remind
            and first.remind.delivered_seconds
            and last.remind.delivered_seconds
        ):
            ratio = last.remind.delivered_seconds / first.remind.delivered_seconds
            grew.append(f"{ratio:.2f}x to remind")
        if grew:
            size = last.size / first.size
            print(f"growth: {size:.1f}x the subscriptions took " + " and ".join(grew))
    for r in results:
        loads = [f"renewals {r.renew.load[0]:.1f} to {r.renew.load[1]:.1f}"]
        if r.remind:
            loads.append(f"reminders {r.remind.load[0]:.1f} to {r.remind.load[1]:.1f}")
        print(f"load average (1 min) at {r.size:,}: " + ", ".join(loads))
    for r in results:
        verdict = "none" if not r.problems else "; ".join(r.problems)
        print(f"duplicates and gaps at {r.size:,}: {verdict}")
    aim = results[-1]
    for name, seconds in (
        ("renewals", aim.renew.delivered_seconds or aim.renew.seconds),
        ("reminders", aim.remind.delivered_seconds if aim.remind else None),
    ):
        if seconds:
            verdict = "met" if seconds < 120 else "missed"
            print(f"aim ({aim.size:,} {name} in under 2 minutes): {verdict}, {seconds:.0f} s")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="the largest size")
    parser.add_argument(
        "--sizes", default="5000,10000", help="smaller sizes first, comma-separated ('' none)"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--queues", default=QUEUE, help="the queues the workers consume")
    parser.add_argument("--ticks", type=int, default=1, help="beat ticks sent (2: duplicated)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per phase")
    parser.add_argument("--settle", type=float, default=3, help="seconds before counting")
    parser.add_argument("--no-reminders", action="store_true")
    parser.add_argument(
        "--no-renewals", action="store_true", help="the reminders only (nothing due today)"
    )
    parser.add_argument("--no-sql", dest="sql", action="store_false")
    parser.add_argument("--profile", type=int, default=0, metavar="RENEWALS")
    parser.add_argument(
        "--profile-only", action="store_true", help="stop after the profile (no workers)"
    )
    parser.add_argument("--term-end-task", default=TERM_END_TASK)
    parser.add_argument("--reminder-task", default=REMINDER_TASK)
    parser.add_argument("--reuse-template", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the last size's database")
    args = parser.parse_args(argv)
    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip() and int(s) < args.n})
    sizes.append(args.n)

    _loopback_only(ADMIN_URL)
    _loopback_only(REDIS_URL)
    var_dir = Path(tempfile.mkdtemp(prefix="tierwise-bench-renewals-"))
    sink, controller = start_sink()
    env = environment(DATABASE, var_dir, controller.port)
    os.environ.update(env)
    import django

    django.setup()
    from django.db import connection

    connection.settings_dict.get("OPTIONS", {}).pop("pool", None)
    results = []
    try:
        prepare_template(DATABASE, reuse=args.reuse_template)
        for size in sizes:
            result = run_size(args, size, DATABASE, env, sink, var_dir)
            if result is None:
                continue
            results.append(result)
            report(results, args)
    finally:
        controller.stop()
        from django.db import connections

        connections.close_all()
        if not args.reuse_template and not args.keep:
            _drop(DATABASE)
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
