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
    [both] = OutboundEmail.objects.filter(to=owner.email)  # one email for both
    assert "This email is also the reminder due 7 days after the due date." in both.body_text
    assert "14 April 2026: reminder (1 day overdue) (not sent" in both.body_text
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


def test_the_suspension_email_does_not_promise_a_payment_lifts_a_staff_hold(overdue, owner):
    """Staff suspended the license before dunning did: paying lifts only dunning's hold,
    so the email says the license stays suspended (and never staff's reason)."""
    advance(PAST_DUE)
    license_suspend(license=overdue.license, actor=SYSTEM, reason="Terms breached.")
    advance(SUSPEND)
    [message] = emails(owner.email, "Suspended:")
    for body in (message.body_text, message.body_html):
        assert "lifts the suspension" not in body
        assert "a payment does not lift their hold: paying this invoice settles" in body
        assert "the license stays suspended until they lift their hold" in body
        assert "Terms breached" not in body
    pay(overdue)
    assert license_status(overdue) == LicenseStatus.SUSPENDED


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


def test_another_invoice_at_its_suspension_day_keeps_it_suspended(overdue, organization):
    advance(DUE - timedelta(days=25))
    second = license_invoice(organization, overdue.license)
    assert second.suspend_on <= date(2026, 5, 20)
    advance(date(2026, 5, 20))
    assert license_status(overdue) == LicenseStatus.SUSPENDED
    pay(overdue)
    assert license_status(overdue) == LicenseStatus.SUSPENDED  # the second still holds it
    pay(second, reference="TRF-10")
    assert license_status(overdue) == LicenseStatus.ACTIVE


def second_invoice(overdue, organization):
    """A second invoice of the license, finalized on 10 April: due 10 May, past due on
    17 May, suspended on 9 June; the first suspends the license on 13 May."""
    advance(date(2026, 4, 10))
    second = license_invoice(organization, overdue.license)
    assert (second.due_on, second.past_due_on, second.suspend_on) == (
        date(2026, 5, 10),
        date(2026, 5, 17),
        date(2026, 6, 9),
    )
    return second


def test_paying_the_invoice_that_suspended_lifts_it_while_another_is_not_at_its_day(
    overdue, organization, owner
):
    """The walker's case: the first invoice suspended the license; the second is overdue
    but before its own suspension day. Paying the first lifts the hold at once, back to
    active; the daily job then runs the second's own timeline."""
    second = second_invoice(overdue, organization)
    advance(SUSPEND)
    assert license_status(overdue) == LicenseStatus.SUSPENDED
    advance(date(2026, 5, 17))  # the second's past-due day: the license is suspended
    assert license_status(overdue) == LicenseStatus.SUSPENDED
    assert NoticeKind.PAST_DUE not in {row[0] for row in notices(second)}
    assert len(emails(owner.email, "Past due:")) == 1  # the first's, on 20 April

    pay(overdue)
    assert license_status(overdue) == LicenseStatus.ACTIVE  # never to past due
    [reinstated] = emails(owner.email, "Reinstated:")
    assert f"Invoice {second.number} is still overdue" in reinstated.body_text
    assert "past due (it still works then) at the next daily run" in reinstated.body_text

    advance(date(2026, 5, 18))  # the job applies the second's own timeline
    assert license_status(overdue) == LicenseStatus.PAST_DUE
    assert (NoticeKind.PAST_DUE, 7, date(2026, 5, 18)) in notices(second)
    [past_due] = emails(owner.email, "Past due:")[1:]
    assert second.number in past_due.body_text
    assert "suspended on 9 June 2026" in past_due.body_text
    advance(date(2026, 6, 9))
    assert license_status(overdue) == LicenseStatus.SUSPENDED


def test_paid_the_same_day_it_lifts_and_the_second_runs_on_its_own_dates(
    overdue, organization, owner
):
    second = second_invoice(overdue, organization)
    advance(SUSPEND)
    [suspended] = emails(owner.email, "Suspended:")
    assert "Paying this invoice lifts the suspension at once." in suspended.body_text
    assert f"Invoice {second.number} is also overdue" in suspended.body_text
    assert "becomes past due on 17 May 2026" in suspended.body_text
    pay(overdue)
    assert license_status(overdue) == LicenseStatus.ACTIVE
    advance(date(2026, 5, 16))
    assert license_status(overdue) == LicenseStatus.ACTIVE
    advance(date(2026, 5, 17))
    assert license_status(overdue) == LicenseStatus.PAST_DUE


def test_a_stage_the_license_is_in_is_not_told_again(overdue, organization, owner):
    """Past due by the first invoice, the second's past-due day changes nothing: no
    notice, no "Past due" email saying it happened today. Paying the first leaves the
    license past due: the second has reached its past-due day."""
    advance(date(2026, 4, 1))
    second = license_invoice(organization, overdue.license)
    assert second.past_due_on == date(2026, 5, 8)
    advance(date(2026, 5, 8))
    assert license_status(overdue) == LicenseStatus.PAST_DUE
    assert NoticeKind.PAST_DUE not in {row[0] for row in notices(second)}
    assert len(emails(owner.email, "Past due:")) == 1
    pay(overdue)
    assert license_status(overdue) == LicenseStatus.PAST_DUE
    pay(second, reference="TRF-10")
    assert license_status(overdue) == LicenseStatus.ACTIVE


def test_a_run_that_missed_weeks_writes_only_what_it_sent(overdue, owner, account_manager):
    """The first run 60 days after the due date: one email, the suspension, which names
    the 14-day reminder it includes; the timeline marks days 1 and 7 not sent and shows
    the stages on the day they happened, today."""
    today = DUE + timedelta(days=60)
    clock._set(datetime(2026, 6, 12, 9, 30, tzinfo=UTC), by="test")
    assert today == date(2026, 6, 12)
    run_dunning.apply()
    assert license_status(overdue) == LicenseStatus.SUSPENDED
    [message] = emails(owner.email)
    assert message.subject.startswith("Suspended:")
    text = message.body_text
    assert "This email is also the reminder due 14 days after the due date." in text
    assert "suspended from today" in text
    assert "14 April 2026: reminder (1 day overdue) (not sent" in text
    assert "20 April 2026: reminder (7 days overdue) (not sent" in text
    assert "12 June 2026: reminder (14 days overdue) (done)" in text
    assert "12 June 2026: the license is suspended" in text
    assert "13 May 2026" not in text  # no date the timeline contradicts
    assert "(not sent" in message.body_html and "{{" not in message.body_html
    # Each notice is an email sent, to as many as it says.
    recipients = {row.recipients for row in Notice.objects.exclude(kind=NoticeKind.ACCOUNT_MANAGER)}
    assert recipients == {
        len(emails(owner.email))
        + len(OutboundEmail.objects.exclude(to__in=[owner.email, account_manager.email]))
    }
    assert sorted(row[:2] for row in notices(overdue)) == sorted(
        [
            (NoticeKind.ACCOUNT_MANAGER, 30),
            (NoticeKind.DUNNING_REMINDER, 14),
            (NoticeKind.PAST_DUE, 7),
            (NoticeKind.SUSPENDED, 30),
        ]
    )


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


def test_a_license_the_sweep_cannot_settle_never_stops_the_others(overdue, catalog, monkeypatch):
    from billing.dunning import services
    from billing.models import Invoice, InvoiceStatus
    from tests.factories import OrganizationFactory
    from tests.helpers.licenses import issue

    other = OrganizationFactory(name="Contoso", slug="contoso")
    second = license_invoice(other, issue(other, catalog).license)
    advance(SUSPEND)
    assert (license_status(overdue), license_status(second)) == (LicenseStatus.SUSPENDED,) * 2
    # Both holds left behind, as if the payments' own settlements had not run.
    Invoice.objects.filter(pk__in=[overdue.pk, second.pk]).update(status=InvoiceStatus.VOID)
    settle = services.dunning_settle

    def settle_but_the_first(*, license_ids, **kwargs):
        if license_ids == [overdue.license_id]:
            raise RuntimeError("deadlock detected")
        return settle(license_ids=license_ids, **kwargs)

    monkeypatch.setattr(services, "dunning_settle", settle_but_the_first)
    result = run_dunning.apply().get()

    assert (license_status(overdue), license_status(second)) == (
        LicenseStatus.SUSPENDED,
        LicenseStatus.ACTIVE,
    )
    assert (result["settled"], result["settle_failed"]) == (1, [overdue.license_id])
    monkeypatch.setattr(services, "dunning_settle", settle)
    run_dunning.apply()  # the next run settles it
    assert license_status(overdue) == LicenseStatus.ACTIVE
