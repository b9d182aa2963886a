"""The term-end job (billing.renewals.tasks) on the test clock: it renews each due
subscription once, however often it runs, and ends one that does not renew."""

from datetime import UTC, date, datetime, timedelta

import pytest

from billing.models import (
    Invoice,
    Notice,
    NoticeKind,
    RenewalFailure,
    RenewalRun,
    RenewalRunStatus,
    SubscriptionPeriod,
)
from billing.renewals.tasks import renew_batch, run_term_end
from licensing.models import LicenseStatus
from portal import clock
from portal.models import OutboundEmail
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
    assert OutboundEmail.objects.filter(subject__contains="license expired").count() == 1
    assert not Invoice.objects.filter(license=license).exists()


def test_a_failing_renewal_is_recorded_retried_and_resolved(license, test_clock, monkeypatch):
    from billing.renewals import services

    real = services._invoice

    def broken(*args, **kwargs):
        raise RuntimeError("the tax service is down")

    monkeypatch.setattr(services, "_invoice", broken)
    clock.advance(to=date(2026, 4, 1), by="test")  # runs at 00:02 once
    clock.advance(to=date(2026, 4, 2), by="test")  # and 24 times more: still failing
    failure = RenewalFailure.objects.get(subscription=license.subscription)
    assert failure.attempts >= 3 and failure.resolved_at is None
    assert "tax service is down" in failure.last_error
    assert failure.period_start == date(2026, 4, 1)
    assert not Invoice.objects.filter(license=license).exists()
    assert RenewalRun.objects.filter(status=RenewalRunStatus.FAILED).exists()

    monkeypatch.setattr(services, "_invoice", real)
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
