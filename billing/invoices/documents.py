"""What an invoice page and its PDF show, worked out once for both."""

from billing.models import Invoice
from billing.money import Money


def invoice_pdf_context(invoice: Invoice) -> dict:
    currency = invoice.currency
    return {
        "invoice": invoice,
        "organization": invoice.organization,
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
        "subtotal": invoice.money("subtotal").format(),
        "tax": invoice.money("tax").format(),
        "total": invoice.money("total").format(),
        "credit_applied": invoice.money("credit_applied").format(),
        "amount_due": invoice.money("amount_due").format(),
    }
