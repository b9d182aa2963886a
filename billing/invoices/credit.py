"""How a credit balance pays open invoices, pure: no ORM, no clock.

The rule: credit pays the organization's open invoices in its currency automatically,
oldest first (by the day each was issued, then by number), as soon as it arises — a
credit note, an overpayment, an invoice whose credits outweigh its charges, a void that
gives back what was paid. Each invoice takes what it still owes or what credit is left,
whichever is less, so the credit applied is the smaller of the balance and all that the
open invoices owe, and a later invoice gets nothing while an older one still owes.
Credit left once no invoice owes anything waits for the next invoice, which uses it when
it is issued. billing.invoices.services applies it; `make mutate` mutates this module.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from billing.money import Money

RULE = (
    "Credit pays your open invoices automatically, oldest first, as soon as it arises; "
    "what is left pays your next invoice when it is issued."
)
# The same rule as staff read it on the admin's void and record-payment pages.
STAFF_RULE = (
    "Credit pays the customer's open invoices automatically, oldest first, as soon as it "
    "arises; what is left pays their next invoice when it is issued."
)


@dataclass(frozen=True, slots=True)
class Owed:
    """An open invoice: its number, the day it was issued and what it still owes."""

    number: str
    issued_on: date
    outstanding: Money


@dataclass(frozen=True, slots=True)
class Application:
    """Credit applied to one invoice."""

    number: str
    amount: Money


def allocate(balance: Money, invoices: Iterable[Owed]) -> list[Application]:
    """The credit each open invoice takes from `balance`, oldest first; invoices that
    take nothing are left out. A balance of zero or less applies nothing."""
    left = balance
    applications = []
    for invoice in sorted(invoices, key=lambda owed: (owed.issued_on, owed.number)):
        if left.amount <= 0:
            break
        if invoice.outstanding.currency != balance.currency:
            raise ValueError(
                f"Invoice {invoice.number} is in {invoice.outstanding.currency}; "
                f"the credit is in {balance.currency}."
            )
        if invoice.outstanding.amount <= 0:
            continue
        amount = min(left, invoice.outstanding)
        applications.append(Application(invoice.number, amount))
        left -= amount
    return applications
