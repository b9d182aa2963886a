"""Card payments through Stripe (billing.cards): the organization's Stripe customer with
its saved card, each attempt at paying an invoice by card (one PaymentIntent each), and
the Stripe events already processed.

None of these is money received: a card payment that succeeds is written as a Payment
(provider "stripe", reference the PaymentIntent's id) by billing.payments.services, as
any other payment. Card numbers never reach us; Stripe keeps the card, we keep its
brand, last four digits and expiry to show it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from billing.models.invoices import Invoice
from billing.money import Money
from portal.models import Organization


class StripeCustomer(models.Model):
    """The organization as a Stripe customer, and the card it keeps for later invoices
    (blank when none). Written under the organization's billing details lock."""

    organization = models.OneToOneField(
        Organization, on_delete=models.PROTECT, related_name="stripe_customer"
    )
    customer_id = models.CharField(max_length=100, unique=True)
    payment_method_id = models.CharField(max_length=100, blank=True)
    card_brand = models.CharField(max_length=32, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    card_exp_month = models.PositiveSmallIntegerField(null=True, blank=True)
    card_exp_year = models.PositiveSmallIntegerField(null=True, blank=True)
    card_saved_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.organization} ({self.customer_id})"

    @property
    def has_card(self) -> bool:
        return bool(self.payment_method_id)

    @property
    def card_label(self) -> str:
        return f"{self.card_brand.title()} ending {self.card_last4}" if self.has_card else ""


class CardPaymentStatus(models.TextChoices):
    STARTED = "started", "Started"
    REQUIRES_ACTION = "requires_action", "Waiting for the bank's confirmation"
    PROCESSING = "processing", "Processing"
    SUCCEEDED = "succeeded", "Paid"
    FAILED = "failed", "Failed"


class CardPayment(models.Model):
    """One attempt at paying an invoice by card: one Stripe PaymentIntent, created with
    the idempotency key of (invoice, attempt key), so a double click or a retry of the
    same attempt reaches the same intent."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="card_payments"
    )
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="card_payments")
    # The pay form's own token: the same submission twice is the same attempt.
    attempt_key = models.CharField(max_length=64)
    intent_id = models.CharField(max_length=100, unique=True, null=True, blank=True)
    currency = models.CharField(max_length=3)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    payment_method_id = models.CharField(max_length=100)
    card_label = models.CharField(max_length=64, blank=True)
    status = models.CharField(
        max_length=20, choices=CardPaymentStatus.choices, default=CardPaymentStatus.STARTED
    )
    failure_message = models.TextField(blank=True)
    # "Keep this card" was asked with a new card: it becomes the saved card once this
    # payment succeeds (never before: a declined card must not replace a working one).
    save_card = models.BooleanField(default=False)
    # The "card payment failed" email went out for this intent (once, whoever saw the
    # failure first: the pay form, the return page or the webhook).
    failure_notified_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "attempt_key"], name="one_card_payment_per_attempt"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.money()} by card towards {self.invoice} ({self.intent_id or 'no intent'})"

    def money(self) -> Money:
        return Money(self.amount, self.currency)

    @property
    def idempotency_key(self) -> str:
        return f"tierwise-invoice-{self.invoice_id}-attempt-{self.attempt_key}"


class StripeEvent(models.Model):
    """A Stripe webhook event processed: the same event delivered twice is processed
    once."""

    event_id = models.CharField(max_length=100, unique=True)
    type = models.CharField(max_length=100)
    intent_id = models.CharField(max_length=100, blank=True)
    received_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-received_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"
