"""A license suspended (by dunning or by staff) when its term ends is never renewed for a
term it cannot use, and never dropped: it expires once its last usable day (the term's
end plus the renewal grace) has passed while still held, on record in both ledgers, with
one email saying why. Reinstated before that day, it renews once; a payment after it
never brings it back, nor bills a missed term. Northwind's monthly Team license ends its
term on 31 March 2026; the grace is 7 days, so its last usable day is 7 April."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from billing.invoices import services as invoices
from billing.invoices.kinds import LineKind
from billing.models import Invoice, Notice, NoticeKind, SubscriptionEvent
from billing.models.ledger import SubscriptionEventKind
from billing.money import Money
from billing.payments.services import payment_record
from billing.renewals import services
from billing.renewals.tasks import renew_one, run_term_end
from licensing.licenses.services import license_release_hold, license_suspend
from licensing.models import HoldSource, LicenseEvent, LicenseHold, LicenseStatus
from portal import clock
from portal.models import OutboundEmail
from tests.helpers.checkout import subscribed
from tests.helpers.licenses import SYSTEM

LAST_USABLE_DAY = date(2026, 4, 7)


@pytest.fixture
def test_clock(settings, db):
    settings.TEST_CLOCK = True
    settings.RENEWAL_GRACE_DAYS = 7
    clock.forget()
    yield
    clock.forget()


@pytest.fixture
def license(organization, catalog, owner, now, test_clock):
    license = subscribed(organization, catalog, "team", seats=5)
    assert license.term_end == date(2026, 3, 31)
    return license


@pytest.fixture
def overdue(license, organization):
    """An invoice of the license finalized on 10 January, so unpaid long enough that the
    dunning job suspends the license on its first run (15 March), before its term ends."""
    draft = invoices.invoice_create_draft(
        organization=organization, currency="USD", license=license
    )
    invoices.invoice_add_line(
        invoice=draft,
        kind=LineKind.ONE_OFF,
        description="Onboarding",
        unit_price=Money(Decimal("120.00"), "USD"),
    )
    invoice = invoices.invoice_finalize(invoice=draft, at=datetime(2026, 1, 10, 9, tzinfo=UTC))
    assert invoice.suspend_on < date(2026, 3, 15)
    return invoice


def dunning_hold(license):
    """Suspended by the dunning job for the overdue invoice."""
    clock.advance(to=date(2026, 3, 15), by="test")
    license.refresh_from_db()
    assert license.status == LicenseStatus.SUSPENDED
    assert LicenseHold.objects.get(license=license).source == HoldSource.DUNNING


def pay(invoice, on: date):
    payment_record(
        invoice=invoice,
        amount=invoice.money("amount_due"),
        received_on=on,
        reference="TRF-1",
        actor=None,
        reason="On the bank statement.",
        at=datetime(on.year, on.month, on.day, 10, tzinfo=UTC),
    )


def renewals(license) -> int:
    """The license's invoices other than the overdue one: its renewals."""
    return Invoice.objects.filter(license=license).exclude(lines__description="Onboarding").count()


def expired_emails() -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(subject__contains="license expired"))


def test_suspended_by_dunning_across_its_term_end_expires_unbilled(license, overdue):
    dunning_hold(license)

    clock.advance(to=LAST_USABLE_DAY, by="test")
    license.refresh_from_db()
    assert license.status == LicenseStatus.SUSPENDED  # not renewed, not ended yet
    assert license.term_end == date(2026, 3, 31)

    clock.advance(to=date(2026, 4, 8), by="test")
    license.refresh_from_db()
    assert license.status == LicenseStatus.EXPIRED
    assert license.term_end == date(2026, 3, 31)
    assert renewals(license) == 0
    assert Notice.objects.filter(kind=NoticeKind.EXPIRED, license=license).count() == 1
    [email] = expired_emails()
    assert "suspended at the end of its term on 31 March 2026" in email.body_text
    assert "suspended at the end of its term on 31 March 2026" in email.body_html
    assert "7 April 2026" in email.body_text
    # On record in both ledgers, its hold kept.
    assert SubscriptionEvent.objects.filter(
        subscription=license.subscription, kind=SubscriptionEventKind.EXPIRED
    ).exists()
    assert LicenseEvent.objects.filter(license=license, after__status="expired").exists()
    assert LicenseHold.objects.filter(
        license=license, source=HoldSource.DUNNING, lifted_at__isnull=True
    ).exists()

    clock.advance(to=date(2026, 6, 1), by="test")  # nothing more, ever
    assert renewals(license) == 0
    assert len(expired_emails()) == 1


def test_reinstated_within_the_grace_it_renews_once_from_its_anchor(license, overdue):
    dunning_hold(license)
    clock.advance(to=date(2026, 4, 4), by="test")
    license.refresh_from_db()
    assert license.status == LicenseStatus.SUSPENDED and renewals(license) == 0

    pay(overdue, date(2026, 4, 4))
    license.refresh_from_db()
    assert license.status == LicenseStatus.ACTIVE
    clock.advance(to=date(2026, 4, 5), by="test")

    license.refresh_from_db()
    assert license.status == LicenseStatus.ACTIVE
    assert (license.term_start, license.term_end) == (date(2026, 4, 1), date(2026, 4, 30))
    assert renewals(license) == 1
    assert Notice.objects.filter(kind=NoticeKind.RENEWED, license=license).count() == 1
    assert not Notice.objects.filter(kind=NoticeKind.EXPIRED).exists()


def test_a_payment_after_expiry_leaves_it_expired_and_bills_nothing(license, overdue):
    dunning_hold(license)
    clock.advance(to=date(2026, 4, 8), by="test")
    license.refresh_from_db()
    assert license.status == LicenseStatus.EXPIRED

    pay(overdue, date(2026, 4, 9))
    license.refresh_from_db()
    assert license.status == LicenseStatus.EXPIRED
    assert LicenseHold.objects.get(license=license).lifted_at is not None  # paid, on record
    assert not Notice.objects.filter(kind=NoticeKind.REINSTATED).exists()
    clock.advance(to=date(2026, 7, 1), by="test")
    license.refresh_from_db()
    assert license.status == LicenseStatus.EXPIRED
    assert renewals(license) == 0


def test_paid_two_years_later_before_the_job_ran_it_expires_and_no_past_term_is_billed(
    license, overdue
):
    """The attack: suspended, the job did not run (the clock moved two years at once),
    then a payment. The payment ends it; the job bills nothing."""
    dunning_hold(license)
    later = date(2028, 3, 20)
    pay(overdue, later)

    license.refresh_from_db()
    assert license.status == LicenseStatus.EXPIRED
    assert not Notice.objects.filter(kind=NoticeKind.REINSTATED).exists()
    assert renew_one(license.subscription.pk, today=later) == "skipped"
    assert renewals(license) == 0
    assert len(expired_emails()) == 1


def test_a_hold_lifted_by_staff_after_the_last_usable_day_expires_it_unbilled(license):
    """Staff lifted a hold late, before the job ran: it lapsed, so it ends, never billed
    for the terms it could not use."""
    suspended = license_suspend(license=license, actor=SYSTEM, reason="Terms breached.")
    later = date(2027, 1, 10)
    license_release_hold(
        license=suspended,
        source=HoldSource.ADMIN,
        actor=SYSTEM,
        reason="Resolved.",
        at=datetime(2027, 1, 10, 9, tzinfo=UTC),
    )
    license.refresh_from_db()
    assert license.status == LicenseStatus.ACTIVE
    assert services.lapsed(license, later)

    assert renew_one(license.subscription.pk, today=later) == "expired"
    license.refresh_from_db()
    assert license.status == LicenseStatus.EXPIRED
    assert renewals(license) == 0


def test_admin_suspended_across_its_term_end_expires_after_the_grace(license):
    license_suspend(license=license, actor=SYSTEM, reason="Terms breached.")

    clock.advance(to=LAST_USABLE_DAY, by="test")
    license.refresh_from_db()
    assert license.status == LicenseStatus.SUSPENDED

    clock.advance(to=date(2026, 4, 8), by="test")
    license.refresh_from_db()
    assert license.status == LicenseStatus.EXPIRED
    assert renewals(license) == 0
    assert LicenseHold.objects.filter(
        license=license, source=HoldSource.ADMIN, lifted_at__isnull=True
    ).exists()
    assert len(expired_emails()) == 1


def test_a_canceled_suspended_license_ends_with_its_term(license, owner, overdue):
    from billing.subscriptions.cancellation import subscription_cancel
    from licensing.licenses.services import Actor

    subscription_cancel(
        subscription=license.subscription,
        actor=Actor.of(owner, "owner"),
        reason="not_used",
        details="",
    )
    license.refresh_from_db()
    dunning_hold(license)
    clock.advance(to=date(2026, 4, 1), by="test")
    license.refresh_from_db()
    assert license.status == LicenseStatus.EXPIRED
    assert renewals(license) == 0


def test_the_job_picks_a_suspended_license_only_once_its_last_usable_day_passed(license, overdue):
    from billing.renewals.tasks import due_ids

    dunning_hold(license)
    assert run_term_end.apply().get() is None  # nothing due on 15 March
    assert license.subscription.pk not in due_ids(LAST_USABLE_DAY)
    assert license.subscription.pk in due_ids(date(2026, 4, 8))
