"""The term-end renewal (billing.renewals.services.subscription_renew): one period, one
invoice of next_renewal's lines, one license file and one email, from the anchor."""

from datetime import UTC, date, datetime

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.models import (
    Invoice,
    InvoiceDocument,
    InvoiceStatus,
    Notice,
    NoticeKind,
    PeriodReason,
    SubscriptionEvent,
    SubscriptionEventKind,
    SubscriptionPeriod,
)
from billing.renewals.selectors import next_renewal
from billing.renewals.services import Outcome, subscription_renew
from billing.tasks import render_invoice_pdf
from licensing.licenses.services import license_latest_file
from tests.helpers.checkout import subscribed


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 0, 2, tzinfo=UTC)


def renew(license, day: date):
    license.refresh_from_db()
    return subscription_renew(subscription=license.subscription, today=day, at=at(day))


@pytest.fixture
def license(organization, catalog, owner, now):
    return subscribed(organization, catalog, "team", seats=5)


def test_a_due_subscription_renews_once_with_invoice_file_and_one_email(license, owner):
    renewal = next_renewal(license.subscription)
    mail.outbox.clear()

    result = renew(license, date(2026, 4, 1))

    assert result.outcome == Outcome.RENEWED
    license.refresh_from_db()
    assert (license.term_start, license.term_end) == (date(2026, 4, 1), date(2026, 4, 30))
    period = SubscriptionPeriod.objects.get(
        subscription=license.subscription, starts_on=date(2026, 4, 1)
    )
    assert (period.ends_on, period.reason) == (date(2026, 4, 30), PeriodReason.RENEWAL)
    invoice = result.invoice
    assert invoice.status == InvoiceStatus.OPEN and invoice.number
    assert invoice.money("total") == renewal.total
    assert [
        (line.period_start, line.period_end, line.period_id) for line in invoice.lines.all()
    ] == [(date(2026, 4, 1), date(2026, 4, 30), period.pk)]
    assert period.invoice_id == invoice.pk
    assert license_latest_file(license).expires_on == date(2026, 4, 30)
    assert license.subscription.price_locked_until == date(2026, 4, 30)
    notice = Notice.objects.get(kind=NoticeKind.RENEWED)
    assert (notice.subject, notice.period, notice.invoice_id) == (
        f"license:{license.pk}",
        date(2026, 4, 1),
        invoice.pk,
    )
    # The email goes out through the outbox when the transaction commits.
    from portal.models import OutboundEmail

    emails = OutboundEmail.objects.all()
    assert [email.to for email in emails] == [owner.email]
    assert invoice.number in emails[0].subject or "renewed" in emails[0].subject
    assert (
        SubscriptionEvent.objects.filter(
            subscription=license.subscription, kind=SubscriptionEventKind.TERM_STARTED
        ).count()
        == 1
    )

    again = renew(license, date(2026, 4, 1))
    assert again.outcome == Outcome.SKIPPED
    assert Invoice.objects.filter(license=license).count() == 1
    assert OutboundEmail.objects.count() == 1


def test_the_renewal_pdf_waits_and_its_first_render_sends_no_second_email(license):
    from portal.models import OutboundEmail

    result = renew(license, date(2026, 4, 1))
    document = InvoiceDocument.objects.get(invoice=result.invoice)
    assert document.rendered_at is None
    before = OutboundEmail.objects.count()

    assert render_invoice_pdf.apply(args=[document.pk]).get() == "rendered"

    assert OutboundEmail.objects.count() == before


@pytest.mark.parametrize(
    ("start", "renewals"),
    [
        (
            date(2026, 1, 31),
            [date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30), date(2026, 5, 31)],
        ),
        (
            date(2024, 1, 31),
            [date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30)],
        ),
    ],
    ids=["2026", "leap-2024"],
)
def test_month_ends_renew_from_the_anchor(organization, catalog, now, start, renewals):
    from billing.subscriptions.periods import ONE_DAY, add_months

    license = subscribed(
        organization, catalog, term_start=start, term_end=add_months(start, 1) - ONE_DAY
    )
    starts = []
    for _ in renewals:
        license.refresh_from_db()
        day = license.term_end + ONE_DAY
        assert renew(license, day).outcome == Outcome.RENEWED
        license.refresh_from_db()
        starts.append(license.term_start)
    assert starts == renewals


def test_annual_renews_for_a_year(organization, catalog, now):
    license = subscribed(
        organization,
        catalog,
        cycle="annual",
        term_start=date(2024, 2, 29),
        term_end=date(2025, 2, 27),
    )
    assert renew(license, date(2025, 2, 28)).outcome == Outcome.RENEWED
    license.refresh_from_db()
    assert (license.term_start, license.term_end) == (date(2025, 2, 28), date(2026, 2, 27))
    invoice = Invoice.objects.get(license=license)
    assert invoice.money("subtotal") == license.subscription.cycle_price.rounded()


def test_auto_renew_off_is_not_renewed(license):
    from billing.subscriptions.services import subscription_set_auto_renew
    from tests.helpers.licenses import SYSTEM

    subscription_set_auto_renew(
        subscription=license.subscription, auto_renew=False, actor=SYSTEM, reason="By hand."
    )
    assert renew(license, date(2026, 4, 1)).outcome == Outcome.SKIPPED
    assert not Invoice.objects.filter(license=license).exists()


def test_not_due_before_the_term_ends(license):
    assert renew(license, date(2026, 3, 31)).outcome == Outcome.SKIPPED


def test_statements_of_one_renewal(license):
    license.refresh_from_db()
    with CaptureQueriesContext(connection) as queries:
        subscription_renew(
            subscription=license.subscription, today=date(2026, 4, 1), at=at(date(2026, 4, 1))
        )
    print(f"\nSQL statements in one renewal: {len(queries)}")
    # A plain renewal goes through the batch's code (billing.renewals.batch), for one
    # subscription: its statements are the batch's, whatever its size, plus the
    # number's step (tests/billing/renewals/test_renew_together.py). Measured: 74 on
    # PostgreSQL one at a time before it, 123 before the renewal left its computed rows'
    # keys and constraints to the database.
    assert len(queries) <= 60


def test_a_renewal_signs_exactly_one_license_file_for_the_new_term(license):
    from licensing.models import LicenseFile

    before = set(LicenseFile.objects.filter(license=license).values_list("pk", flat=True))

    renew(license, date(2026, 4, 1))

    new = LicenseFile.objects.filter(license=license).exclude(pk__in=before)
    assert [(file.expires_on, file.revision) for file in new] == [
        (date(2026, 4, 30), license.revision + 1)
    ]


def test_a_term_billed_per_cycle_bills_each_cycle_then_renews_its_first(
    organization, catalog, owner, now
):
    from billing.models import Subscription
    from billing.models.subscriptions import Billing
    from billing.renewals.services import subscription_term_end
    from billing.subscriptions.periods import Span
    from billing.subscriptions.services import subscription_create, subscription_period_add
    from tests.helpers.licenses import SYSTEM, issue

    license = issue(
        organization, catalog, term_start=date(2026, 3, 1), term_end=date(2029, 2, 28)
    ).license
    subscription = subscription_create(
        license=license,
        currency="USD",
        cycle="annual",
        term_cycles=3,
        actor=SYSTEM,
        reason="A three-year deal, invoiced yearly.",
    )
    Subscription.objects.filter(pk=subscription.pk).update(billing=Billing.PER_CYCLE)
    subscription_period_add(
        subscription=subscription,
        span=Span(date(2026, 3, 1), date(2027, 2, 28)),
        reason=PeriodReason.PURCHASE,
        amount=subscription.cycle_price.rounded(),
    )

    def run(day):
        subscription = Subscription.objects.select_related("license__organization").get(
            license=license
        )
        return subscription_term_end(subscription=subscription, today=day, at=at(day))

    assert run(date(2027, 2, 28)).outcome == Outcome.SKIPPED  # the first year is billed
    second = run(date(2027, 3, 1))
    assert second.outcome == Outcome.RENEWED
    assert [(line.period_start, line.period_end) for line in second.invoice.lines.all()] == [
        (date(2027, 3, 1), date(2028, 2, 29))
    ]
    assert second.invoice.money("subtotal") == subscription.cycle_price.rounded()
    assert run(date(2027, 3, 2)).outcome == Outcome.SKIPPED  # once
    third = run(date(2028, 3, 1))
    assert third.invoice.lines.get().period_end == date(2029, 2, 28)
    # The term's end: the next term of three years, its first year billed now.
    fourth = run(date(2029, 3, 1))
    license.refresh_from_db()
    assert (license.term_start, license.term_end) == (date(2029, 3, 1), date(2032, 2, 29))
    assert [(line.period_start, line.period_end) for line in fourth.invoice.lines.all()] == [
        (date(2029, 3, 1), date(2030, 2, 28))
    ]
    assert Invoice.objects.filter(license=license).count() == 3
