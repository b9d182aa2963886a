"""The invoice rules, pure (billing.invoices.services and .selectors read and write): a
document's number, when a finalized invoice is due and whether it is settled at once, what
payments have paid and what is still owed, and when an invoice may be credited or voided
and what goes back to the customer's credit. `make mutate` mutates this module against its
fast tests (the totals are billing.invoices.totals)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from billing.invoices.totals import tax_on
from billing.models import InvoiceStatus
from billing.money import Money

DIGITS = 6


def format_number(series: str, year: int, number: int) -> str:
    """INV-2026-000123: the series, the year, the number within them."""
    return f"{series}-{year}-{number:0{DIGITS}d}"


def due_on(issued_on: date, days_to_pay: int) -> date:
    return issued_on + timedelta(days=days_to_pay)


def due_now(*, amount: Money, due_on: date, today: date) -> bool:
    """Money is due now only when there is something to pay and its due day has come
    (terms "due on receipt", or an invoice at or past its due date); otherwise the page
    says the due date and the terms."""
    return amount.amount > 0 and due_on <= today


def terms_phrase(days_to_pay: int) -> str:
    """The payment terms in words: "due on receipt", "net 30 days"."""
    if days_to_pay == 0:
        return "due on receipt"
    return f"net {days_to_pay} day{'s' if days_to_pay != 1 else ''}"


def status_when_finalized(amount_due: Money) -> str:
    """Nothing left to pay (credit covered it, or it is a credit): settled at once."""
    return InvoiceStatus.OPEN if amount_due.amount > 0 else InvoiceStatus.PAID


def paid(*, received: Iterable[Money], amount_due: Money) -> Money:
    """What payments have paid of the amount due: what they brought, up to that amount
    (an overpayment beyond it goes to the credit balance)."""
    return min(Money.total(received, amount_due.currency), amount_due)


def outstanding(*, status: str, amount_due: Money, paid: Money) -> Money:
    """What the customer still has to pay: only while the invoice is open."""
    if status != InvoiceStatus.OPEN:
        return Money.zero(amount_due.currency)
    return amount_due - paid


def remaining(total: Money, credited: Iterable[Money]) -> Money:
    """What of an amount no credit note has credited yet."""
    return total - Money.total(credited, total.currency)


def note_tax(*, subtotal: Money, tax_rate: Decimal, rest_subtotal: Money, rest_tax: Money) -> Money:
    """The tax a credit note of `subtotal` carries: the invoice's rate on it, rounded
    once, but never more than the invoice's tax not yet credited (`rest_tax`); and a note
    that credits the whole rest of the invoice's net (`rest_subtotal`, a void's) carries
    the whole rest of its tax. However each note rounded, an invoice's notes then add up
    to its own tax and total to the cent: never a cent short, never refused as over."""
    if subtotal == rest_subtotal:
        return rest_tax
    return min(tax_on(subtotal, tax_rate), rest_tax)


def reason_refusal(reason: str) -> dict[str, str] | None:
    if not reason.strip():
        return {"reason": "Say why; the reason is kept on record."}
    return None


def over_credit_refusal(
    *, total: Money, remaining: Money, number: str, subtotal: Money, rest_subtotal: Money
) -> str | None:
    """A credit note never credits more than remains of its invoice: neither its total nor
    its net (a part whose tax rounded to less could otherwise take more net than is left,
    and the notes would no longer add up to the invoice's net and tax)."""
    if subtotal > rest_subtotal:
        return f"That credits more than remains of {number} ({rest_subtotal} before tax)."
    if total > remaining:
        return f"That credits more than remains of {number} ({remaining})."
    return None


def correction_refusal(status: str) -> str | None:
    """Only a finalized invoice is corrected by a credit note."""
    if status == InvoiceStatus.DRAFT:
        return "A draft has nothing to correct; change or delete it instead."
    return None


def credit_refusal(*, status: str, currency: str, subtotal: Money) -> str | None:
    """Part of an invoice is credited only once it is paid, by a positive amount in its
    currency (an open one is voided instead)."""
    if status != InvoiceStatus.PAID:
        return "Credit an open invoice by voiding it; this one is not paid."
    if subtotal.currency != currency or subtotal.amount <= 0:
        return f"Credit a positive amount in {currency}."
    return None


def void_refusal(*, status: str, number: str, remaining: Money) -> str | None:
    if status == InvoiceStatus.VOID:
        return f"Invoice {number} is already void."
    if remaining.amount <= 0:
        return f"Nothing of {number} remains to credit."
    return None


def paid_towards(*, status: str, remaining: Money, credit_applied: Money, paid: Money) -> Money:
    """What of a voided invoice the customer had already paid, which goes back to their
    credit. Paid: all that remains of it. Open: what credit and payments have paid."""
    if status == InvoiceStatus.PAID:
        return remaining
    return credit_applied + paid
