"""How customers pay an invoice: one provider per way of paying, each behind the same
small interface (billing.providers.base): invoice and bank transfer, and card through
Stripe (billing.cards), which the customer chooses on the invoice's "Pay now" page. The
invoice's instructions (page and PDF) stay the bank transfer's."""

from billing.models import Invoice
from billing.providers.bank_transfer import BankTransfer
from billing.providers.base import PaymentInstructions, PaymentProvider
from billing.providers.stripe_card import StripeCard

__all__ = ["PaymentInstructions", "PaymentProvider", "provider_for", "provider_named"]

PROVIDERS: dict[str, PaymentProvider] = {
    provider.name: provider for provider in [BankTransfer(), StripeCard()]
}


def provider_named(name: str) -> PaymentProvider:
    """The provider a payment was recorded with (its `name` is what the payment keeps)."""
    try:
        return PROVIDERS[name]
    except KeyError:
        raise LookupError(f"No payment provider is called {name!r}.") from None


def provider_for(invoice: Invoice) -> PaymentProvider:
    """How this invoice's printed instructions say to pay, and the provider staff record
    with: the bank transfer. A card payment names its provider (StripeCard) itself."""
    return PROVIDERS[BankTransfer.name]
