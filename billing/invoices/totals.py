"""The arithmetic of an invoice, pure: no ORM, no clock.

Each line is quantity x unit price, rounded once to the currency's minor unit; the
subtotal is the sum of the rounded lines, so the lines always add up to it. Tax is the
subtotal x rate, rounded once; the total is subtotal + tax. Credit the organization
holds pays what it can of a positive total; a negative total (credits outweigh charges)
is owed to the customer and becomes credit. Rounding happens in billing.money only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from billing.money import Money

HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class InvoiceTotals:
    subtotal: Money
    tax: Money
    total: Money
    credit_applied: Money
    amount_due: Money
    # Credit the customer gains from this invoice (a negative total), else zero.
    credit_granted: Money


def line_amount(*, quantity: Decimal | int, unit_price: Money) -> Money:
    return (unit_price * quantity).rounded()


def tax_on(subtotal: Money, tax_rate: Decimal) -> Money:
    """Tax at `tax_rate` percent, rounded once. A negative subtotal gets negative tax."""
    if not Decimal(0) <= tax_rate <= HUNDRED:
        raise ValueError(f"A tax rate is a percentage from 0 to 100, not {tax_rate}.")
    return (subtotal * tax_rate / HUNDRED).rounded()


def invoice_totals(
    *, line_amounts: Sequence[Money], tax_rate: Decimal, credit_balance: Money, currency: str
) -> InvoiceTotals:
    """Totals of lines already rounded by `line_amount`, with up to `credit_balance`
    (never negative) taken to pay the total."""
    if credit_balance.amount < 0:
        raise ValueError("A credit balance cannot be negative.")
    zero = Money.zero(currency)
    subtotal = Money.total(line_amounts, currency)
    tax = tax_on(subtotal, tax_rate)
    total = subtotal + tax
    if total.amount > 0:
        credit_applied = min(credit_balance, total)
        return InvoiceTotals(subtotal, tax, total, credit_applied, total - credit_applied, zero)
    return InvoiceTotals(subtotal, tax, total, zero, zero, -total)
