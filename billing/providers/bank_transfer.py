"""Invoice and bank transfer: the customer transfers the amount to our account quoting
the invoice number, and staff record the payment in the admin when it reaches the bank.
The account comes from settings.TIERWISE_BANK_DETAILS."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Warning, register

from billing.models import Invoice
from billing.providers.base import PaymentInstructions, PaymentProvider

# The standard example IBAN that the demo settings use: no bank holds it.
EXAMPLE_IBAN = "GB33BUKB20201555555555"


class BankTransfer(PaymentProvider):
    name = "bank_transfer"
    label = "Bank transfer"
    recorded_by_staff = True
    recording_help = (
        "Record a transfer once it has reached the bank account, from the bank statement: "
        "the amount and the day it arrived, and the bank's reference for it."
    )

    def instructions(self, invoice: Invoice) -> PaymentInstructions:
        bank = settings.TIERWISE_BANK_DETAILS
        return PaymentInstructions(
            heading="Pay by bank transfer",
            details=(
                ("Account name", bank["account_name"]),
                ("Bank", bank["bank_name"]),
                ("IBAN", bank["iban"]),
                ("BIC / SWIFT", bank["bic"]),
                ("Payment reference", invoice.number or ""),
            ),
            note=(
                f"Quote {invoice.number} as the reference so we can match your payment. "
                "Pay in the invoice's currency; anything paid beyond what is due becomes "
                "credit, which pays your other open invoices first."
            ),
        )


@register("billing", deploy=True)
def demo_bank_account_check(app_configs, **kwargs) -> list[Warning]:
    """A production site must not tell customers to pay into the demo account."""
    iban = settings.TIERWISE_BANK_DETAILS["iban"].replace(" ", "").upper()
    if iban != EXAMPLE_IBAN:
        return []
    return [
        Warning(
            "Invoices show the demo bank account.",
            hint="Set BANK_ACCOUNT_NAME, BANK_NAME, BANK_IBAN and BANK_BIC.",
            id="billing.W001",
        )
    ]
