"""What an invoice page and its PDF show, worked out once for both."""

from billing.invoices.credit import RULE
from billing.invoices.selectors import credit_applications, invoice_outstanding, invoice_paid
from billing.models import Invoice, InvoiceStatus
from billing.money import Money
from billing.providers import provider_for, provider_named


def invoice_pdf_context(invoice: Invoice) -> dict:
    currency = invoice.currency
    payments = list(invoice.payments.order_by("received_on", "pk"))
    received = Money.total((payment.money() for payment in payments), currency)
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
        "payments": [
            {
                "payment": payment,
                "amount": payment.money().format(),
                "provider": provider_named(payment.provider).label,
            }
            for payment in payments
        ],
        # Credit applied after the invoice was issued: shown as "Credit applied on <day>".
        "credit_applications": [
            {"applied_on": entry.applied_on, "amount": Money(-entry.amount, currency).format()}
            for entry in credit_applications(invoice=invoice)
        ],
        "credit_rule": RULE,
        "subtotal": invoice.money("subtotal").format(),
        "tax": invoice.money("tax").format(),
        "total": invoice.money("total").format(),
        "credit_applied": invoice.money("credit_applied").format(),
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
