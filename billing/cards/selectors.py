"""Reads for the card payment pages."""

from __future__ import annotations

from billing.cards.gateway import card_payments_enabled
from billing.models import Invoice, InvoiceStatus, StripeCustomer
from portal.models import Organization


def saved_card(*, organization: Organization) -> StripeCustomer | None:
    """The organization's Stripe customer when it keeps a card, else None."""
    customer = StripeCustomer.objects.filter(organization=organization).first()
    return customer if customer is not None and customer.has_card else None


def saved_cards_of(organization_ids) -> dict[int, StripeCustomer]:
    """saved_card of many organizations in one query: organization id -> its Stripe
    customer, for those that keep a card."""
    return {
        customer.organization_id: customer
        for customer in StripeCustomer.objects.filter(organization_id__in=list(organization_ids))
        if customer.has_card
    }


def card_payable(*, invoice: Invoice) -> bool:
    """Whether the invoice offers "Pay now" by card: it is open and cards are on."""
    return invoice.status == InvoiceStatus.OPEN and card_payments_enabled()
