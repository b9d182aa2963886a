"""What every payment provider says: its name, how the customer pays (the instructions
printed on an open invoice, page and PDF) and how a payment gets recorded.

Whatever the provider, a payment is written by one service,
billing.payments.services.payment_record, which applies it to the invoice and turns any
overpayment into credit; a provider only says who calls it and with what."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

from billing.models import Invoice


@dataclass(frozen=True)
class PaymentInstructions:
    """How to pay one invoice, as the customer reads it."""

    heading: str
    # (label, value) rows: account name, IBAN, reference…
    details: tuple[tuple[str, str], ...]
    note: str = ""


class PaymentProvider(ABC):
    # Kept on each payment it records: never rename one.
    name: ClassVar[str]
    label: ClassVar[str]
    # True when staff record each payment in the admin as it arrives (a bank transfer);
    # False when the provider reports its own payments to us.
    recorded_by_staff: ClassVar[bool]
    # How its payments get recorded, said for staff on the "Record payment" page.
    recording_help: ClassVar[str]

    @abstractmethod
    def instructions(self, invoice: Invoice) -> PaymentInstructions:
        """What the customer needs to pay `invoice`."""

    def __str__(self) -> str:
        return self.label
