"""What an invoice page and its PDF show, worked out once for both; and a credit note's
PDF, which shows the parties of the invoice it corrects."""

from billing.invoices import totals
from billing.invoices.credit import RULE
from billing.invoices.selectors import credit_applications, invoice_outstanding, invoice_paid
from billing.models import CreditNote, Invoice, InvoiceStatus, Payment
from billing.money import Money
from billing.providers import provider_for, provider_named
from billing.tax.countries import country_name
from billing.tax.rules import tax_label
from billing.tax.seller import seller_block


def parties(invoice: Invoice) -> dict:
    """The seller and the buyer as the invoice was issued (a finalized invoice carries
    both; one finalized before it kept the seller is shown with today's)."""
    seller = invoice.seller or seller_block()
    return {
        "seller": seller,
        "buyer": {
            "name": invoice.billed_to_name or invoice.organization.name,
            "address": [line for line in invoice.billed_to_address.splitlines() if line],
            "country": country_name(invoice.billed_to_country) if invoice.billed_to_country else "",
            "tax_id": invoice.tax_id,
            "po_number": invoice.po_number,
        },
        "tax_label": tax_label(invoice.tax_treatment, invoice.tax_rate),
        "tax_note": invoice.tax_note,
    }


def settlements(invoice: Invoice, payments: list[Payment]) -> list[dict]:
    """Each payment ("Paid by card") and each credit application ("Credit applied") of
    the invoice as one row, sorted by its day and then by when it was recorded, each
    amount shown less, with the one minus sign (billing.money)."""
    rows = [
        (
            (payment.received_on, payment.created_at, payment.pk),
            {
                "kind": "payment",
                "on": payment.received_on,
                "payment": payment,
                "provider": provider_named(payment.provider).label,
                "amount": (-payment.money()).format(),
            },
        )
        for payment in payments
    ] + [
        (
            (entry.applied_on, entry.created_at, entry.pk),
            # A credit application's entry is already negative: it takes from the balance.
            {
                "kind": "credit",
                "on": entry.applied_on,
                "amount": Money(entry.amount, invoice.currency).format(),
            },
        )
        for entry in credit_applications(invoice=invoice)
    ]
    return [row for _, row in sorted(rows, key=lambda pair: pair[0])]


def invoice_pdf_context(invoice: Invoice) -> dict:
    currency = invoice.currency
    payments = list(invoice.payments.order_by("received_on", "pk"))
    received = Money.total((payment.money() for payment in payments), currency)
    rows = settlements(invoice, payments)
    return {
        "invoice": invoice,
        "organization": invoice.organization,
        **parties(invoice),
        "lines": [
            {
                "line": line,
                "unit_price": Money(line.unit_price, currency).format(),
                "amount": Money(line.amount, currency).format(),
            }
            for line in invoice.lines.all()
        ],
        "credit_notes": [
            {"note": note, "total": note.money("total").format()}
            for note in invoice.credit_notes.all()
        ],
        # What paid the invoice after it was issued, payments and credit applied, in the
        # order it happened: by day, then as recorded.
        "settlements": rows,
        "credit_applications": [row for row in rows if row["kind"] == "credit"],
        "credit_rule": RULE,
        "subtotal": invoice.money("subtotal").format(),
        "tax": invoice.money("tax").format(),
        "total": invoice.money("total").format(),
        "credit_applied": (-invoice.money("credit_applied")).format(),
        "amount_due": invoice.money("amount_due").format(),
        "outstanding": invoice_outstanding(invoice=invoice).format(),
        # What payments brought beyond the amount due went to the credit balance.
        "overpaid": (received - invoice_paid(invoice=invoice)).format()
        if received > invoice.money("amount_due")
        else None,
        # How to pay, only while something is left to pay.
        "how_to_pay": provider_for(invoice).instructions(invoice)
        if invoice.status == InvoiceStatus.OPEN
        else None,
    }


def credit_note_pdf_context(note: CreditNote) -> dict:
    invoice = note.invoice
    return {
        "note": note,
        "invoice": invoice,
        **parties(invoice),
        "tax_label": _note_tax_label(note, invoice),
        "subtotal": note.money("subtotal").format(),
        "tax": note.money("tax").format(),
        "total": note.money("total").format(),
        "credit_rule": RULE,
    }


def _note_tax_label(note: CreditNote, invoice: Invoice) -> str:
    """The rate, as on the invoice; for a note carrying the rest of the invoice's tax
    (a void's, after parts rounded each: billing.invoices.rules.note_tax), which is then
    not the rate on its own net to the cent, it says so."""
    label = tax_label(invoice.tax_treatment, invoice.tax_rate)
    if note.money("tax") != totals.tax_on(note.money("subtotal"), invoice.tax_rate):
        return f"the rest of the invoice's tax at {label}"
    return label
