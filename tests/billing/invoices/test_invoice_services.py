"""Invoices through their services: finalizing, numbering, credit, credit notes."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from billing.invoices import services
from billing.invoices.kinds import LineKind
from billing.invoices.selectors import credit_balance
from billing.models import (
    BillingDetails,
    CreditNote,
    FinalizedDocumentError,
    Invoice,
    InvoiceStatus,
    PaymentTerms,
)
from billing.money import Money
from tests.factories import OrganizationFactory
from tests.helpers.invoices import finalized_invoice, morning_of, pay_in_full

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 14)


def usd(amount: str) -> Money:
    return Money(Decimal(amount), "USD")


@pytest.fixture
def taxed(organization):
    BillingDetails.objects.create(
        organization=organization,
        tax_rate_override=Decimal("20"),
        tax_override_reason="A rate staff set, with its reason",
        tax_id="GB123456789",
        payment_terms=PaymentTerms.NET,
        net_days=14,
    )
    return organization


def test_it_finalizes_with_totals_number_dates_and_the_tax_copied(taxed):
    invoice = finalized_invoice(taxed, today=TODAY)

    invoice.refresh_from_db()
    assert invoice.number == "INV-2026-000001"
    assert invoice.status == InvoiceStatus.OPEN
    assert (invoice.subtotal, invoice.tax, invoice.total) == (
        Decimal("153.00"),
        Decimal("30.60"),
        Decimal("183.60"),
    )
    assert invoice.amount_due == Decimal("183.60")
    assert (invoice.tax_rate, invoice.tax_id) == (Decimal("20.00"), "GB123456789")
    assert (invoice.issued_on, invoice.due_on) == (TODAY, date(2026, 3, 28))
    assert [line.amount for line in invoice.lines.all()] == [Decimal("144.00"), Decimal("9.00")]


def test_it_numbers_each_series_and_year_without_gaps(organization):
    numbers = [finalized_invoice(organization, today=TODAY).number for _ in range(3)]
    next_year = finalized_invoice(organization, today=date(2027, 1, 2)).number

    assert numbers == ["INV-2026-000001", "INV-2026-000002", "INV-2026-000003"]
    assert next_year == "INV-2027-000001"


def test_a_refused_finalization_hands_its_number_back(organization):
    empty = services.invoice_create_draft(organization=organization, currency="USD")
    with pytest.raises(ValidationError, match="at least one line"):
        services.invoice_finalize(invoice=empty, at=morning_of(TODAY))

    assert finalized_invoice(organization, today=TODAY).number == "INV-2026-000001"


def test_due_on_receipt_is_due_the_day_it_is_issued(organization):
    BillingDetails.objects.create(
        organization=organization, payment_terms=PaymentTerms.DUE_ON_RECEIPT
    )
    assert finalized_invoice(organization, today=TODAY).due_on == TODAY


def test_a_negative_total_becomes_credit_used_by_the_next_invoice(organization):
    credit = finalized_invoice(
        organization,
        lines=[("Credit for unused Business", 1, Decimal("-46.67")), ("Team", 1, Decimal("26.67"))],
        today=TODAY,
    )
    assert credit.status == InvoiceStatus.PAID
    assert credit.amount_due == Decimal("0")
    assert credit_balance(organization=organization, currency="USD") == usd("20.00")

    nxt = finalized_invoice(organization, lines=[("Team", 1, Decimal("50"))], today=TODAY)

    assert (nxt.credit_applied, nxt.amount_due) == (Decimal("20.00"), Decimal("30.00"))
    assert credit_balance(organization=organization, currency="USD") == usd("0")
    # Credit in one currency never pays an invoice in another.
    eur = finalized_invoice(organization, lines=[("Team", 1, Decimal("5"))], currency="EUR")
    assert eur.credit_applied == Decimal("0")


def test_a_finalized_invoice_refuses_every_change(organization):
    invoice = Invoice.objects.get(pk=finalized_invoice(organization, today=TODAY).pk)

    invoice.total = Decimal("1.00")
    with pytest.raises(FinalizedDocumentError):
        invoice.save()
    with pytest.raises(FinalizedDocumentError):
        invoice.delete()
    with pytest.raises(FinalizedDocumentError):
        invoice.lines.first().save()
    with pytest.raises(ValidationError, match="finalized"):
        services.invoice_add_line(
            invoice=invoice, kind=LineKind.ONE_OFF, description="More", unit_price=usd("1")
        )
    with pytest.raises(ValidationError, match="finalized"):
        services.invoice_finalize(invoice=invoice)
    assert Invoice.objects.get(pk=invoice.pk).total == Decimal("153.00")


def test_a_line_in_another_currency_is_refused(organization):
    draft = services.invoice_create_draft(organization=organization, currency="USD")
    with pytest.raises(ValidationError, match="in USD"):
        services.invoice_add_line(
            invoice=draft,
            kind=LineKind.ONE_OFF,
            description="Team",
            unit_price=Money(Decimal(5), "EUR"),
        )


def test_an_invoice_may_name_its_organizations_license_only(organization, issued):
    own = services.invoice_create_draft(
        organization=organization, currency="USD", license=issued.license
    )
    assert own.license == issued.license
    with pytest.raises(ValidationError, match="another organization"):
        services.invoice_create_draft(
            organization=OrganizationFactory(), currency="USD", license=issued.license
        )


def test_voiding_an_open_invoice_issues_a_credit_note_of_its_own_series(taxed, owner):
    invoice = finalized_invoice(taxed, today=TODAY)

    note = services.invoice_void_with_credit_note(
        invoice=invoice, reason="Billed the wrong tier", actor=owner, at=morning_of(TODAY)
    )

    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.VOID
    assert note.number == "CN-2026-000001"
    assert (note.subtotal, note.tax, note.total) == (
        Decimal("153.00"),
        Decimal("30.60"),
        Decimal("183.60"),
    )
    # Nothing was paid towards it, so no credit is owed.
    assert credit_balance(organization=taxed, currency="USD") == usd("0")
    with pytest.raises(ValidationError, match="already void"):
        services.invoice_void_with_credit_note(
            invoice=invoice, reason="again", at=morning_of(TODAY)
        )


def test_voiding_a_paid_invoice_gives_the_money_back_as_credit(organization):
    invoice = pay_in_full(finalized_invoice(organization, today=TODAY))

    services.invoice_void_with_credit_note(invoice=invoice, reason="Refund as credit")

    assert credit_balance(organization=organization, currency="USD") == usd("153.00")


def test_a_credit_note_credits_part_of_a_paid_invoice_and_no_more(taxed):
    invoice = pay_in_full(finalized_invoice(taxed, today=TODAY))

    note = services.credit_note_issue(
        invoice=invoice, subtotal=usd("100"), reason="Two weeks of outage", at=morning_of(TODAY)
    )

    assert (note.number, note.total) == ("CN-2026-000001", Decimal("120.00"))
    assert credit_balance(organization=taxed, currency="USD") == usd("120.00")
    with pytest.raises(ValidationError, match="more than remains"):
        services.credit_note_issue(invoice=invoice, subtotal=usd("100"), reason="again")
    with pytest.raises(ValidationError, match="reason"):
        services.credit_note_issue(invoice=invoice, subtotal=usd("1"), reason="  ")
    with pytest.raises(FinalizedDocumentError):
        CreditNote.objects.get(pk=note.pk).delete()
    assert CreditNote.objects.count() == 1


def test_an_open_invoice_is_voided_not_credited(organization):
    invoice = finalized_invoice(organization, today=TODAY)
    with pytest.raises(ValidationError, match="voiding"):
        services.credit_note_issue(invoice=invoice, subtotal=usd("1"), reason="partial")
