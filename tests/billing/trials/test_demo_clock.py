"""The demo on the test clock: Acme Robotics, paying for Team and in a Business trial,
owes nothing overdue, so advancing the clock leaves its license active (no dunning hold)
and its trial reminder comes when due."""

import io
from datetime import timedelta

from django.core.management import call_command

from billing.demo import build_invoices, build_subscriptions
from billing.models import Notice, NoticeKind
from licensing.demo.catalog import build_catalog
from licensing.demo.licenses import build_licenses
from licensing.demo.trials import build_trials
from licensing.models import LicenseHold, LicenseStatus, Trial, TrialStatus
from portal import clock, demo
from portal.models import OutboundEmail


def test_acme_stays_active_and_is_reminded_of_its_trial(test_clock, now):
    demo.build_people()
    build_catalog()
    build_licenses()
    build_subscriptions()
    build_invoices()
    build_trials()
    acme = Trial.objects.get(organization__slug="acme-robotics")  # 9 days left

    call_command(
        "clock", "advance", "--to", (clock.today() + timedelta(days=3)).isoformat(),
        stdout=io.StringIO(),
    )  # fmt: skip

    acme.refresh_from_db()
    assert acme.status == TrialStatus.RUNNING
    assert acme.license.status == LicenseStatus.ACTIVE
    assert not LicenseHold.objects.filter(license=acme.license, lifted_at__isnull=True).exists()
    assert Notice.objects.filter(
        kind=NoticeKind.TRIAL_REMINDER, subject=f"trial:{acme.pk}", lead=7
    ).exists()
    assert OutboundEmail.objects.filter(
        subject__startswith="Your Business trial ends in", subject__endswith="(Acme Robotics)"
    ).exists()
