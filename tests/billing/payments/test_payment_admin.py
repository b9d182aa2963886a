"""Recording a payment in the admin: an operation on an open invoice with a form (amount,
date received, reference, reason); bad input is a form error and writes nothing; the
payment shows on the invoice and in its own read-only list; an account manager of
other customers gets 404."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission

from billing.invoices.selectors import credit_balance
from billing.models import CreditEntry, Invoice, InvoiceStatus, Payment
from tests.factories import OrganizationFactory, UserFactory
from tests.helpers.invoices import finalized_invoice, pay_in_full

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoice(organization, now) -> Invoice:
    return finalized_invoice(organization)  # $153.00 due, issued 14 March 2026


def url(invoice: Invoice) -> str:
    return f"/admin/billing/invoice/{invoice.pk}/record-payment/"


def form(**overrides) -> dict:
    return {
        "confirm": "yes",
        "amount": "100.00",
        "received_on": "2026-03-14",
        "reference": "BANK-778",
        "reason": "Transfer on the statement of 13 March.",
        **overrides,
    }


def test_staff_record_a_part_payment_then_the_rest(admin_client, admin_user, invoice):
    change_url = f"/admin/billing/invoice/{invoice.pk}/change/"
    assert url(invoice) in admin_client.get(change_url).content.decode()
    page = admin_client.get(url(invoice))
    assert page.status_code == 200
    assert "Still to pay" in page.content.decode() and "153.00" in page.content.decode()

    answer = admin_client.post(url(invoice), form(), follow=True)

    assert answer.redirect_chain == [(change_url, 302)]
    html = answer.content.decode()
    assert "$100.00 recorded on INV-2026-000001; $53.00 still to pay." in html
    assert "BANK-778" in html  # the payments inline
    payment = Payment.objects.get()
    assert (payment.amount, payment.received_on, payment.recorded_by) == (
        Decimal("100.00"),
        date(2026, 3, 14),
        admin_user,
    )
    assert payment.reason == "Transfer on the statement of 13 March."

    answer = admin_client.post(
        url(invoice), form(amount="60.00", reference="BANK-779"), follow=True
    )

    assert "it is paid" in answer.content.decode()
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert credit_balance(organization=invoice.organization, currency="USD").amount == 7
    # Paid: the operation is not offered again, and the invoice's history has the change.
    assert url(invoice) not in admin_client.get(change_url).content.decode()
    history = admin_client.get(f"/admin/billing/invoice/{invoice.pk}/history/")
    assert history.status_code == 200 and "Paid" in history.content.decode()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"amount": ""}, "This field is required."),
        ({"amount": "lots"}, "Enter a number."),
        ({"amount": "0"}, "greater than or equal to 0.01"),
        ({"amount": "10.005"}, "no more than 2 decimal places"),
        ({"received_on": "2026-03-15"}, "cannot arrive in the future"),
        ({"received_on": "13/13/2026"}, "Enter a valid date."),
        ({"reference": " "}, "This field is required."),
        ({"reason": ""}, "This field is required."),
    ],
)
def test_bad_input_is_a_form_error_and_writes_nothing(admin_client, invoice, overrides, message):
    answer = admin_client.post(url(invoice), form(**overrides))

    assert answer.status_code == 200
    assert message in answer.content.decode()
    assert not Payment.objects.exists()
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.OPEN


def test_the_same_transfer_twice_is_a_form_error(admin_client, invoice):
    admin_client.post(url(invoice), form(amount="10.00"))

    answer = admin_client.post(url(invoice), form(amount="10.00"))

    assert answer.status_code == 200
    assert "A payment with reference BANK-778 is already recorded here." in answer.content.decode()
    assert Payment.objects.count() == 1


def test_a_paid_invoice_takes_no_payment(admin_client, invoice):
    pay_in_full(invoice)

    answer = admin_client.post(url(invoice), form(), follow=True)

    assert "not one you can record a payment on" in answer.content.decode()
    assert Payment.objects.count() == 1 and not CreditEntry.objects.exists()


def test_payments_are_listed_read_only(admin_client, invoice):
    pay_in_full(invoice, reference="BANK-1")
    payment = Payment.objects.get()

    listing = admin_client.get("/admin/billing/payment/")
    assert listing.status_code == 200
    assert "BANK-1" in listing.content.decode() and "Bank transfer" in listing.content.decode()
    assert admin_client.get("/admin/billing/payment/add/").status_code == 403
    delete = f"/admin/billing/payment/{payment.pk}/delete/"
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    page = admin_client.get(f"/admin/billing/payment/{payment.pk}/change/").content.decode()
    assert 'name="amount"' not in page
    assert Payment.objects.count() == 1


def test_an_account_manager_of_other_customers_gets_404(client_for, invoice, account_manager):
    permissions = Permission.objects.filter(
        codename__in=["view_invoice", "change_invoice", "add_payment"]
    )
    other = UserFactory(is_staff=True)
    other.user_permissions.set(permissions)
    OrganizationFactory(account_manager=other)
    account_manager.user_permissions.set(permissions)
    # With the same permissions, Northwind's own account manager reaches the page.
    assert client_for(account_manager).get(url(invoice)).status_code == 200

    client = client_for(other)

    assert client.get(url(invoice)).status_code == 404
    assert client.post(url(invoice), form()).status_code == 404
    assert not Payment.objects.exists()


def test_staff_without_the_permission_are_not_offered_it(client_for, invoice, account_manager):
    account_manager.user_permissions.add(Permission.objects.get(codename="view_invoice"))
    client = client_for(account_manager)
    change_url = f"/admin/billing/invoice/{invoice.pk}/change/"
    assert client.get(change_url).status_code == 200
    assert url(invoice) not in client.get(change_url).content.decode()

    answer = client.post(url(invoice), form())

    assert answer.status_code == 302 and not Payment.objects.exists()
