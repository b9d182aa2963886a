"""Money sums are exact on every database: SQLite's SUM adds decimals in floating point,
so the selectors add up the rows' Decimals themselves. The suite runs on SQLite locally
and on PostgreSQL in CI, so these run on both."""

from datetime import date
from decimal import Decimal

import pytest

from billing.invoices.selectors import credit_balance, credit_balances, invoice_summary
from billing.models import CreditEntry
from billing.money import Money
from billing.payments.services import payment_record
from tests.helpers.invoices import finalized_invoice

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 14)


def grant(organization, amount: str, currency: str = "USD") -> None:
    CreditEntry.objects.create(
        organization=organization, currency=currency, amount=Decimal(amount), description="x"
    )


def test_it_sums_a_credit_balance_to_the_cent(organization):
    grant(organization, "23.01")
    grant(organization, "-23.00")

    balance = credit_balance(organization=organization, currency="USD")

    assert balance == Money(Decimal("0.01"), "USD")
    assert balance.amount.as_tuple() == Decimal("0.01").as_tuple()


def test_it_sums_every_currency_apart_and_leaves_out_a_spent_one(organization):
    for amount in ("0.10", "0.20", "-0.30"):
        grant(organization, amount, "EUR")
    for amount in ("0.10", "0.20"):
        grant(organization, amount, "USD")
    grant(organization, "1000", "JPY")

    assert credit_balances(organization=organization) == [
        Money(Decimal("1000"), "JPY"),
        Money(Decimal("0.30"), "USD"),
    ]
    assert credit_balance(organization=organization, currency="EUR") == Money(0, "EUR")
    assert credit_balance(organization=organization, currency="GBP") == Money(0, "GBP")


def test_it_sums_what_is_still_to_pay_to_the_cent(organization):
    lines = [("A line", 1, Decimal("0.10"))]
    first = finalized_invoice(organization, lines=lines, today=TODAY)
    finalized_invoice(organization, lines=[("B line", 1, Decimal("0.20"))], today=TODAY)
    payment_record(
        invoice=first,
        amount=Money(Decimal("0.03"), "USD"),
        received_on=TODAY,
        reference="TRF-1",
        actor=None,
        reason="Part of it.",
    )

    summary = invoice_summary(organization=organization, today=TODAY)

    assert summary.open_count == 2
    assert [m.amount.as_tuple() for m in summary.outstanding] == [Decimal("0.27").as_tuple()]
