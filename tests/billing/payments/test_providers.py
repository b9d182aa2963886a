"""The payment providers: bank transfer tells the customer where to pay, with the invoice
number as the reference, and a production site is warned off the demo bank account."""

from decimal import Decimal

import pytest
from django.core.checks import run_checks

from billing.providers import provider_for, provider_named
from tests.helpers.invoices import finalized_invoice

pytestmark = pytest.mark.django_db

REAL_ACCOUNT = {
    "account_name": "Tierwise Ltd",
    "bank_name": "First Bank",
    "iban": "DE89 3704 0044 0532 0130 00",
    "bic": "COBADEFFXXX",
}


@pytest.fixture
def invoice(organization, now):
    return finalized_invoice(organization, lines=[("Team", 1, Decimal("50"))])


def test_the_bank_transfer_provider_tells_how_to_pay_with_the_invoice_number(invoice, settings):
    settings.TIERWISE_BANK_DETAILS = REAL_ACCOUNT

    instructions = provider_for(invoice).instructions(invoice)

    details = dict(instructions.details)
    assert details["IBAN"] == "DE89 3704 0044 0532 0130 00"
    assert details["Payment reference"] == invoice.number
    assert invoice.number in instructions.note


def test_a_payment_names_its_provider_for_good():
    assert provider_named("bank_transfer").label == "Bank transfer"
    with pytest.raises(LookupError, match="card"):
        provider_named("card")


def _deploy_warnings() -> list[str]:
    return [m.id for m in run_checks(include_deployment_checks=True, tags=["billing"])]


def test_the_deploy_check_warns_while_invoices_show_the_demo_account(settings):
    assert "billing.W001" in _deploy_warnings()

    settings.TIERWISE_BANK_DETAILS = REAL_ACCOUNT

    assert "billing.W001" not in _deploy_warnings()
