"""Issuing a credit note for part of a paid invoice in the admin: an amount before tax
(at most what remains) and a reason, through the service; the customer's credit and the
email follow; bad input is a form error and writes nothing; an open invoice is voided
instead; staff who may only read invoices (account managers) get 403."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission

from billing.invoices.selectors import credit_balance
from billing.models import CreditNote, Invoice, InvoiceStatus
from portal.models import OutboundEmail
from tests.factories import OrganizationFactory, UserFactory
from tests.helpers.invoices import finalized_invoice, pay_in_full

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoice(organization, now) -> Invoice:
    return pay_in_full(finalized_invoice(organization))  # $153.00, paid


def url(invoice: Invoice) -> str:
    return f"/admin/billing/invoice/{invoice.pk}/credit-note/"


def test_staff_credit_part_of_a_paid_invoice_with_a_reason(
    admin_client, admin_user, invoice, owner
):
    change_url = f"/admin/billing/invoice/{invoice.pk}/change/"
    assert url(invoice) in admin_client.get(change_url).content.decode()
    page = admin_client.get(url(invoice)).content.decode()
    assert "Issue credit note" in page and "$153.00" in page

    answer = admin_client.post(
        url(invoice), {"amount": "20.00", "reason": "Two seats never used."}, follow=True
    )

    assert answer.redirect_chain == [(change_url, 302)]
    note = CreditNote.objects.get()
    assert (note.invoice, note.subtotal, note.reason, note.issued_by) == (
        invoice,
        Decimal("20.00"),
        "Two seats never used.",
        admin_user,
    )
    assert f"Credit note {note.number} credits $20.00 on {invoice.number}" in (
        answer.content.decode()
    )
    assert credit_balance(organization=invoice.organization, currency="USD").amount == 20
    emailed = OutboundEmail.objects.get(subject__startswith=f"Credit note {note.number}")
    assert emailed.to == owner.email and emailed.attachments.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"amount": "20.00", "reason": ""}, "This field is required."),
        ({"amount": "20.00", "reason": "   "}, "This field is required."),
        ({"amount": "", "reason": "Why"}, "This field is required."),
        ({"amount": "0", "reason": "Why"}, "greater than or equal to 0.01"),
        ({"amount": "lots", "reason": "Why"}, "Enter a number."),
        ({"amount": "153.01", "reason": "Why"}, "less than or equal to 153.00"),
    ],
)
def test_bad_input_is_a_form_error_and_writes_nothing(admin_client, invoice, data, message):
    answer = admin_client.post(url(invoice), data)

    assert answer.status_code == 200
    assert message in answer.content.decode()
    assert not CreditNote.objects.exists()


def test_no_more_than_remains_after_an_earlier_credit_note(admin_client, invoice):
    admin_client.post(url(invoice), {"amount": "150.00", "reason": "Most of it."})

    answer = admin_client.post(url(invoice), {"amount": "3.01", "reason": "The rest and more."})

    assert answer.status_code == 200
    assert "less than or equal to 3.00" in answer.content.decode()
    assert CreditNote.objects.count() == 1


def test_an_open_invoice_is_not_credited_in_part(admin_client, organization, now):
    open_invoice = finalized_invoice(organization)
    change_url = f"/admin/billing/invoice/{open_invoice.pk}/change/"
    assert url(open_invoice) not in admin_client.get(change_url).content.decode()

    answer = admin_client.post(url(open_invoice), {"amount": "1", "reason": "Why"}, follow=True)

    assert "void an open one" in answer.content.decode()
    assert not CreditNote.objects.exists()
    assert Invoice.objects.get(pk=open_invoice.pk).status == InvoiceStatus.OPEN


def test_an_account_manager_may_read_but_not_credit(client_for, invoice, account_manager):
    client = client_for(account_manager)
    change_url = f"/admin/billing/invoice/{invoice.pk}/change/"
    assert client.get(change_url).status_code == 200
    assert url(invoice) not in client.get(change_url).content.decode()

    assert client.get(url(invoice)).status_code == 403
    assert client.post(url(invoice), {"amount": "5", "reason": "Why"}).status_code == 403
    assert not CreditNote.objects.exists()


def test_staff_of_other_customers_get_404(client_for, invoice):
    other = UserFactory(is_staff=True)
    other.user_permissions.set(
        Permission.objects.filter(codename__in=["view_invoice", "change_invoice"])
    )
    OrganizationFactory(account_manager=other)

    answer = client_for(other).post(url(invoice), {"amount": "5", "reason": "Why"})

    assert answer.status_code == 404 and not CreditNote.objects.exists()
