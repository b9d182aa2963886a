"""The term-end job's batch (renew_batch) renewing together: a catch-up's outcome counted, at
most MAX_CATCH_UP terms a run, invoices numbered in the order the job hands out, one bad
row failing alone with nothing half-written."""

from datetime import date

from billing.models import (
    Invoice,
    PeriodReason,
    RenewalFailure,
    RenewalRun,
    RenewalRunStatus,
    SubscriptionPeriod,
)
from billing.renewals import tasks
from billing.renewals.tasks import MAX_CATCH_UP, renew_batch
from tests.helpers.renewal_compare import AT, DAY, customer


def _run(n=1):
    return RenewalRun.objects.create(business_day=DAY, due=n, batches=1, started_at=AT)


def test_a_failed_catch_up_renewal_is_counted_as_failed(catalog, now, monkeypatch):
    # Two terms behind: the batch renews March, the catch-up (April) fails.
    license = customer(catalog, "Behind", term_start=date(2026, 2, 1), term_end=date(2026, 2, 28))

    def fails(*, subscription, today, at=None):
        raise RuntimeError("the catch-up renewal failed")

    monkeypatch.setattr(tasks.services, "subscription_term_end", fails)
    run = _run()

    counts = renew_batch.apply(args=[run.pk, [license.subscription.pk]]).get()

    run.refresh_from_db()
    assert RenewalFailure.objects.filter(subscription=license.subscription).count() == 1
    assert counts["failed"] == 1, counts
    assert run.status == RenewalRunStatus.FAILED


def test_catch_up_renews_at_most_max_catch_up_terms_a_run(catalog, now):
    # Far behind: the job renews MAX_CATCH_UP terms a run, not more.
    license = customer(
        catalog, "Far behind", term_start=date(2024, 7, 1), term_end=date(2024, 7, 31)
    )
    run = _run()

    renew_batch.apply(args=[run.pk, [license.subscription.pk]]).get()

    renewed = SubscriptionPeriod.objects.filter(
        subscription=license.subscription, reason=PeriodReason.RENEWAL
    ).count()
    assert renewed == MAX_CATCH_UP


def test_invoice_numbers_follow_the_order_the_job_hands_out(catalog, now):
    # due_ids hands out in ISSUE_ORDER (term end, then id): B's term ended first.
    a = customer(catalog, "A", term_start=date(2026, 3, 1), term_end=date(2026, 3, 31))
    b = customer(catalog, "B", term_start=date(2026, 2, 16), term_end=date(2026, 3, 15))
    ids = tasks.due_ids(DAY)
    assert ids == [b.subscription.pk, a.subscription.pk]
    run = _run(2)

    renew_batch.apply(args=[run.pk, ids]).get()

    def number(lic):
        return int(Invoice.objects.get(license=lic).number.rsplit("-", 1)[1])

    assert number(b) < number(a)


def test_one_invalid_row_fails_alone_and_nothing_half_written(catalog, now):
    from billing.subscriptions.periods import Span
    from billing.subscriptions.services import subscription_period_add

    good = [customer(catalog, f"Good {n}") for n in range(3)]
    bad = customer(catalog, "Bad")
    # A period already covering part of the next term, not starting on its first day.
    subscription_period_add(
        subscription=bad.subscription,
        span=Span(date(2026, 4, 5), date(2026, 4, 9)),
        reason=PeriodReason.PURCHASE,
        amount=bad.subscription.cycle_price.rounded(),
    )
    ids = [
        good[0].subscription.pk,
        bad.subscription.pk,
        good[1].subscription.pk,
        good[2].subscription.pk,
    ]
    run = _run(4)

    counts = renew_batch.apply(args=[run.pk, ids]).get()

    assert counts == {"renewed": 3, "expired": 0, "skipped": 0, "failed": 1}
    assert RenewalFailure.objects.filter(subscription=bad.subscription).count() == 1
    assert not Invoice.objects.filter(license=bad).exists()
    for lic in good:
        assert Invoice.objects.filter(license=lic).count() == 1
    numbers = sorted(
        int(n.rsplit("-", 1)[1]) for n in Invoice.objects.values_list("number", flat=True)
    )
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))
