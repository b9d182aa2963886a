"""The billing emails: each queued through the outbox to the owners and billing admins
(never members), once, with the right content, and not at all when the change that
caused it rolls back."""

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.db import transaction

from billing.checkout.scheduled import scheduled_change_apply, scheduled_change_cancel
from billing.invoices import services
from billing.models import InvoiceDocument
from billing.money import Money
from billing.payments.services import payment_record
from billing.tasks import render_invoice_pdf
from licensing.licenses.services import (
    Actor,
    license_change_seats,
    license_reinstate,
    license_suspend,
)
from portal.models import OutboundEmail, OutboundEmailAttachment
from portal.tasks import send_email
from tests.factories import UserFactory
from tests.helpers.checkout import confirm, subscribed
from tests.helpers.invoices import finalized_invoice, pay_in_full

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(owner, billing_admin, teammate):
    """The owner and the billing admin receive billing mail; the teammate never does."""
    return {"owner": owner, "billing": billing_admin, "member": teammate}


def queued(subject_start: str) -> list[OutboundEmail]:
    return list(
        OutboundEmail.objects.filter(subject__startswith=subject_start).order_by("to", "pk")
    )


def recipients(messages) -> list[str]:
    return sorted(message.to for message in messages)


def billing_addresses(people) -> list[str]:
    return sorted([people["owner"].email, people["billing"].email])


def assert_reads_well(message: OutboundEmail) -> None:
    """The plain text part has no template tags, no "None", no HTML entities, and
    every link is absolute."""
    text = message.body_text
    assert "{%" not in text and "{{" not in text and "None" not in text
    assert not re.search(r"&[a-z]+;|&#\d+;", text), text
    assert "Northwind" in text
    for link in re.findall(r"https?://\S+", message.body_html + text):
        assert link.startswith("http://testserver/"), link
    assert 'href="/' not in message.body_html


def usd(amount) -> Money:
    return Money(Decimal(amount), "USD")


# --- Invoice issued ----------------------------------------------------------------------


def test_an_invoice_is_emailed_once_with_its_pdf_when_its_pdf_is_stored(
    organization, people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invoice = finalized_invoice(organization)

    messages = queued(f"Invoice {invoice.number}")
    assert recipients(messages) == billing_addresses(people)
    message = messages[0]
    assert message.subject == f"Invoice {invoice.number} for Northwind: $153.00 due"
    assert "Total: $153.00" in message.body_text
    assert f"http://testserver/app/northwind/invoices/{invoice.number}/" in message.body_text
    assert f'href="http://testserver/app/northwind/invoices/{invoice.number}/"' in (
        message.body_html
    )
    assert_reads_well(message)
    attachment = message.attachments.get()
    document = InvoiceDocument.objects.get(invoice=invoice, version=1)
    assert (attachment.filename, attachment.mimetype) == (
        f"{invoice.number}.pdf",
        "application/pdf",
    )
    assert bytes(attachment.content) == bytes(document.pdf)

    # A retried or duplicated render task sends nothing more.
    assert render_invoice_pdf.apply(args=[document.pk]).get() == "skipped"
    assert render_invoice_pdf.apply(args=[document.pk]).get() == "skipped"
    assert len(queued(f"Invoice {invoice.number}")) == 2

    # The worker sent the PDF as an attachment, once to each.
    assert sorted(m.to[0] for m in mail.outbox if invoice.number in m.subject) == (
        billing_addresses(people)
    )
    assert send_email.apply(args=[message.pk]).get() == "skipped"
    sent = next(m for m in mail.outbox if m.to == [message.to])
    assert sent.attachments[0][0] == f"{invoice.number}.pdf"
    assert sent.attachments[0][1].startswith(b"%PDF-")
    assert sent.alternatives[0][1] == "text/html"


def test_the_render_task_run_twice_emails_once(organization, people):
    invoice = finalized_invoice(organization)  # no commit here: the task has not run
    document = InvoiceDocument.objects.get(invoice=invoice)
    assert queued("Invoice") == []

    assert render_invoice_pdf.apply(args=[document.pk]).get() == "rendered"
    assert render_invoice_pdf.apply(args=[document.pk]).get() == "skipped"

    assert recipients(queued(f"Invoice {invoice.number}")) == billing_addresses(people)


def test_a_pdf_superseded_before_its_render_emails_the_version_that_is_rendered(
    organization, people
):
    invoice = finalized_invoice(organization)
    first = InvoiceDocument.objects.get(invoice=invoice, version=1)
    pay_in_full(invoice)  # version 2 supersedes version 1 before any worker rendered it
    second = InvoiceDocument.objects.get(invoice=invoice, version=2)

    assert render_invoice_pdf.apply(args=[first.pk]).get() == "skipped"
    assert queued("Invoice") == []
    assert render_invoice_pdf.apply(args=[second.pk]).get() == "rendered"
    assert render_invoice_pdf.apply(args=[second.pk]).get() == "skipped"

    messages = queued(f"Invoice {invoice.number}")
    assert recipients(messages) == billing_addresses(people)
    assert messages[0].subject == f"Invoice {invoice.number} for Northwind: nothing to pay"
    # A later version rendered after the first sends nothing more.
    services.invoice_void_with_credit_note(invoice=invoice, reason="Wrong customer.")
    third = InvoiceDocument.objects.get(invoice=invoice, version=3)
    render_invoice_pdf.apply(args=[third.pk])
    assert len(queued(f"Invoice {invoice.number}")) == 2


def test_an_invoice_voided_before_its_first_render_is_not_announced(organization, people):
    invoice = finalized_invoice(organization)
    services.invoice_void_with_credit_note(invoice=invoice, reason="Wrong customer.")
    newest = InvoiceDocument.objects.get(invoice=invoice, version=2)
    assert render_invoice_pdf.apply(args=[newest.pk]).get() == "rendered"
    assert queued("Invoice") == [] and len(queued("Credit note")) == 2


def test_no_invoice_email_when_the_store_rolls_back(organization, people, monkeypatch):
    invoice = finalized_invoice(organization)
    document = InvoiceDocument.objects.get(invoice=invoice)

    def broken(*args, **kwargs):
        raise RuntimeError("the outbox is down")

    monkeypatch.setattr("billing.emails.notices.send_billing_email", broken)
    with pytest.raises(RuntimeError):
        render_invoice_pdf.apply(args=[document.pk], throw=True)
    document.refresh_from_db()
    assert document.rendered_at is None and queued("Invoice") == []
    assert OutboundEmailAttachment.objects.count() == 0


# --- Payment received --------------------------------------------------------------------


def test_a_payment_sends_a_receipt(organization, people):
    invoice = finalized_invoice(organization)
    payment_record(
        invoice=invoice,
        amount=usd("100"),
        received_on=date(2026, 3, 14),
        reference="TRF-77",
        actor=UserFactory(is_staff=True),
        reason="On the statement.",
    )
    messages = queued("Payment received")
    assert recipients(messages) == billing_addresses(people)
    text = messages[0].body_text
    assert messages[0].subject == f"Payment received: $100.00 for {invoice.number} (Northwind)"
    for expected in [
        "Amount: $100.00",
        "Received on: 14 March 2026",
        "Method: Bank transfer",
        "Reference: TRF-77",
        f"Invoice: {invoice.number}",
        f"Still to pay on {invoice.number}: $53.00",
    ]:
        assert expected in text
    assert_reads_well(messages[0])


def test_an_overpayment_receipt_says_what_became_credit(organization, people):
    invoice = finalized_invoice(organization)
    payment_record(
        invoice=invoice,
        amount=usd("160"),
        received_on=date(2026, 3, 14),
        reference="TRF-78",
        actor=None,
        reason="On the statement.",
    )
    text = queued("Payment received")[0].body_text
    assert f"{invoice.number} is paid in full." in text
    assert "Beyond the invoice, $7.00 became credit" in text


def test_no_receipt_when_the_payment_rolls_back(organization, people):
    invoice = finalized_invoice(organization)
    with pytest.raises(RuntimeError), transaction.atomic():
        payment_record(
            invoice=invoice,
            amount=usd("10"),
            received_on=date(2026, 3, 14),
            reference="TRF-79",
            actor=None,
            reason="On the statement.",
        )
        raise RuntimeError("something after it failed")
    assert queued("Payment received") == []


# --- Credit note issued ------------------------------------------------------------------


def test_a_credit_note_is_emailed_with_where_its_credit_went(organization, people):
    invoice = pay_in_full(finalized_invoice(organization))
    note = services.credit_note_issue(invoice=invoice, subtotal=usd("20"), reason="Two seats.")
    messages = queued(f"Credit note {note.number}")
    assert recipients(messages) == billing_addresses(people)
    text = messages[0].body_text
    assert f"Credit note: {note.number}, issued on 14 March 2026" in text
    assert "Credited: $20.00" in text and "Why: Two seats." in text
    assert "Your credit balance is now $20.00." in text
    assert f"/app/northwind/invoices/{invoice.number}/" in text
    assert_reads_well(messages[0])


def test_a_credit_note_email_attaches_and_links_the_credit_notes_pdf(organization, people):
    invoice = pay_in_full(finalized_invoice(organization))
    note = services.credit_note_issue(invoice=invoice, subtotal=usd("20"), reason="Two seats.")
    message = queued(f"Credit note {note.number}")[0]
    pdf_url = f"http://testserver/app/northwind/credit-notes/{note.number}.pdf"
    assert pdf_url in message.body_text
    assert f'href="{pdf_url}"' in message.body_html
    attachment = message.attachments.get()
    assert (attachment.filename, attachment.mimetype) == (f"{note.number}.pdf", "application/pdf")
    assert bytes(attachment.content).startswith(b"%PDF-")


def test_a_credit_note_whose_pdf_fails_to_render_is_still_issued_and_emailed(
    organization, people, monkeypatch
):
    def broken(*args, **kwargs):
        raise OSError("no fonts")

    monkeypatch.setattr("billing.emails.notices.render_pdf", broken)
    invoice = pay_in_full(finalized_invoice(organization))
    note = services.credit_note_issue(invoice=invoice, subtotal=usd("20"), reason="Two seats.")
    message = queued(f"Credit note {note.number}")[0]
    assert not message.attachments.exists()
    assert f"/app/northwind/credit-notes/{note.number}.pdf" in message.body_text


def test_a_credit_note_says_which_open_invoice_its_credit_paid(organization, people):
    paid = pay_in_full(finalized_invoice(organization))
    waiting = finalized_invoice(organization)
    note = services.credit_note_issue(invoice=paid, subtotal=usd("20"), reason="Two seats.")
    text = queued(f"Credit note {note.number}")[0].body_text
    assert f"- It paid $20.00 of {waiting.number}." in text
    assert "Your credit balance is now $0.00." in text


def test_a_void_emails_its_credit_note(organization, people):
    invoice = finalized_invoice(organization)
    note = services.invoice_void_with_credit_note(invoice=invoice, reason="Wrong plan.")
    assert recipients(queued(f"Credit note {note.number}")) == billing_addresses(people)


def test_no_credit_note_email_when_it_rolls_back(organization, people):
    invoice = pay_in_full(finalized_invoice(organization))
    with pytest.raises(RuntimeError), transaction.atomic():
        services.credit_note_issue(invoice=invoice, subtotal=usd("20"), reason="Two seats.")
        raise RuntimeError("rolled back")
    assert queued("Credit note") == []


# --- Plan changed ------------------------------------------------------------------------


def test_a_billing_admin_cutting_seats_is_told_to_the_owners(organization, catalog, people):
    license = subscribed(organization, catalog, "business", seats=12)
    confirm(organization, license, people["billing"], tier="business", seats=10, cycle="monthly")

    messages = queued("A change to your")
    assert recipients(messages) == billing_addresses(people)
    text = messages[0].body_text
    admin = people["billing"]
    assert f"Changed by: {admin.get_full_name()} ({admin.email})" in text
    assert "On 1 April 2026, at the end of the term: 10 seats." in text
    assert_reads_well(messages[0])


def test_an_upgrade_says_what_moved_from_when(organization, catalog, people):
    license = subscribed(organization, catalog, seats=5)
    confirm(organization, license, people["owner"], tier="business", seats=10, cycle="monthly")

    messages = queued("Your ")
    assert recipients(messages) == billing_addresses(people)
    text = messages[0].body_text
    assert "In force from 14 March 2026:" in text
    assert "- Plan: Team → Business" in text and "- Seats: 5 → 10" in text
    assert "- Price:" in text
    assert '<th scope="row"' in messages[0].body_html
    assert_reads_well(messages[0])


def test_a_scheduled_change_applied_is_told(organization, catalog, people):
    license = subscribed(organization, catalog, "business", seats=12)
    _, checkout = confirm(
        organization, license, people["owner"], tier="team", seats=8, cycle="monthly"
    )
    OutboundEmail.objects.all().delete()

    scheduled_change_apply(change=checkout.scheduled_change, at=datetime(2026, 4, 1, 9, tzinfo=UTC))
    messages = queued("Your ")
    assert recipients(messages) == billing_addresses(people)
    text = messages[0].body_text
    assert "In force from 1 April 2026:" in text and "- Seats: 12 → 8" in text
    assert "Scheduled on 14 March 2026 and applied at the end of the term" in text
    assert "- Plan: Business → Team" in text


def test_a_scheduled_change_called_off_is_told(organization, catalog, people):
    license = subscribed(organization, catalog, "business", seats=12)
    _, second = confirm(
        organization, license, people["owner"], tier="team", seats=8, cycle="monthly"
    )
    OutboundEmail.objects.all().delete()
    scheduled_change_cancel(change=second.scheduled_change, user=people["billing"], reason="No.")
    messages = queued("A scheduled change")
    assert recipients(messages) == billing_addresses(people)
    assert "Called off: the change scheduled for 1 April 2026" in messages[0].body_text


def test_a_checkout_that_calls_off_a_scheduled_change_says_so(organization, catalog, people):
    license = subscribed(organization, catalog, "business", seats=12)
    confirm(organization, license, people["owner"], tier="team", seats=8, cycle="monthly")
    OutboundEmail.objects.all().delete()
    # An upgrade cancels the scheduled downgrade (it would move the license back).
    confirm(organization, license, people["owner"], tier="enterprise", seats=25, cycle="monthly")
    text = queued("Your ")[0].body_text
    assert "Called off: the change scheduled for 1 April 2026" in text


def test_staff_changes_in_the_admin_are_told(organization, catalog, people, admin_client):
    license = subscribed(organization, catalog, seats=5)
    answer = admin_client.post(
        f"/admin/billing/subscription/{license.subscription.pk}/operate/auto-renew/",
        {"auto_renew": "off", "reason": "The customer asked by phone."},
    )
    assert answer.status_code == 302
    messages = queued("Your ")
    assert recipients(messages) == billing_addresses(people)
    text = messages[0].body_text
    assert "Changed by: Tierwise staff" in text
    assert "- Renewal: Renews at the end of the term → Ends with the term" in text

    # Seats cut by staff in the licensing admin, through licensing's own service.
    OutboundEmail.objects.all().delete()
    license_change_seats(
        license=license,
        seats=3,
        actor=Actor.of(UserFactory(is_staff=True), "admin"),
        reason="Contract amended.",
    )
    assert "- Seats: 5 → 3" in queued("Your ")[0].body_text


def test_a_staff_suspension_says_what_it_means_and_not_why(organization, catalog, people):
    license = subscribed(organization, catalog, seats=5)
    staff = Actor.of(UserFactory(is_staff=True), "admin")
    license_suspend(license=license, actor=staff, reason="Terms breached (internal).")
    message = queued("Your ")[0]
    for body in (message.body_text, message.body_html):
        assert "Suspended" in body
        assert "new machines cannot be activated" in body
        assert "A payment does not lift a suspension our staff placed." in body
        assert "Terms breached" not in body

    OutboundEmail.objects.all().delete()
    license_reinstate(license=license, actor=staff, reason="Sorted out.")
    text = queued("Your ")[0].body_text
    assert "The license works again" in text
    assert "new machines cannot be activated" not in text


def test_no_plan_email_when_the_change_rolls_back(organization, catalog, people):
    license = subscribed(organization, catalog, seats=5)
    with pytest.raises(RuntimeError), transaction.atomic():
        confirm(organization, license, people["owner"], tier="team", seats=8, cycle="monthly")
        raise RuntimeError("rolled back")
    assert OutboundEmail.objects.count() == 0


def test_members_never_get_billing_mail(
    organization, catalog, people, django_capture_on_commit_callbacks
):
    license = subscribed(organization, catalog, seats=5)
    with django_capture_on_commit_callbacks(execute=True):
        _, checkout = confirm(
            organization, license, people["owner"], tier="team", seats=8, cycle="monthly"
        )
        pay_in_full(checkout.invoice)
    assert OutboundEmail.objects.exists()
    assert people["member"].email not in set(OutboundEmail.objects.values_list("to", flat=True))
