"""The trials' jobs: the revert of each trial past its end (once: one ledger entry, one
license file, one email per recipient with its TRIAL_ENDED notice), and the reminders on
the test clock (7 days and 1 day before the end, each once, none after the trial
closed), with the usage summary and the two choices."""

import io
from datetime import date, timedelta

import pytest
from django.core.management import call_command

from billing.models import BillingDetails, Notice, NoticeKind
from billing.trials.notices import next_trial_end, trial_page_url
from billing.trials.tasks import end_trials, send_trial_reminders
from licensing.licenses.services import Actor
from licensing.models import (
    EventKind,
    Feature,
    FeatureUse,
    LicenseEvent,
    LicenseFile,
    LicenseStatus,
    Tier,
    TrialStatus,
)
from licensing.trials.services import trial_close_converted, trial_end, trial_start
from portal import clock
from portal.models import OutboundEmail
from tests.billing.trials.conftest import END

pytestmark = pytest.mark.usefixtures("test_clock")


def advance(to: date) -> None:
    """The site's date, at the same time of day (09:30 UTC)."""
    call_command("clock", "advance", "--to", to.isoformat(), stdout=io.StringIO())


def trial_notices(**filters) -> list[tuple[str, int, date]]:
    rows = Notice.objects.filter(subject__startswith="trial:", **filters)
    return sorted(rows.values_list("kind", "lead", "sent_on"), key=lambda row: (row[2], row[0]))


def test_the_job_reverts_a_trial_past_its_end_once(started, owner, billing_admin):
    license = started.trial.license
    events = LicenseEvent.objects.filter(license=license).count()
    files = LicenseFile.objects.filter(license=license).count()
    advance(date(2026, 3, 27))  # its last day, 09:30
    started.trial.refresh_from_db()
    assert started.trial.status == TrialStatus.RUNNING

    advance(date(2026, 3, 28))
    assert end_trials() == 0  # a second run finds nothing

    started.trial.refresh_from_db()
    assert started.trial.status == TrialStatus.REVERTED
    assert started.trial.ended_at == END + timedelta(minutes=10)  # the first tick past it
    assert LicenseEvent.objects.filter(license=license).count() == events + 1
    assert LicenseEvent.objects.filter(license=license, kind=EventKind.TRIAL_REVERTED).count() == 1
    assert LicenseFile.objects.filter(license=license).count() == files + 1
    assert trial_notices(kind=NoticeKind.TRIAL_ENDED) == [
        (NoticeKind.TRIAL_ENDED, 0, date(2026, 3, 28))
    ]
    ended = OutboundEmail.objects.filter(subject__startswith="Your Business trial has ended")
    assert sorted(ended.values_list("to", flat=True)) == sorted([owner.email, billing_admin.email])
    body = ended.first().body_text
    assert "You are back on Team, at the price you paid before" in body
    assert "ended at the end of 27 March 2026" in body
    license.refresh_from_db()
    assert license.status == LicenseStatus.ACTIVE


def test_the_job_is_quiet_until_the_next_trial_ends(started):
    assert next_trial_end(clock.now()) == END
    trial_end(trial=started.trial, actor=Actor(label="owner"))
    assert next_trial_end(clock.now()) is None


def test_a_trial_license_expires_and_is_told_so(organization, owner, catalog):
    business = Tier.objects.get(slug="business")
    started = trial_start(organization=organization, tier=business, actor=Actor.of(owner))
    advance(date(2026, 3, 28))
    license = started.trial.license
    license.refresh_from_db()
    assert license.status == LicenseStatus.EXPIRED
    [email] = OutboundEmail.objects.filter(subject__startswith="Your Business trial has ended")
    assert "Its license has expired" in email.body_text


def test_reminders_come_a_week_and_a_day_before_the_end(started, owner, billing_admin):
    organization = started.trial.organization
    BillingDetails.objects.update_or_create(
        organization=organization, defaults={"billing_emails": ["ap@northwind.test"]}
    )
    audit = Feature.objects.get(key="audit-log")
    FeatureUse.objects.create(
        license=started.trial.license,
        feature=audit,
        count=12,
        used_at=clock.now() + timedelta(hours=1),
        idempotency_key="k1",
        batch="00000000-0000-0000-0000-000000000001",
    )
    advance(date(2026, 3, 20))
    assert trial_notices(kind=NoticeKind.TRIAL_REMINDER) == []

    advance(date(2026, 3, 22))
    assert trial_notices() == [(NoticeKind.TRIAL_REMINDER, 7, date(2026, 3, 21))]
    week = OutboundEmail.objects.filter(subject__startswith="Your Business trial ends in 7 days")
    assert sorted(week.values_list("to", flat=True)) == sorted(
        [owner.email, billing_admin.email, "ap@northwind.test"]
    )
    text, html = week.first().body_text, week.first().body_html
    assert "Audit log export: used 12 times. Every change on record" in text
    assert "not used yet" in text  # the features never used are listed too
    assert "/app/northwind/checkout/?tier=business" in text
    assert trial_page_url(started.trial) in text
    assert f"/app/northwind/trials/{started.trial.pk}/" in text
    assert "Then you are back on Team" in text
    assert "Audit log" in html and "?tier=business" in html

    advance(date(2026, 3, 27))
    assert trial_notices(kind=NoticeKind.TRIAL_REMINDER) == [
        (NoticeKind.TRIAL_REMINDER, 7, date(2026, 3, 21)),
        (NoticeKind.TRIAL_REMINDER, 1, date(2026, 3, 27)),
    ]
    assert (
        OutboundEmail.objects.filter(subject__startswith="Your Business trial ends today").count()
        == 3
    )
    assert send_trial_reminders() == 0  # sent once, whatever the runs


def test_no_reminder_after_the_trial_closed(started, owner):
    with_checkout = Actor.of(owner, "owner")
    trial_close_converted(trial=started.trial, at=clock.now(), actor=with_checkout)
    advance(date(2026, 3, 29))
    assert trial_notices() == []
    assert not OutboundEmail.objects.filter(subject__contains="trial").exists()


def test_a_short_trial_is_reminded_half_way_and_on_its_last_day(organization, owner, catalog):
    team = Tier.objects.get(slug="team")
    team.trial_days = 6
    team.save()
    trial_start(organization=organization, tier=team, actor=Actor.of(owner))  # 14-19 March
    advance(date(2026, 3, 21))
    assert [lead for _kind, lead, _on in trial_notices(kind=NoticeKind.TRIAL_REMINDER)] == [3, 1]
    assert [on for _kind, _lead, on in trial_notices(kind=NoticeKind.TRIAL_REMINDER)] == [
        date(2026, 3, 17),
        date(2026, 3, 19),
    ]


def test_an_extended_trial_is_reminded_again_before_its_new_end(started, teammate, admin_user):
    from licensing.trials.services import trial_extend

    advance(date(2026, 3, 22))  # the 7-day reminder of 27 March
    trial_extend(
        trial=started.trial, days=14, actor=Actor.of(admin_user, "admin"), reason="Pilot slipped."
    )
    advance(date(2026, 4, 11))  # the new last day: 10 April
    assert trial_notices(kind=NoticeKind.TRIAL_REMINDER) == [
        (NoticeKind.TRIAL_REMINDER, 7, date(2026, 3, 21)),
        (NoticeKind.TRIAL_REMINDER, 7, date(2026, 4, 4)),
        (NoticeKind.TRIAL_REMINDER, 1, date(2026, 4, 10)),
    ]
    assert trial_notices(kind=NoticeKind.TRIAL_ENDED) == [
        (NoticeKind.TRIAL_ENDED, 0, date(2026, 4, 11))
    ]
    # Members read the dashboard; the emails go to those who can act.
    assert not OutboundEmail.objects.filter(to=teammate.email).exists()
