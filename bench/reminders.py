"""Renewal reminders at scale, measured: N annual subscriptions renewing in 90 days (so
each is due its 90-day reminder, to 3 billing recipients) on PostgreSQL, the daily job
dispatched to 2 real Celery worker processes on Redis, timed from the dispatch until every
email has reached a real SMTP server on loopback (aiosmtpd, in this process, as
tests/integration/conftest.py's sink): made, written to the outbox, handed over and
delivered. Then the job is run again, and the sink counts each recipient's messages:
duplicates must be 0.

The baseline, in the same run: as many emails sent from this process over one SMTP
connection (Django's SMTP backend) into the same sink, with no database nor worker: the
ceiling the sink and SMTP set on this machine. The ratio is the reminders' email rate to
the baseline's.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tw_remind \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/2 \\
    .venv/bin/python bench/reminders.py --licenses 500

Measured on the shared 2-core machine (load 5-7), 3 recipients a reminder: before the
batch reads (main at c757edc), 2,000 reminders delivered in 298 s (7 reminders/s, 20
emails/s, every notice written in 80 s; 0.03x the baseline); after, 2,000 in 53 s and
5,000 in 131 s (38 reminders/s, 114 emails/s; notices at 80-130/s; 0.23-0.38x), no
duplicates. Delivery is now the limit: a commit per email (its sent mark) and the SMTP
round trips; 20,000 reminders are 60,000 emails, about what the sink takes from one
client in 2 minutes with no database at all.

The database must exist and be migrated (manage.py migrate); the script adds its own
organizations (slugs "bench-reminders-…") and removes nothing else. The outbox's
delivery tasks run on the same two workers.
"""

from __future__ import annotations

import argparse
import collections
import os
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")


class Sink:
    """An aiosmtpd handler counting each recipient's messages."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: collections.Counter[str] = collections.Counter()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            for address in envelope.rcpt_tos:
                self.received[address.lower()] += 1
        return "250 Message accepted for delivery"

    def total(self, suffix: str = "") -> int:
        with self.lock:
            return sum(n for a, n in self.received.items() if a.endswith(suffix))

    def duplicates(self, suffix: str) -> int:
        with self.lock:
            return sum(n - 1 for a, n in self.received.items() if a.endswith(suffix))


def start_sink():
    import logging

    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # a line per SMTP command

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    return sink, controller


def baseline(sink: Sink, count: int, subject: str, text: str, html: str) -> float:
    """`count` emails like the reminders' over one SMTP connection: seconds taken."""
    from django.core.mail import EmailMultiAlternatives, get_connection

    started = time.monotonic()
    with get_connection() as connection:
        for index in range(count):
            mail = EmailMultiAlternatives(
                subject, text, "bench@bench.test", [f"{index}@baseline.test"], connection=connection
            )
            mail.attach_alternative(html, "text/html")
            mail.send()
    while sink.total("@baseline.test") < count:
        time.sleep(0.01)
    return time.monotonic() - started


def seed(count: int) -> list[int]:
    from django.db import transaction

    from billing.models import BillingDetails, PeriodReason
    from billing.subscriptions.periods import Span
    from billing.subscriptions.services import subscription_create, subscription_period_add
    from licensing.demo.catalog import build_catalog
    from licensing.licenses.services import Actor, license_create
    from licensing.models import License, TierVersion
    from portal import clock
    from portal.models import Membership, Organization, Role, User

    build_catalog()
    today = clock.today()
    version = TierVersion.objects.get(tier__slug="team", status="published")
    actor = Actor(label="bench")
    existing = set(
        License.objects.filter(organization__slug__startswith="bench-reminders-").values_list(
            "organization__slug", flat=True
        )
    )
    for index in range(count):
        slug = f"bench-reminders-{index}"
        if slug in existing:
            continue
        with transaction.atomic():
            organization = Organization.objects.create(name=f"Bench {index}", slug=slug)
            owner = User.objects.create_user(email=f"owner-{index}@bench.test")
            billing = User.objects.create_user(email=f"billing-{index}@bench.test")
            Membership.objects.create(organization=organization, user=owner, role=Role.OWNER)
            Membership.objects.create(organization=organization, user=billing, role=Role.BILLING)
            BillingDetails.objects.create(
                organization=organization,
                legal_name=f"Bench {index} Ltd",
                country="US",
                billing_emails=[f"ap-{index}@bench.test"],
            )
            license = license_create(
                organization=organization,
                version=version,
                seats=5,
                term_start=today - timedelta(days=275),
                term_end=today + timedelta(days=89),  # renews in 90 days
                actor=actor,
                reason="Bench.",
            ).license
            subscription = subscription_create(
                license=license, currency="USD", cycle="annual", actor=actor, reason="Bench."
            )
            subscription_period_add(
                subscription=subscription,
                span=Span(license.term_start, license.term_end),
                reason=PeriodReason.PURCHASE,
                amount=subscription.cycle_price.rounded(),
            )
    return list(
        License.objects.filter(organization__slug__startswith="bench-reminders-")
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def wait_for(count_fn, target: int, timeout: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if count_fn() >= target:
            return time.monotonic() - start
        time.sleep(0.1)
    raise SystemExit(f"Timed out: {count_fn()} of {target} after {timeout:.0f}s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--licenses", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--loglevel", default="warning")
    parser.add_argument("--timeout", type=float, default=1200)
    args = parser.parse_args()

    sink, controller = start_sink()
    os.environ.update(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST=controller.hostname,
        EMAIL_PORT=str(controller.port),
    )
    import django

    django.setup()
    from django.conf import settings

    from billing.models import Notice
    from billing.renewals.reminder_tasks import send_renewal_reminders
    from portal.models import OutboundEmail

    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database of your own.")
    if settings.TEST_CLOCK:
        raise SystemExit("Turn the test clock off (TEST_CLOCK=false): batches go to workers.")
    print(f"Seeding {args.licenses} subscriptions…", flush=True)
    ids = seed(args.licenses)[: args.licenses]
    others = Notice.objects.filter(license__organization__slug__startswith="bench-reminders-")
    others.delete()  # a larger earlier seed's licenses would be reminded too: not measured
    from licensing.models import License

    License.objects.filter(organization__slug__startswith="bench-reminders-").exclude(
        pk__in=ids
    ).update(term_end=django_today() + timedelta(days=400))
    License.objects.filter(pk__in=ids).update(term_end=django_today() + timedelta(days=89))
    OutboundEmail.objects.filter(to__endswith="@bench.test").delete()
    worker = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/celery"),
            "-A",
            "portal",
            "worker",
            "--concurrency",
            str(args.workers),
            "--loglevel",
            args.loglevel,
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
    )
    try:
        time.sleep(8)  # the worker's start, outside the measure
        mine = Notice.objects.filter(license_id__in=ids)
        started = time.monotonic()
        batches = send_renewal_reminders.apply().get()
        wait_for(mine.count, len(ids), timeout=args.timeout)
        notices_done = time.monotonic() - started
        emails = OutboundEmail.objects.filter(to__endswith="@bench.test").count()
        wait_for(lambda: sink.total("@bench.test"), emails, timeout=args.timeout)
        elapsed = time.monotonic() - started
        print(
            f"{len(ids)} reminders in {batches} batches on {args.workers} workers: every notice "
            f"written in {notices_done:.1f} s; {emails} emails delivered to SMTP in "
            f"{elapsed:.1f} s: {len(ids) / elapsed:.0f} reminders/s, {emails / elapsed:.0f} "
            f"emails/s; 20,000 reminders would take ~{20_000 / (len(ids) / elapsed):.0f} s",
            flush=True,
        )
        sample = OutboundEmail.objects.filter(to__endswith="@bench.test").first()
        base = baseline(sink, emails, sample.subject, sample.body_text, sample.body_html)
        print(
            f"baseline: {emails} emails over one SMTP connection from one process, no "
            f"database: {base:.1f} s, {emails / base:.0f} emails/s; "
            f"ratio reminders' emails/s to baseline: {(emails / elapsed) / (emails / base):.2f}x",
            flush=True,
        )
        send_renewal_reminders.apply().get()  # the same day again: nothing more
        time.sleep(10)
        again = OutboundEmail.objects.filter(to__endswith="@bench.test").count()
        print(
            f"Run again: {mine.count()} notices, {again} outbox emails; the SMTP sink got "
            f"{sink.total('@bench.test')} messages for {len(sink_addresses(sink))} recipients "
            f"(duplicates: {sink.duplicates('@bench.test')})",
            flush=True,
        )
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        controller.stop()


def django_today():
    from portal import clock

    return clock.today()


def sink_addresses(sink: Sink) -> list[str]:
    with sink.lock:
        return [a for a in sink.received if a.endswith("@bench.test")]


if __name__ == "__main__":
    main()
