"""Recording payments through payment_record: an exact payment settles the invoice, part
payments reduce what remains until one covers the rest, an overpayment becomes credit,
and every refusal leaves nothing written."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from billing.invoices import services
from billing.invoices.selectors import (
    credit_balance,
    invoice_outstanding,
    invoice_paid,
    invoice_summary,
)
from billing.models import (
    CreditEntry,
    FinalizedDocumentError,
    Invoice,
    InvoiceStatus,
    Payment,
)
from billing.money import Money
from billing.payments.services import payment_record
from tests.helpers.invoices import finalized_invoice, pay_in_full

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 14)  # the frozen now's date


def usd(amount: str) -> Money:
    return Money(Decimal(amount), "USD")


def pay(invoice: Invoice, amount: Money, *, reference: str = "TRF-1", **overrides) -> Payment:
    arguments = {
        "invoice": invoice,
        "amount": amount,
        "received_on": TODAY,
        "reference": reference,
        "actor": None,
        "reason": "On the bank statement.",
        **overrides,
    }
    return payment_record(**arguments)


@pytest.fixture
def invoice(organization) -> Invoice:
    return finalized_invoice(organization, today=TODAY)  # $153.00 due


def fresh(invoice: Invoice) -> Invoice:
    return Invoice.objects.get(pk=invoice.pk)


def test_an_exact_payment_marks_the_invoice_paid(invoice, admin_user, now):
    payment = pay(invoice, usd("153.00"), actor=admin_user)

    invoice = fresh(invoice)
    assert invoice.status == InvoiceStatus.PAID and invoice.paid_at == now
    assert invoice_outstanding(invoice=invoice) == usd("0")
    assert (payment.organization, payment.currency, payment.amount) == (
        invoice.organization,
        "USD",
        Decimal("153.00"),
    )
    assert (payment.provider, payment.recorded_by) == ("bank_transfer", admin_user)
    assert not CreditEntry.objects.exists()


@pytest.mark.parametrize(
    ("first", "second", "left_after_first"),
    [
        ("100.00", "53.00", "53.00"),
        ("0.01", "152.99", "152.99"),
        ("152.99", "0.01", "0.01"),
    ],
)
def test_part_payments_reduce_what_remains_until_one_covers_the_rest(
    invoice, organization, first, second, left_after_first
):
    pay(invoice, usd(first), reference="TRF-1")

    after_first = fresh(invoice)
    assert after_first.status == InvoiceStatus.OPEN and after_first.paid_at is None
    assert invoice_paid(invoice=after_first) == usd(first)
    assert invoice_outstanding(invoice=after_first) == usd(left_after_first)
    summary = invoice_summary(organization=organization, today=TODAY)
    assert (summary.open_count, summary.outstanding) == (1, [usd(left_after_first)])

    pay(invoice, usd(second), reference="TRF-2")

    assert fresh(invoice).status == InvoiceStatus.PAID
    assert invoice_summary(organization=organization, today=TODAY).outstanding == []
    assert not CreditEntry.objects.exists()


@pytest.mark.parametrize(
    ("payments", "credit"),
    [
        (["160.00"], "7.00"),
        (["100.00", "100.00"], "47.00"),
        (["153.01"], "0.01"),
    ],
)
def test_an_overpayment_becomes_credit_for_the_next_invoice(
    invoice, organization, payments, credit
):
    for number, amount in enumerate(payments):
        pay(invoice, usd(amount), reference=f"TRF-{number}")

    assert fresh(invoice).status == InvoiceStatus.PAID
    assert credit_balance(organization=organization, currency="USD") == usd(credit)
    entry = CreditEntry.objects.get()
    assert entry.invoice == invoice and entry.description.startswith(
        f"Overpayment of {invoice.number}"
    )
    nxt = finalized_invoice(organization, lines=[("Team", 1, Decimal("50"))], today=TODAY)
    assert nxt.credit_applied == Decimal(credit)


def test_it_asks_only_for_what_credit_left_to_pay(organization):
    finalized_invoice(organization, lines=[("Credit", 1, Decimal("-40"))], today=TODAY)
    invoice = finalized_invoice(organization, today=TODAY)
    assert invoice.amount_due == Decimal("113.00")

    pay(invoice, usd("113.00"))

    assert fresh(invoice).status == InvoiceStatus.PAID
    assert credit_balance(organization=organization, currency="USD") == usd("0")


def _nothing_written(invoice: Invoice, credit_entries: int) -> None:
    assert not Payment.objects.filter(invoice=invoice).exists()
    assert CreditEntry.objects.count() == credit_entries
    assert fresh(invoice).status == invoice.status


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"amount": Money(Decimal("153"), "EUR")}, "amount", "This invoice is in USD, not EUR."),
        ({"amount": usd("0")}, "amount", "A payment is a positive amount."),
        ({"amount": usd("-5")}, "amount", "A payment is a positive amount."),
        ({"amount": usd("10.005")}, "amount", "USD amounts go to the minor unit"),
        ({"received_on": TODAY + timedelta(days=1)}, "received_on", "cannot arrive in the future"),
        ({"received_on": date(2020, 1, 1)}, "received_on", "a payment for it arrives on that"),
        ({"reference": "  "}, "reference", "Give the payment's reference"),
        ({"reason": ""}, "reason", "Say why; the reason is kept on record."),
    ],
)
def test_bad_input_is_refused_field_by_field_and_nothing_is_written(
    invoice, overrides, field, message
):
    with pytest.raises(ValidationError) as refused:
        pay(invoice, **{"amount": usd("153.00"), **overrides})

    assert message in " ".join(refused.value.message_dict[field])
    _nothing_written(invoice, credit_entries=0)


def test_the_same_transfer_is_not_recorded_twice(invoice):
    pay(invoice, usd("50.00"), reference="TRF-9")

    with pytest.raises(ValidationError) as refused:
        pay(invoice, usd("50.00"), reference=" TRF-9 ")

    assert "already recorded" in refused.value.message_dict["reference"][0]
    assert Payment.objects.count() == 1
    assert invoice_outstanding(invoice=fresh(invoice)) == usd("103.00")


def test_a_draft_a_void_or_a_paid_invoice_takes_no_payment(organization, invoice):
    draft = services.invoice_create_draft(organization=organization, currency="USD")
    void = finalized_invoice(organization, today=TODAY)
    services.invoice_void_with_credit_note(invoice=void, reason="Billed twice")
    paid = pay_in_full(invoice)

    credit_entries = CreditEntry.objects.count()
    for target, message in [(draft, "draft"), (void, "is void"), (paid, "already paid")]:
        with pytest.raises(ValidationError, match=message):
            pay(target, usd("1.00"), reference="TRF-late")
    assert not Payment.objects.filter(reference="TRF-late").exists()
    assert CreditEntry.objects.count() == credit_entries
    assert [fresh(target).status for target in (draft, void, paid)] == ["draft", "void", "paid"]


def test_voiding_a_part_paid_invoice_gives_what_was_paid_back_as_credit(organization):
    finalized_invoice(organization, lines=[("Credit", 1, Decimal("-40"))], today=TODAY)
    invoice = finalized_invoice(organization, today=TODAY)  # 40 from credit, 113 due
    pay(invoice, usd("60.00"))

    note = services.invoice_void_with_credit_note(invoice=invoice, reason="Wrong tier")

    assert note.total == Decimal("153.00")
    # The credit it used and the money paid towards it: 40 + 60.
    assert credit_balance(organization=organization, currency="USD") == usd("100.00")
    assert invoice_outstanding(invoice=fresh(invoice)) == usd("0")


def test_a_payment_is_append_only(invoice):
    payment = pay(invoice, usd("10.00"))

    payment.amount = Decimal("1.00")
    with pytest.raises(FinalizedDocumentError):
        payment.save()
    with pytest.raises(FinalizedDocumentError):
        payment.delete()
    assert Payment.objects.get().amount == Decimal("10.00")


def test_money_for_an_invoice_paid_meanwhile_is_recorded_and_all_of_it_becomes_credit(
    organization, now
):
    from billing.payments.services import payment_record_as_credit
    from billing.providers.stripe_card import StripeCard

    first = pay_in_full(finalized_invoice(organization, lines=[("Team", 1, Decimal("30"))]))
    second = finalized_invoice(organization, lines=[("Seats", 1, Decimal("20"))])
    amount = first.money("amount_due")
    arguments = {
        "invoice": first,
        "amount": amount,
        "received_on": TODAY,
        "reference": "pi_late",
        "actor": None,
        "reason": "Paid by card after the transfer.",
        "provider": StripeCard(),
    }

    payment = payment_record_as_credit(**arguments)

    assert (payment.invoice, payment.money(), payment.provider) == (first, amount, "stripe")
    assert fresh(first).status == InvoiceStatus.PAID
    assert fresh(second).status == InvoiceStatus.PAID
    assert credit_balance(organization=organization, currency="USD") == amount - second.money(
        "amount_due"
    )
    # The same money again is refused; nothing more is written.
    with pytest.raises(ValidationError, match="already recorded"):
        payment_record_as_credit(**arguments)
    assert Payment.objects.filter(reference="pi_late").count() == 1
