"""Charging the saved card for an invoice with no customer present: a renewal's invoice,
after the renewal committed (billing.renewals.tasks.charge_renewal_invoice).

One attempt per invoice: its attempt key is the invoice's, so a retried or duplicated
task finds the attempt it made (and Stripe the same PaymentIntent, by its idempotency
key) instead of charging twice. The charge goes through card_payment_start, which records
a succeeded payment (the invoice is paid) and sends the "card payment failed" email on a
decline and, for an off-session attempt, the renewal's `Notice` (kind renewal_failed), in
the same transaction, so it is told once, whether the decline is the charge's answer or a
webhook's later report. A failed charge leaves the invoice open for dunning
(billing.dunning) to follow up."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import transaction

from billing.cards.gateway import card_payments_enabled
from billing.cards.selectors import saved_card
from billing.cards.services import card_payment_start, off_session_attempt_key
from billing.models import (
    CardPayment,
    Invoice,
    InvoiceStatus,
)

logger = logging.getLogger(__name__)


def would_charge(invoice: Invoice) -> bool:
    """Whether the invoice is one to charge off-session: open, cards on, a card saved."""
    return chargeable(invoice) and saved_card(organization=invoice.organization) is not None


def chargeable(invoice: Invoice) -> bool:
    """would_charge without the card: open, and cards on (a batch reads its
    organizations' cards at once: selectors.saved_cards_of)."""
    return invoice.status == InvoiceStatus.OPEN and card_payments_enabled()


@transaction.atomic
def invoice_charge_off_session(*, invoice: Invoice) -> CardPayment | None:
    """Charge what is outstanding on `invoice` to the organization's saved card, once.
    None when there is nothing to charge (paid meanwhile, no card, cards off)."""
    existing = CardPayment.objects.filter(
        invoice=invoice, attempt_key=off_session_attempt_key(invoice)
    ).first()
    if existing is not None:
        return existing
    invoice = Invoice.objects.select_related("organization").get(pk=invoice.pk)
    if not would_charge(invoice):
        return None
    try:
        attempt = card_payment_start(
            invoice=invoice,
            attempt_key=off_session_attempt_key(invoice),
            user=None,
            off_session=True,
        )
    except ValidationError as refused:  # nothing left to pay: credit covered it meanwhile
        logger.info("Invoice %s not charged off-session: %s", invoice.number, refused)
        return None
    return attempt
