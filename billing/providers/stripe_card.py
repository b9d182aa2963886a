"""Card, through Stripe: the customer pays on the invoice's "Pay now" page (Stripe.js
takes the card, so card data never reaches us) or with the card saved for the
organization; Stripe reports each payment (the webhook, and the return from the payment
page) and billing.cards.services records it through payment_record, with the
PaymentIntent's id as its reference."""

from __future__ import annotations

from billing.models import Invoice
from billing.providers.base import PaymentInstructions, PaymentProvider


class StripeCard(PaymentProvider):
    name = "stripe"
    label = "Card"
    recorded_by_staff = False
    recording_help = (
        "Card payments are recorded when Stripe reports them; there is nothing to record by hand."
    )

    def instructions(self, invoice: Invoice) -> PaymentInstructions:
        return PaymentInstructions(
            heading="Pay by card",
            details=(("Where", "Pay now on the invoice's page in the portal"),),
            note="Card payments are taken by Stripe; the card never reaches Tierwise.",
        )
