"""The dunning timeline with the test clock (manage.py clock advance runs the daily job):
an overdue invoice is reminded on days 1, 7 and 14, its license goes past due and then
suspended, the account manager is told, and a payment reinstates it at once — to
active, with a new license file and a validation answer that says so."""

import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command

from billing.dunning.tasks import run_dunning
from billing.models import Notice, NoticeKind
from billing.money import Money
from billing.payments.services import payment_record
from licensing.licenses.services import license_latest_file, license_suspend
from licensing.models import HoldSource, LicenseHold, LicenseStatus
from portal import clock
from portal.models import OutboundEmail
from tests.billing.dunning.conftest import DUE, PAST_DUE, SUSPEND, license_invoice
from tests.helpers.licenses import SYSTEM


def advance(to: date) -> None:
    call_command("clock", "advance", "--to", to.isoformat(), stdout=io.StringIO())


def notices(invoice=None, **filters) -> list[tuple[str, int, date]]:
    rows = Notice.objects.filter(**filters)
    if invoice is not None:
        rows = rows.filter(invoice=invoice)
    return sorted(rows.values_list("kind", "lead", "sent_on"), key=lambda row: (row[2], row[0]))


def emails(to: str, subject_start: str = "") -> list[OutboundEmail]:
    return list(
        OutboundEmail.objects.filter(to=to, subject__startswith=subject_start).order_by("pk")
    )


def license_status(invoice) -> str:
    invoice.license.refresh_from_db()
    return invoice.license.status


def pay(invoice, amount: Money | None = None, reference: str = "TRF-9") -> None:
    payment_record(
        invoice=invoice,
        amount=amount or invoice.money("amount_due"),
        received_on=clock.today(),
        reference=reference,
        actor=None,
        reason="On the bank statement.",
    )


def test_finalizing_copies_the_dunning_days(overdue):
    assert overdue.due_on == DUE
    assert overdue.dunning_reminder_days == [1, 7, 14]
    assert (overdue.past_due_on, overdue.suspend_on) == (PAST_DUE, SUSPEND)


def test_the_whole_timeline_from_due_to_reinstated(
    overdue, owner, account_manager, api, issued, settings
):
    license = overdue.license
    advance(DUE)
    assert notices(overdue) == []

    advance(DUE + timedelta(days=1))
    assert notices(overdue) == [(NoticeKind.DUNNING_REMINDER, 1, date(2026, 4, 14))]
    [reminder] = emails(owner.email, "Reminder:")
    assert overdue.number in reminder.subject
    assert "past due on 20 April 2026" in reminder.body_text
    assert settings.TIERWISE_BANK_DETAILS["iban"] in reminder.body_text  # how to pay: the transfer
    assert f"/invoices/{overdue.number}/" in reminder.body_text  # and the card, there
    assert license_status(overdue) == LicenseStatus.ACTIVE

    advance(PAST_DUE)
    assert notices(overdue)[1:] == [
        (NoticeKind.ACCOUNT_MANAGER, 7, PAST_DUE),
        (NoticeKind.DUNNING_REMINDER, 7, PAST_DUE),
        (NoticeKind.PAST_DUE, 7, PAST_DUE),
    ]
    assert license_status(overdue) == LicenseStatus.PAST_DUE
    [past_due] = emails(owner.email, "Past due:")
    assert "suspended on 13 May 2026" in past_due.body_text
    [told] = emails(account_manager.email, "Past due:")
    assert "Northwind" in told.subject and overdue.number in told.body_text
    assert api("licenses/validate", {"key": issued.key}).json()["code"] == "past_due"

    advance(date(2026, 4, 27))
    assert notices(overdue, kind=NoticeKind.DUNNING_REMINDER)[-1] == (
        NoticeKind.DUNNING_REMINDER,
        14,
        date(2026, 4, 27),
    )
    advance(SUSPEND - timedelta(days=1))
    assert license_status(overdue) == LicenseStatus.PAST_DUE

    advance(SUSPEND)
    assert license_status(overdue) == LicenseStatus.SUSPENDED
    hold = LicenseHold.objects.get(license=license, lifted_at__isnull=True)
    assert hold.source == HoldSource.DUNNING
    assert len(emails(owner.email, "Suspended:")) == 1
    assert len(emails(account_manager.email, "Suspended for non-payment:")) == 1
    answer = api("licenses/validate", {"key": issued.key}).json()
    assert (answer["valid"], answer["code"]) == (False, "suspended")
    file_before = license_latest_file(license)

    advance(date(2026, 5, 20))
    pay(overdue)

    assert license_status(overdue) == LicenseStatus.ACTIVE  # never back to past due
    hold.refresh_from_db()
    assert hold.lifted_at is not None
    new_file = license_latest_file(license)
    assert new_file.pk != file_before.pk and '"status":"active"' in new_file.body.replace(" ", "")
    answer = api("licenses/validate", {"key": issued.key}).json()
    assert (answer["valid"], answer["code"]) == (True, "valid")
    assert len(emails(owner.email, "Reinstated:")) == 1
    assert notices(license=license, kind=NoticeKind.REINSTATED) == [
        (NoticeKind.REINSTATED, 0, date(2026, 5, 20))
    ]
    # Each reminder and stage once; nothing more once it is paid.
    sent = len(OutboundEmail.objects.all())
    advance(date(2026, 6, 30))
    assert len(OutboundEmail.objects.all()) == sent
    assert [row[:2] for row in notices(overdue)] == [
        (NoticeKind.DUNNING_REMINDER, 1),
        (NoticeKind.ACCOUNT_MANAGER, 7),
        (NoticeKind.DUNNING_REMINDER, 7),
        (NoticeKind.PAST_DUE, 7),
        (NoticeKind.DUNNING_REMINDER, 14),
        (NoticeKind.ACCOUNT_MANAGER, 30),
        (NoticeKind.SUSPENDED, 30),
    ]


def test_each_reminder_once_across_duplicate_runs(overdue, owner):
    advance(DUE + timedelta(days=1))
    assert run_dunning.apply().get() == {}
    run_dunning.apply()
    assert len(notices(overdue)) == 1
    assert len(emails(owner.email, "Reminder:")) == 1


def test_a_run_that_missed_days_sends_the_latest_reminder_only(overdue, owner, settings):
    # The job did not run (a worker down) until day 10: one reminder, day 7's, with the
    # past due; day 1's is never sent after it.
    clock._set(datetime(2026, 4, 23, 9, 30, tzinfo=UTC), by="test")
    run_dunning.apply()
    assert [row[:2] for row in notices(overdue)] == [
        (NoticeKind.ACCOUNT_MANAGER, 7),
        (NoticeKind.DUNNING_REMINDER, 7),
        (NoticeKind.PAST_DUE, 7),
    ]
    assert len(OutboundEmail.objects.filter(to=owner.email)) == 1  # one email for both
    run_dunning.apply()
    assert len(notices(overdue)) == 3


def test_a_settings_change_after_finalizing_moves_no_date(overdue, settings):
    settings.DUNNING_REMINDER_DAYS = [2]
    settings.DUNNING_PAST_DUE_DAYS = 3
    settings.DUNNING_SUSPEND_DAYS = 5
    advance(DUE + timedelta(days=5))
    overdue.refresh_from_db()
    assert (overdue.past_due_on, overdue.suspend_on) == (PAST_DUE, SUSPEND)
    assert license_status(overdue) == LicenseStatus.ACTIVE
    assert [row[:2] for row in notices(overdue)] == [(NoticeKind.DUNNING_REMINDER, 1)]
    # A new invoice takes the new days.
    later = license_invoice(overdue.organization, overdue.license)
    assert later.dunning_reminder_days == [2]
    assert later.past_due_on == later.due_on + timedelta(days=3)


def test_an_admins_suspension_stays_after_the_payment(overdue, admin_user, api, issued):
    advance(SUSPEND)
    license = overdue.license
    license_suspend(license=license, actor=SYSTEM, reason="Terms breached.")
    pay(overdue)

    assert license_status(overdue) == LicenseStatus.SUSPENDED
    assert list(
        LicenseHold.objects.filter(license=license, lifted_at__isnull=True).values_list(
            "source", flat=True
        )
    ) == [HoldSource.ADMIN]
    assert api("licenses/validate", {"key": issued.key}).json()["code"] == "suspended"
    assert not Notice.objects.filter(kind=NoticeKind.REINSTATED).exists()


def test_a_partial_payment_lifts_nothing(overdue, owner):
    advance(SUSPEND)
    pay(overdue, Money(Decimal("20.00"), "USD"))
    assert license_status(overdue) == LicenseStatus.SUSPENDED
    assert LicenseHold.objects.filter(
        license=overdue.license, source=HoldSource.DUNNING, lifted_at__isnull=True
    ).exists()
    assert emails(owner.email, "Reinstated:") == []


def test_past_due_goes_back_to_active_on_payment(overdue):
    advance(PAST_DUE)
    assert license_status(overdue) == LicenseStatus.PAST_DUE
    pay(overdue)
    assert license_status(overdue) == LicenseStatus.ACTIVE


def test_another_overdue_invoice_of_the_license_keeps_it_suspended(overdue, organization):
    advance(DUE - timedelta(days=25))
    second = license_invoice(organization, overdue.license)  # due on 18 May
    advance(date(2026, 5, 20))
    assert license_status(overdue) == LicenseStatus.SUSPENDED
    pay(overdue)
    assert license_status(overdue) == LicenseStatus.SUSPENDED
    pay(second, reference="TRF-10")
    assert license_status(overdue) == LicenseStatus.ACTIVE


def test_a_void_that_clears_the_overdue_invoice_lifts_the_hold(overdue, admin_user):
    from billing.invoices.services import invoice_void_with_credit_note

    advance(SUSPEND)
    invoice_void_with_credit_note(invoice=overdue, reason="Billed by mistake.", actor=admin_user)
    assert license_status(overdue) == LicenseStatus.ACTIVE


def test_an_invoice_without_a_license_gets_reminders_only(organization, owner, test_clock):
    from tests.helpers.invoices import finalized_invoice

    invoice = finalized_invoice(organization)
    advance(invoice.due_on + timedelta(days=40))
    assert [row[:2] for row in notices(invoice)] == [
        (NoticeKind.DUNNING_REMINDER, 1),
        (NoticeKind.DUNNING_REMINDER, 7),
        (NoticeKind.DUNNING_REMINDER, 14),
    ]
    assert [m.subject.split(":")[0] for m in emails(owner.email)] == ["Reminder"] * 3


def test_the_sweep_settles_a_license_whose_invoice_was_paid_another_way(overdue):
    advance(SUSPEND)
    # A hold left behind (as if the payment's own settlement had not run).
    from billing.models import Invoice, InvoiceStatus

    Invoice.objects.filter(pk=overdue.pk).update(status=InvoiceStatus.VOID)
    run_dunning.apply()
    assert license_status(overdue) == LicenseStatus.ACTIVE


@pytest.mark.parametrize("reminder_on", [date(2026, 4, 14)])
def test_the_email_reads_as_text_and_html(overdue, owner, reminder_on):
    advance(reminder_on)
    [message] = emails(owner.email, "Reminder:")
    assert "What happens when:" in message.body_text
    assert "13 May 2026: the license is suspended" in message.body_text
    assert "What happens when" in message.body_html
    assert "{{" not in message.body_text + message.body_html


def test_credit_from_a_credit_note_that_pays_it_lifts_the_hold(overdue, organization):
    from billing.invoices.services import credit_note_issue
    from tests.helpers.invoices import finalized_invoice, pay_in_full

    advance(SUSPEND)
    paid = pay_in_full(finalized_invoice(organization, today=SUSPEND))
    credit_note_issue(
        invoice=paid, subtotal=Money(Decimal("120.00"), "USD"), reason="Billed twice."
    )
    overdue.refresh_from_db()
    assert overdue.status == "paid"
    assert license_status(overdue) == LicenseStatus.ACTIVE


def test_a_card_payment_reconciled_lifts_the_hold(overdue, owner):
    from billing.payments.services import payment_record_as_credit
    from billing.providers.stripe_card import StripeCard

    advance(SUSPEND)
    # The card path's write (billing.cards.services reconciles a succeeded intent so).
    payment_record_as_credit(
        invoice=overdue,
        amount=overdue.money("amount_due"),
        received_on=clock.today(),
        reference="pi_123",
        actor=None,
        reason="Paid by card through Stripe.",
        provider=StripeCard(),
    )
    assert license_status(overdue) == LicenseStatus.ACTIVE
    assert len(emails(owner.email, "Reinstated:")) == 1


def test_credit_from_a_new_invoice_settles_once_it_commits(
    overdue, organization, django_capture_on_commit_callbacks
):
    from billing.invoices import services
    from billing.invoices.kinds import LineKind

    advance(SUSPEND)
    draft = services.invoice_create_draft(organization=organization, currency="USD")
    services.invoice_add_line(
        invoice=draft,
        kind=LineKind.PRORATION_CREDIT,
        description="Unused part of the term",
        unit_price=Money(Decimal("-200.00"), "USD"),
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.invoice_finalize(invoice=draft)
    overdue.refresh_from_db()
    assert overdue.status == "paid"
    assert license_status(overdue) == LicenseStatus.ACTIVE


def test_an_invoice_of_a_closed_license_gets_reminders_only(overdue, owner):
    from licensing.licenses.services import license_revoke

    license_revoke(license=overdue.license, actor=SYSTEM, reason="Customer left.")
    advance(SUSPEND)
    assert license_status(overdue) == LicenseStatus.CANCELED
    assert [row[0] for row in notices(overdue)] == [NoticeKind.DUNNING_REMINDER] * 3
    [last] = emails(owner.email, "Reminder:")[-1:]
    assert "suspended" not in last.body_text
