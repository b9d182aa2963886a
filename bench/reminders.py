"""Renewal reminders at scale, measured: N annual subscriptions renewing in 90 days (so
each is due its 90-day reminder) on PostgreSQL, the daily job dispatched to 2 real Celery
worker processes on Redis, timed from the dispatch until every Notice is written (each
reminder's outbox emails are written in the same transaction). Then the job is run again
to show that nothing is sent twice.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tw_remind \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/2 \\
    .venv/bin/python bench/reminders.py --licenses 500

The database must exist and be migrated (manage.py migrate); the script adds its own
organizations (slugs "bench-reminders-…") and removes nothing else. The outbox's
delivery tasks run on the same two workers, into Django's dummy mail backend.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.dummy.EmailBackend")


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
        License.objects.filter(organization__slug__startswith="bench-reminders-").values_list(
            "pk", flat=True
        )
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
    args = parser.parse_args()

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
    ids = seed(args.licenses)
    Notice.objects.filter(license_id__in=ids).delete()
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
        time.sleep(6)  # the worker's start, outside the measure
        mine = Notice.objects.filter(license_id__in=ids)
        started = time.monotonic()
        batches = send_renewal_reminders.apply().get()
        elapsed = wait_for(mine.count, len(ids), timeout=600)
        elapsed = max(elapsed, time.monotonic() - started)
        emails = OutboundEmail.objects.filter(to__endswith="@bench.test").count()
        print(
            f"{len(ids)} reminders in {batches} batches on {args.workers} workers: "
            f"{elapsed:.1f} s, {len(ids) / elapsed:.0f} reminders/s, {emails} outbox emails "
            f"({emails / elapsed:.0f}/s); 20,000 would take ~{20_000 / (len(ids) / elapsed):.0f} s"
        )
        send_renewal_reminders.apply().get()  # the same day again: nothing more
        time.sleep(5)
        again = OutboundEmail.objects.filter(to__endswith="@bench.test").count()
        print(f"Run again: {mine.count()} notices, {again} emails (duplicates: {again - emails})")
    finally:
        worker.terminate()
        worker.wait(timeout=30)


if __name__ == "__main__":
    main()
