"""On PostgreSQL, trial jobs at the same moment: two workers expiring trials at once (a
duplicated beat tick) give one revert, one entry in each ledger, one license file and one email
per recipient (licensing.trials.services: the license's row lock, then the trial's);
two reminder runs at once send each reminder once (the Notice is the claim)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from billing.models import Notice, NoticeKind, SubscriptionEvent, SubscriptionEventKind
from billing.trials.tasks import end_trials, send_trial_reminders
from licensing.licenses.services import Actor
from licensing.models import EventKind, LicenseEvent, LicenseFile, Tier, Trial, TrialStatus
from licensing.trials.services import trial_start
from portal.models import OutboundEmail
from tests.helpers.concurrency import run_together
from tests.helpers.services import NEEDS_POSTGRESQL

pytestmark = pytest.mark.integration

END = datetime(2026, 3, 28, tzinfo=UTC)


@pytest.fixture
def started(issued, owner, billing_admin):
    business = Tier.objects.get(slug="business")
    return trial_start(
        organization=issued.license.organization, tier=business, actor=Actor.of(owner, "owner")
    ).trial


@NEEDS_POSTGRESQL
@pytest.mark.django_db(transaction=True)
def test_two_workers_expiring_at_once_revert_once(started, now):
    license = started.license
    events = LicenseEvent.objects.filter(license=license).count()
    files = LicenseFile.objects.filter(license=license).count()

    with time_machine.travel(END + timedelta(minutes=10), tick=False):
        outcomes = run_together([end_trials, end_trials])

    assert not [outcome for outcome in outcomes if isinstance(outcome, Exception)], outcomes
    assert sorted(outcomes) == [0, 1]
    started.refresh_from_db()
    assert started.status == TrialStatus.REVERTED
    assert LicenseEvent.objects.filter(license=license).count() == events + 1
    assert LicenseEvent.objects.filter(kind=EventKind.TRIAL_REVERTED).count() == 1
    reverted = SubscriptionEvent.objects.filter(kind=SubscriptionEventKind.TRIAL_REVERTED)
    assert list(reverted.values_list("trial", flat=True)) == [started.pk]
    assert LicenseFile.objects.filter(license=license).count() == files + 1
    assert Notice.objects.filter(kind=NoticeKind.TRIAL_ENDED).count() == 1
    ended = OutboundEmail.objects.filter(subject__startswith="Your Business trial has ended")
    assert ended.count() == 2  # the owner and the billing admin, once each


@NEEDS_POSTGRESQL
@pytest.mark.django_db(transaction=True)
def test_two_reminder_runs_at_once_send_each_reminder_once(started, now):
    with time_machine.travel(END - timedelta(days=7) + timedelta(hours=6), tick=False):
        outcomes = run_together([send_trial_reminders, send_trial_reminders])

    assert not [outcome for outcome in outcomes if isinstance(outcome, Exception)], outcomes
    assert sorted(outcomes) == [0, 1]
    assert list(Notice.objects.values_list("kind", "lead")) == [(NoticeKind.TRIAL_REMINDER, 7)]
    assert OutboundEmail.objects.filter(subject__contains="trial ends in 7 days").count() == 2
    assert Trial.objects.get(pk=started.pk).status == TrialStatus.RUNNING
