"""The term-end job (billing.renewals.tasks) on the test clock: it renews each due
subscription once, however often it runs, and ends one that does not renew."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from kombu.exceptions import OperationalError as BrokerError

from billing.models import (
    Invoice,
    Notice,
    NoticeKind,
    RenewalFailure,
    RenewalRun,
    RenewalRunStatus,
    SubscriptionPeriod,
)
from billing.renewals.tasks import renew_batch, run_term_end, unreported_after
from licensing.models import LicenseStatus
from portal import clock
from portal.models import OutboundEmail
from tests.factories import OrganizationFactory
from tests.helpers.checkout import subscribed


@pytest.fixture
def test_clock(settings, db):
    settings.TEST_CLOCK = True
    clock.forget()
    yield
    clock.forget()


@pytest.fixture
def license(organization, catalog, owner, now):
    return subscribed(organization, catalog, "team", seats=5)


def test_the_clock_renews_a_license_once_at_its_term_end(license, test_clock):
    runs = clock.advance(to=date(2026, 4, 3), by="test")

    license.refresh_from_db()
    assert (license.term_start, license.term_end) == (date(2026, 4, 1), date(2026, 4, 30))
    assert Invoice.objects.filter(license=license).count() == 1
    assert Notice.objects.filter(kind=NoticeKind.RENEWED).count() == 1
    # The job ran every day (not every idle hour: the clock skips those), and renewed
    # on 1 April only.
    term_end_runs = [run for run in runs if run.job == "run-term-end"]
    assert {run.due_at.date() for run in term_end_runs} == {
        date(2026, 3, 14) + timedelta(days=day) for day in range(21)
    }
    assert [run.due_at for run in term_end_runs if run.result] == [
        datetime(2026, 4, 1, 0, 2, tzinfo=UTC)
    ]
    done = RenewalRun.objects.filter(renewed=1)
    assert done.count() == 1
    assert done.get().business_day == date(2026, 4, 1)
    assert done.get().status == RenewalRunStatus.FINISHED


def test_a_duplicate_tick_and_a_retried_batch_renew_once(license, test_clock):
    clock.advance(to=date(2026, 4, 1), by="test")
    run = RenewalRun.objects.get()
    assert run_term_end.apply().get() is None  # a duplicate tick: nothing due any more
    renew_batch.apply(args=[run.pk, [license.subscription.pk]]).get()  # a batch redelivered

    assert (
        SubscriptionPeriod.objects.filter(
            subscription=license.subscription, starts_on=date(2026, 4, 1)
        ).count()
        == 1
    )
    assert Invoice.objects.filter(license=license).count() == 1
    assert Notice.objects.filter(kind=NoticeKind.RENEWED).count() == 1
    run.refresh_from_db()
    assert (run.renewed, run.skipped, run.failed) == (1, 1, 0)


def test_a_license_that_does_not_renew_expires_after_the_grace(license, test_clock, settings):
    from billing.subscriptions.services import subscription_set_auto_renew
    from tests.helpers.licenses import SYSTEM

    subscription_set_auto_renew(
        subscription=license.subscription, auto_renew=False, actor=SYSTEM, reason="By hand."
    )
    clock.advance(to=date(2026, 4, 7), by="test")
    license.refresh_from_db()
    assert license.status == LicenseStatus.ACTIVE  # 7 days of grace: through 7 April
    assert license.grace_until == date(2026, 4, 7)
    assert not RenewalRun.objects.exists()  # not picked up hourly only to be skipped

    clock.advance(to=date(2026, 4, 8), by="test")
    license.refresh_from_db()
    assert license.status == LicenseStatus.EXPIRED
    assert Notice.objects.filter(kind=NoticeKind.EXPIRED, license=license).count() == 1
    expired = OutboundEmail.objects.get(subject__contains="license expired")
    # Until when its data stays readable, as the dashboard says (walker: "for a while").
    for body in (expired.body_text, expired.body_html):
        assert "stay readable on your dashboard until 29 June 2026" in body
    assert not Invoice.objects.filter(license=license).exists()


def test_a_failing_renewal_is_recorded_retried_and_resolved(license, test_clock, monkeypatch):
    from billing.invoices import services

    real = services._finalized  # every invoice's, the batch's and one at a time

    def broken(*args, **kwargs):
        raise RuntimeError("the tax service is down")

    monkeypatch.setattr(services, "_finalized", broken)
    clock.advance(to=date(2026, 4, 1), by="test")  # runs at 00:02 once
    clock.advance(to=date(2026, 4, 2), by="test")  # and 24 times more: still failing
    failure = RenewalFailure.objects.get(subscription=license.subscription)
    assert failure.attempts >= 3 and failure.resolved_at is None
    assert "tax service is down" in failure.last_error
    assert failure.period_start == date(2026, 4, 1)
    assert not Invoice.objects.filter(license=license).exists()
    assert RenewalRun.objects.filter(status=RenewalRunStatus.FAILED).exists()

    monkeypatch.setattr(services, "_finalized", real)
    clock.advance(to=date(2026, 4, 3), by="test")
    failure.refresh_from_db()
    assert failure.resolved_at is not None
    assert Invoice.objects.filter(license=license).count() == 1


def test_a_canceled_subscription_is_not_renewed_and_ends_with_its_term(license, owner, test_clock):
    from billing.subscriptions.cancellation import subscription_cancel
    from licensing.licenses.services import Actor

    subscription_cancel(
        subscription=license.subscription,
        actor=Actor.of(owner, "owner"),
        reason="not_used",
        details="",
    )
    license.refresh_from_db()
    assert license.grace_until is None

    clock.advance(to=date(2026, 4, 1), by="test")

    license.refresh_from_db()
    assert license.status == LicenseStatus.EXPIRED
    assert license.term_end == date(2026, 3, 31)
    assert not Invoice.objects.filter(license=license).exists()
    assert Notice.objects.filter(kind=NoticeKind.EXPIRED, license=license).count() == 1


def test_on_the_clock_a_term_started_on_31_january_renews_on_each_months_end(
    organization, catalog, owner, test_clock, now
):
    license = subscribed(
        organization, catalog, term_start=date(2026, 1, 31), term_end=date(2026, 2, 27)
    )
    # Its term ended before today (14 March): the first run catches up.
    clock.advance(to=date(2026, 5, 1), by="test")

    starts = list(
        SubscriptionPeriod.objects.filter(subscription=license.subscription)
        .order_by("starts_on")
        .values_list("starts_on", "ends_on")
    )
    assert starts == [
        (date(2026, 1, 31), date(2026, 2, 27)),
        (date(2026, 2, 28), date(2026, 3, 30)),
        (date(2026, 3, 31), date(2026, 4, 29)),
        (date(2026, 4, 30), date(2026, 5, 30)),
    ]
    assert Invoice.objects.filter(license=license).count() == 3
    assert Notice.objects.filter(kind=NoticeKind.RENEWED).count() == 3


@pytest.fixture
def two_due(organization, catalog, now):
    """Two monthly licenses whose March term has ended, in two organizations."""
    other = OrganizationFactory(name="Contoso", slug="contoso")
    return [
        subscribed(organization, catalog, "team", seats=5),
        subscribed(other, catalog, "team", seats=3),
    ]


def _renewed(licenses) -> list[bool]:
    return [
        SubscriptionPeriod.objects.filter(
            subscription=license.subscription, starts_on=date(2026, 4, 1)
        ).exists()
        for license in licenses
    ]


def _run_on_the_worker(django_capture_on_commit_callbacks) -> RenewalRun:
    """The hourly tick as the worker runs it: its batches handed out after it commits."""
    with django_capture_on_commit_callbacks(execute=True):
        run_id = run_term_end()
    return RenewalRun.objects.get(pk=run_id)


def test_a_batch_that_cannot_be_queued_is_left_for_the_next_run_and_the_run_ends(
    two_due, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr("billing.renewals.tasks.BATCH_SIZE", 1)
    handed = []

    def delay(run_id, batch):
        handed.append(batch)
        if len(handed) == 1:
            raise BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        return renew_batch.apply(args=[run_id, batch])

    monkeypatch.setattr(renew_batch, "delay", delay)
    with time_machine.travel(datetime(2026, 4, 1, 0, 2, tzinfo=UTC), tick=False):
        run = _run_on_the_worker(django_capture_on_commit_callbacks)
    assert _renewed(two_due) == [False, True]
    # Not "running" for ever: it ended when the batch it queued reported.
    assert run.status == RenewalRunStatus.INCOMPLETE
    assert run.finished_at is not None
    assert (run.due, run.batches, run.batches_done, run.not_queued) == (2, 1, 1, 1)
    assert (run.renewed, run.failed) == (1, 0)

    with time_machine.travel(datetime(2026, 4, 1, 1, 2, tzinfo=UTC), tick=False):
        next_run = _run_on_the_worker(django_capture_on_commit_callbacks)
    assert _renewed(two_due) == [True, True]
    assert (next_run.status, next_run.due, next_run.renewed) == (RenewalRunStatus.FINISHED, 1, 1)


def test_a_run_whose_batch_never_reports_is_ended_by_a_later_run(
    two_due, monkeypatch, django_capture_on_commit_callbacks
):
    """A message lost after it was queued: the run waits for it as long as a batch can
    take to come back (the broker's visibility timeout and the task's time limit), then
    a later run ends it; the subscriptions it held were renewed by the runs after it."""
    monkeypatch.setattr(renew_batch, "delay", lambda run_id, batch: None)  # lost
    started = datetime(2026, 4, 1, 0, 2, tzinfo=UTC)
    with time_machine.travel(started, tick=False):
        lost = _run_on_the_worker(django_capture_on_commit_callbacks)
    assert (lost.status, lost.batches_done) == (RenewalRunStatus.RUNNING, 0)

    monkeypatch.setattr(renew_batch, "delay", lambda *args: renew_batch.apply(args=args))
    with time_machine.travel(started + timedelta(hours=1), tick=False):
        _run_on_the_worker(django_capture_on_commit_callbacks)
    assert _renewed(two_due) == [True, True]
    lost.refresh_from_db()
    assert lost.status == RenewalRunStatus.RUNNING  # 60 minutes: it may still come back

    later = started + unreported_after() + timedelta(minutes=1)
    with time_machine.travel(later, tick=False):
        assert run_term_end() is None  # nothing due: no run recorded, the lost one ended
    lost.refresh_from_db()
    assert (lost.status, lost.finished_at) == (RenewalRunStatus.INCOMPLETE, later)
    assert lost.get_status_display() == "Ended with subscriptions left for the next run"


def test_a_long_run_whose_batches_still_report_is_not_ended(
    two_due, monkeypatch, django_capture_on_commit_callbacks
):
    """A run too large to finish within the wait (its batches report one after another
    for longer than that) is still working: the wait counts from its last report, and
    only a run silent that long since is ended."""
    monkeypatch.setattr("billing.renewals.tasks.BATCH_SIZE", 1)
    queued = []
    monkeypatch.setattr(renew_batch, "delay", lambda *args: queued.append(args))
    started = datetime(2026, 4, 1, 0, 2, tzinfo=UTC)
    with time_machine.travel(started, tick=False):
        run = _run_on_the_worker(django_capture_on_commit_callbacks)
    assert (run.batches, len(queued)) == (2, 2)

    # The first batch reports late in the wait; the second is still queued behind others.
    reported = started + unreported_after() - timedelta(minutes=5)
    with time_machine.travel(reported, tick=False):
        renew_batch.apply(args=queued[0])
    run.refresh_from_db()
    assert (run.status, run.batches_done, run.reported_at) == (
        RenewalRunStatus.RUNNING,
        1,
        reported,
    )

    # Past the wait from its start, within it from its last report: still running.
    with time_machine.travel(started + unreported_after() + timedelta(minutes=1), tick=False):
        run_term_end()
    run.refresh_from_db()
    assert (run.status, run.finished_at) == (RenewalRunStatus.RUNNING, None)

    # Silent for the whole wait since its last report: ended, its renewal counted.
    silent = reported + unreported_after() + timedelta(minutes=1)
    with time_machine.travel(silent, tick=False):
        run_term_end()
    run.refresh_from_db()
    assert (run.status, run.finished_at, run.renewed) == (
        RenewalRunStatus.INCOMPLETE,
        silent,
        1,
    )
