"""Trial reminders go by the clock, not by a status a late job has not updated yet: the
reminder job run at its hour (06:45 UTC, the clock pinned) sends none for a trial on a
license past its term and renewal grace, still stored active because the job that closes
it has not run, as the API already answers it expired; nor for a trial past its end that
the closing job has not reverted yet. Northwind starts a 14-day Business trial on the
suite's now, 14 March 2026: it ends at 00:00 UTC on 28 March, its week's reminder is due on
21 March."""

from datetime import UTC, date, datetime

import pytest
import time_machine

from billing.models import Notice
from billing.trials.tasks import send_trial_reminders
from licensing.licenses.services import Actor
from licensing.models import LicenseStatus, Tier, TrialStatus
from licensing.trials.services import trial_start
from portal.models import OutboundEmail
from tests.helpers.licenses import issue

WEEK_BEFORE = datetime(2026, 3, 21, 6, 45, tzinfo=UTC)
PAST_THE_END = datetime(2026, 3, 28, 6, 45, tzinfo=UTC)


def start_trial(organization, catalog, owner, *, term_end: date):
    license = issue(organization, catalog, term_start=date(2026, 1, 1), term_end=term_end).license
    started = trial_start(
        organization=organization,
        tier=Tier.objects.get(slug="business"),
        actor=Actor.of(owner, "owner"),
    )
    return license, started.trial


@pytest.mark.parametrize(
    "term_end, reminders",
    [
        (date(2026, 12, 31), 1),
        # Its grace ended with 17 March: expired by the clock on the 21st.
        (date(2026, 3, 10), 0),
    ],
    ids=["license-in-its-term", "license-expired-by-the-clock"],
)
def test_a_trial_on_a_license_expired_by_the_clock_gets_no_reminder(
    organization, catalog, owner, term_end, reminders
):
    license, trial = start_trial(organization, catalog, owner, term_end=term_end)

    with time_machine.travel(WEEK_BEFORE, tick=False):
        sent = send_trial_reminders()

    license.refresh_from_db()
    assert license.status == LicenseStatus.ACTIVE  # the closing job has not run
    assert sent == reminders
    assert Notice.objects.filter(subject=f"trial:{trial.pk}").count() == reminders
    reminder = OutboundEmail.objects.filter(subject__startswith="Your Business trial ends in")
    assert reminder.count() == reminders


def test_a_trial_past_its_end_gets_no_reminder_before_the_job_reverts_it(
    organization, catalog, owner
):
    _, trial = start_trial(organization, catalog, owner, term_end=date(2026, 12, 31))

    with time_machine.travel(PAST_THE_END, tick=False):
        sent = send_trial_reminders()

    trial.refresh_from_db()
    assert trial.status == TrialStatus.RUNNING  # the closing job has not run
    assert sent == 0
    assert not Notice.objects.filter(subject=f"trial:{trial.pk}").exists()
    assert not OutboundEmail.objects.filter(subject__contains="trial").exists()
