"""A paid invoice credited in part can always be voided (or credited for the rest): the
credit notes together never need more than the invoice's own total."""

from datetime import date
from decimal import Decimal

from billing.invoices import services
from billing.invoices.selectors import credit_balance, invoice_remaining
from billing.models import BillingDetails, InvoiceStatus
from billing.money import Money
from tests.helpers.invoices import finalized_invoice, morning_of, pay_in_full

TODAY = date(2026, 3, 14)


def eur(amount):
    return Money(Decimal(amount), "EUR")


def _paid_at_irish_vat(organization, description: str, amount: str):
    """A paid invoice of one line at Irish VAT, 23 % (the seller's domestic rate, as
    staff set it for this customer)."""
    BillingDetails.objects.create(
        organization=organization,
        tax_rate_override=Decimal("23"),
        tax_override_reason="Irish VAT",
    )
    return pay_in_full(
        finalized_invoice(
            organization,
            lines=[(description, 1, Decimal(amount))],
            currency="EUR",
            today=TODAY,
        )
    )


def test_a_paid_invoice_credited_in_part_can_then_be_voided(organization):
    invoice = _paid_at_irish_vat(organization, "Business, annual", "301.00")
    assert (invoice.subtotal, invoice.tax, invoice.total) == (
        Decimal("301.00"),
        Decimal("69.23"),
        Decimal("370.23"),
    )
    services.credit_note_issue(
        invoice=invoice, subtotal=eur("100.50"), reason="Outage", at=morning_of(TODAY)
    )
    invoice.refresh_from_db()
    left = invoice_remaining(invoice=invoice)

    # Staff void what remains: refused today, "That credits more than remains".
    note = services.invoice_void_with_credit_note(
        invoice=invoice, reason="Billed the wrong plan", at=morning_of(TODAY)
    )

    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.VOID
    assert note.money("total") == left
    assert credit_balance(organization=organization, currency="EUR") == eur("370.23")


def test_voiding_credits_exactly_what_remains_of_a_partly_credited_invoice(organization):
    """The other side of the same rounding: when the earlier note's tax rounded down,
    the void's note leaves a cent of the invoice uncredited, yet a cent more than the
    note says goes to the customer's credit."""
    invoice = _paid_at_irish_vat(organization, "Add-on, a month", "3.26")
    assert (invoice.tax, invoice.total) == (Decimal("0.75"), Decimal("4.01"))
    first = services.credit_note_issue(
        invoice=invoice, subtotal=eur("1.63"), reason="Outage", at=morning_of(TODAY)
    )
    invoice.refresh_from_db()
    left = invoice_remaining(invoice=invoice)

    note = services.invoice_void_with_credit_note(
        invoice=invoice, reason="Billed the wrong plan", at=morning_of(TODAY)
    )

    invoice.refresh_from_db()
    assert invoice_remaining(invoice=invoice) == eur("0")
    # The two credit notes together credit the whole invoice, and the credit ledger
    # received what the credit notes say.
    assert first.money("total") + note.money("total") == eur("4.01")
    assert note.money("total") == left
    assert credit_balance(organization=organization, currency="EUR") == eur("4.01")


def test_a_part_never_credits_more_net_than_is_left(organization):
    """Two goodwill credits of 2 cents carry no tax (0.46 cent rounds to nothing); a part
    of €99.97 would still fit under what remains in total, but takes a cent more net
    than is left (€99.96): refused, so the notes add up to the invoice's net and tax
    (attacker: €100.01 of net and €22.99 of tax credited on a €100.00 + €23.00 invoice)."""
    import pytest
    from django.core.exceptions import ValidationError

    invoice = _paid_at_irish_vat(organization, "Business, annual", "100.00")
    for _ in range(2):
        services.credit_note_issue(
            invoice=invoice, subtotal=eur("0.02"), reason="Goodwill", at=morning_of(TODAY)
        )
        invoice.refresh_from_db()
    with pytest.raises(ValidationError, match=r"remains of INV-\S+ \(€99\.96 before tax\)"):
        services.credit_note_issue(
            invoice=invoice, subtotal=eur("99.97"), reason="Outage", at=morning_of(TODAY)
        )
    services.invoice_void_with_credit_note(
        invoice=invoice, reason="Billed the wrong plan", at=morning_of(TODAY)
    )
    notes = list(invoice.credit_notes.all())
    assert sum(note.subtotal for note in notes) == invoice.subtotal
    assert sum(note.tax for note in notes) == invoice.tax


def test_the_void_note_says_its_tax_is_the_rest_of_the_invoices(organization):
    from billing.invoices.documents import credit_note_pdf_context

    invoice = _paid_at_irish_vat(organization, "Business, annual", "301.00")
    part = services.credit_note_issue(
        invoice=invoice, subtotal=eur("100.50"), reason="Outage", at=morning_of(TODAY)
    )
    invoice.refresh_from_db()
    void = services.invoice_void_with_credit_note(
        invoice=invoice, reason="Billed the wrong plan", at=morning_of(TODAY)
    )

    # The part carries 23 % of its net (23.12); the void the rest of the tax (46.11),
    # a cent less than 23 % of its own net (46.12): its label says which.
    assert credit_note_pdf_context(part)["tax_label"] == "23 %"
    assert void.tax == Decimal("46.11")
    assert credit_note_pdf_context(void)["tax_label"] == "the rest of the invoice's tax at 23 %"
