"""How customers pay an invoice: one provider per way of paying, each behind the same
small interface (billing.providers.base). Today there is one, invoice and bank transfer;
a card provider joins this registry later without the invoice pages, the PDF or the
payment service changing."""

from billing.models import Invoice
from billing.providers.bank_transfer import BankTransfer
from billing.providers.base import PaymentInstructions, PaymentProvider

__all__ = ["PaymentInstructions", "PaymentProvider", "provider_for", "provider_named"]

PROVIDERS: dict[str, PaymentProvider] = {provider.name: provider for provider in [BankTransfer()]}


def provider_named(name: str) -> PaymentProvider:
    """The provider a payment was recorded with (its `name` is what the payment keeps)."""
    try:
        return PROVIDERS[name]
    except KeyError:
        raise LookupError(f"No payment provider is called {name!r}.") from None


def provider_for(invoice: Invoice) -> PaymentProvider:
    """How this invoice is paid. Every invoice is paid by bank transfer until a second
    provider gives an organization (or an invoice) a choice."""
    return PROVIDERS[BankTransfer.name]
