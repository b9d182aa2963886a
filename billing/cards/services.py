"""The writes of card payments. Each takes its row locks in the one order
(billing.locks): the organization's billing details (which also serialise its Stripe
customer and saved card), then the invoice, then the invoice's card payment attempts.

Stripe is called inside the transaction, under those locks, so two submissions of one
attempt queue on the invoice and the second finds the first's intent; the intent is
created with the attempt's idempotency key, so even a retry after a rollback reaches the
same intent at Stripe. Whatever reports an intent's outcome (the pay form's answer, the
return from the payment page, the webhook) goes through card_payment_reconcile, which
records a succeeded intent once, as a Payment (payment_record_as_credit: money taken for
an invoice that was paid or voided meanwhile becomes credit), and sends the "card
payment failed" email once per failed intent. An attempt's state only moves forward: a
succeeded attempt is final, whatever a late report says.

A card entered with "keep this card" replaces the saved card only once its payment
succeeded; the replaced card is detached at Stripe after the commit, so the saved card
recorded here is never one Stripe has let go of."""

from __future__ import annotations

import logging
import re
import secrets

import stripe
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from billing.cards import gateway
from billing.dunning.services import lock_for_settlement
from billing.emails.services import send_billing_email
from billing.invoices.selectors import invoice_outstanding
from billing.locks import lock_billing_details
from billing.models import (
    CardPayment,
    CardPaymentStatus,
    Invoice,
    InvoiceStatus,
    Notice,
    NoticeKind,
    Payment,
    StripeCustomer,
    StripeEvent,
)
from billing.payments.services import payment_record_as_credit
from billing.providers.stripe_card import StripeCard
from portal import clock
from portal.models import Organization

logger = logging.getLogger(__name__)

# The events the webhook acts on; any other is refused.
HANDLED_EVENTS = ("payment_intent.succeeded", "payment_intent.payment_failed")


class UnknownEvent(Exception):
    """A webhook event Tierwise does not act on, or about an intent it did not create."""


def new_attempt_key() -> str:
    """The token a pay form carries: submitting it twice is one attempt."""
    return secrets.token_urlsafe(16)


# --- The customer and the saved card ---------------------------------------------------


def _customer_locked(organization: Organization) -> StripeCustomer:
    """The organization's Stripe customer, created at Stripe on first use (its
    idempotency key makes a retried creation the same customer). Call under the
    billing details lock."""
    existing = StripeCustomer.objects.filter(organization=organization).first()
    if existing is not None:
        return existing
    customer = gateway.client().v1.customers.create(
        params={
            "name": organization.name,
            "metadata": {"tierwise_organization": str(organization.pk)},
        },
        options={"idempotency_key": f"tierwise-organization-{organization.pk}-customer"},
    )
    return StripeCustomer.objects.create(organization=organization, customer_id=customer.id)


# A SetupIntent the customer can still enter a card into.
OPEN_SETUP = ("requires_payment_method", "requires_confirmation", "requires_action")


@transaction.atomic
def card_setup_start(*, organization: Organization, reuse: str = "") -> tuple[str, str]:
    """A SetupIntent for the card the customer is about to enter on the pay page: its id
    and client secret, for Stripe.js. The card is saved to the organization's customer at
    Stripe for later invoices (off-session use). `reuse` is the SetupIntent the same pay
    form showed before (a reload): while it is this customer's and still open, it is
    the one, so reloading the page creates nothing more at Stripe."""
    lock_billing_details(organization)
    customer = _customer_locked(organization)
    api = gateway.client()
    if reuse:
        try:
            before = api.v1.setup_intents.retrieve(reuse)
        except stripe.InvalidRequestError:
            before = None
        if (
            before is not None
            and before.customer == customer.customer_id
            and before.status in OPEN_SETUP
        ):
            return before.id, before.client_secret
    intent = api.v1.setup_intents.create(
        params={
            "customer": customer.customer_id,
            "usage": "off_session",
            "payment_method_types": ["card"],
            "metadata": {"tierwise_organization": str(organization.pk)},
        }
    )
    return intent.id, intent.client_secret


def _card_details(payment_method_id: str) -> dict:
    method = gateway.client().v1.payment_methods.retrieve(payment_method_id)
    card = method.card
    return {
        "card_brand": str(card.brand or "card"),
        "card_last4": str(card.last4 or ""),
        "card_exp_month": int(card.exp_month) if card.exp_month else None,
        "card_exp_year": int(card.exp_year) if card.exp_year else None,
    }


def _label(details: dict) -> str:
    return f"{details['card_brand'].title()} ending {details['card_last4']}"


def _keep_card(customer: StripeCustomer, payment_method_id: str, details: dict) -> None:
    """Make the card the organization's saved card (its payment succeeded); the card it
    replaces is detached at Stripe once this is committed."""
    previous = customer.payment_method_id
    if previous and previous != payment_method_id:
        _detach_after_commit(previous)
    customer.payment_method_id = payment_method_id
    for name, value in details.items():
        setattr(customer, name, value)
    customer.card_saved_at = clock.now()
    customer.save()


def _detach_after_commit(payment_method_id: str) -> None:
    """Detach the card at Stripe once the transaction that stopped using it commits; a
    rollback keeps it attached, and Stripe failing then only leaves a card attached
    that nothing here uses (logged)."""

    def detach() -> None:
        try:
            _detach(payment_method_id)
        except stripe.StripeError:
            logger.exception("Could not detach payment method %s at Stripe.", payment_method_id)

    transaction.on_commit(detach)


def _detach(payment_method_id: str) -> None:
    try:
        gateway.client().v1.payment_methods.detach(payment_method_id)
    except stripe.InvalidRequestError:
        # Already detached (or never attached, as localstripe's setup leaves it).
        logger.info("Payment method %s was not attached at Stripe.", payment_method_id)


@transaction.atomic
def saved_card_remove(*, organization: Organization) -> bool:
    """Forget the organization's saved card, here and at Stripe. False when none."""
    lock_billing_details(organization)
    customer = StripeCustomer.objects.filter(organization=organization).first()
    if customer is None or not customer.has_card:
        return False
    _detach(customer.payment_method_id)
    customer.payment_method_id = customer.card_brand = customer.card_last4 = ""
    customer.card_exp_month = customer.card_exp_year = customer.card_saved_at = None
    customer.save()
    return True


# --- Paying an invoice -------------------------------------------------------------------


def _refuse_unless_open(invoice: Invoice) -> None:
    if invoice.status != InvoiceStatus.OPEN:
        raise ValidationError(
            f"Invoice {invoice.number} is {invoice.get_status_display().lower()}; "
            "there is nothing to pay."
        )


def _card_from_setup(customer: StripeCustomer, setup_intent_id: str) -> str:
    """The card the customer just entered: the payment method of their succeeded
    SetupIntent, which must be this organization's."""
    try:
        intent = gateway.client().v1.setup_intents.retrieve(setup_intent_id)
    except stripe.InvalidRequestError:
        raise ValidationError(
            "That card entry is not known to Stripe; enter the card again."
        ) from None
    if intent.customer != customer.customer_id or intent.status != "succeeded":
        raise ValidationError("The card was not set up; enter the card again.")
    return str(intent.payment_method)


@transaction.atomic
def card_payment_start(
    *,
    invoice: Invoice,
    attempt_key: str,
    user,
    setup_intent_id: str = "",
    save_card: bool = False,
    off_session: bool = False,
) -> CardPayment:
    """Pay what is still outstanding on `invoice` by card: the card just entered (its
    SetupIntent) or, without one, the organization's saved card. One attempt key makes one
    PaymentIntent, however often it is submitted. Returns the attempt, reconciled with
    what Stripe answered (succeeded: the payment is recorded; requires_action: the page
    asks the bank's confirmation through Stripe.js; failed: its message). `off_session`:
    no customer is present (a renewal's charge, billing.cards.offsession)."""
    attempt_key = (attempt_key or "").strip()
    if not attempt_key or len(attempt_key) > 64:
        raise ValidationError("The payment form is incomplete; reload the page and try again.")
    lock_billing_details(invoice.organization)
    # The licenses a payment may reinstate, before the invoice (billing.locks).
    lock_for_settlement(invoice.organization, invoice.currency)
    locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
    existing = CardPayment.objects.filter(invoice=locked, attempt_key=attempt_key).first()
    if existing is not None:
        # The same submission again (a double click, a retry): its outcome, not a second
        # intent, even once it has paid the invoice.
        return existing
    _refuse_unless_open(locked)
    outstanding = invoice_outstanding(invoice=locked)
    if outstanding.amount <= 0:
        raise ValidationError(f"Invoice {locked.number} has nothing left to pay.")
    customer = _customer_locked(locked.organization)
    if setup_intent_id:
        payment_method_id = _card_from_setup(customer, setup_intent_id)
        details = _card_details(payment_method_id)
        # Kept as the saved card only once its payment succeeds (_reconcile_locked): a
        # declined card never replaces a working one.
        save_card = bool(save_card) and payment_method_id != customer.payment_method_id
    elif customer.has_card:
        payment_method_id = customer.payment_method_id
        details = {"card_brand": customer.card_brand, "card_last4": customer.card_last4}
        save_card = False
    else:
        raise ValidationError("There is no saved card; enter a card.")
    attempt = CardPayment.objects.create(
        organization=locked.organization,
        invoice=locked,
        attempt_key=attempt_key,
        currency=locked.currency,
        amount=outstanding.amount,
        payment_method_id=payment_method_id,
        card_label=_label(details),
        save_card=save_card,
        started_by=user,
    )
    api = gateway.client()
    try:
        intent = api.v1.payment_intents.create(
            params={
                "amount": gateway.to_minor_units(outstanding),
                "currency": locked.currency.lower(),
                "customer": customer.customer_id,
                "payment_method": payment_method_id,
                "payment_method_types": ["card"],
                "confirm": True,
                **({"off_session": True} if off_session else {}),
                "metadata": {
                    "tierwise_invoice": str(locked.pk),
                    "tierwise_attempt": attempt_key,
                },
            },
            options={"idempotency_key": attempt.idempotency_key},
        )
    except stripe.CardError as declined:
        intent = _intent_of_error(api, declined)
        if intent is None:
            attempt.status = CardPaymentStatus.FAILED
            attempt.failure_message = declined.user_message or "The card was declined."
            _notify_failure(attempt)
            attempt.save()
            _forget_unsaved_card(attempt)
            return attempt
    attempt.intent_id = intent.id
    attempt.save()
    return _reconcile_locked(attempt, intent, locked)


def _intent_of_error(api: stripe.StripeClient, error: stripe.CardError):
    """The PaymentIntent a declined confirmation left behind: Stripe names it in the
    error; localstripe names only the charge, which names it."""
    body = error.error
    intent = _field(body, "payment_intent")
    if intent:
        return api.v1.payment_intents.retrieve(_field(intent, "id") or str(intent))
    charge_id = _field(body, "charge")
    if charge_id:
        charge = api.v1.charges.retrieve(str(charge_id))
        if charge.payment_intent:
            return api.v1.payment_intents.retrieve(str(charge.payment_intent))
    return None


# --- Reconciling what Stripe reports -----------------------------------------------------


def _field(obj, name: str):
    """A field of a Stripe object that may be absent (localstripe leaves some out)."""
    if obj is None:
        return None
    try:
        return obj[name]
    except (KeyError, TypeError):
        return None


# An invoice's primary key as the intent's metadata carries it: ASCII digits that fit
# the database's bigint (a longer number would overflow it).
_INVOICE_PK = re.compile(r"[0-9]{1,18}")


def _attempt_for(intent) -> CardPayment | None:
    intent_id = _field(intent, "id")
    if not isinstance(intent_id, str) or not intent_id:
        return None
    attempt = CardPayment.objects.filter(intent_id=intent_id).first()
    if attempt is not None:
        return attempt
    metadata = _field(intent, "metadata") or {}
    invoice_pk, key = _field(metadata, "tierwise_invoice"), _field(metadata, "tierwise_attempt")
    if not (isinstance(invoice_pk, str) and _INVOICE_PK.fullmatch(invoice_pk)):
        return None
    if not (isinstance(key, str) and 0 < len(key) <= 64):
        return None
    return CardPayment.objects.filter(invoice_id=int(invoice_pk), attempt_key=key).first()


@transaction.atomic
def card_payment_reconcile(*, intent, failed: bool = False) -> CardPayment:
    """Bring the attempt of `intent` (a Stripe PaymentIntent, from the API or a webhook's
    signed event) up to date: a succeeded intent is recorded as a payment once; a failed
    one sends the "card payment failed" email once. `failed` says the report is a
    payment failure (payment_intent.payment_failed). Raises UnknownEvent for an intent
    Tierwise did not create."""
    attempt = _attempt_for(intent)
    if attempt is None:
        raise UnknownEvent(
            f"PaymentIntent {_field(intent, 'id')} is not one of Tierwise's card payments."
        )
    lock_billing_details(attempt.organization)
    # The licenses a payment may reinstate, before the invoice (billing.locks).
    lock_for_settlement(attempt.organization, attempt.currency)
    invoice = Invoice.objects.select_for_update().get(pk=attempt.invoice_id)
    return _reconcile_locked(attempt, intent, invoice, failed=failed)


FINAL = (CardPaymentStatus.SUCCEEDED, CardPaymentStatus.FAILED)

# How far an attempt has come: it only moves forward. A failed attempt can still turn
# out paid (its intent succeeded after all: the money is taken, so it is recorded); a
# succeeded one is final.
_PROGRESS = {
    CardPaymentStatus.STARTED: 0,
    CardPaymentStatus.REQUIRES_ACTION: 1,
    CardPaymentStatus.PROCESSING: 2,
    CardPaymentStatus.FAILED: 3,
    CardPaymentStatus.SUCCEEDED: 4,
}


def _reported_status(intent, *, failed: bool) -> CardPaymentStatus | None:
    status = _field(intent, "status")
    if status == "succeeded":
        return CardPaymentStatus.SUCCEEDED
    if status == "requires_action":
        return CardPaymentStatus.REQUIRES_ACTION
    if status == "processing":
        return CardPaymentStatus.PROCESSING
    if failed or status == "canceled" or _field(intent, "last_payment_error"):
        return CardPaymentStatus.FAILED
    return None


def _reconcile_locked(attempt: CardPayment, intent, invoice: Invoice, *, failed=False):
    attempt = CardPayment.objects.select_for_update().get(pk=attempt.pk)
    if attempt.intent_id is None:
        attempt.intent_id = intent.id
    was_final = attempt.status in FINAL
    reported = _reported_status(intent, failed=failed)
    if reported is None:
        attempt.save()
        return attempt
    if reported == CardPaymentStatus.SUCCEEDED:
        # Recorded once, however often it is reported (the payment's reference is the
        # intent): a replayed webhook, the return page after it.
        _record_once(attempt, intent, invoice)
    if _PROGRESS[reported] <= _PROGRESS[attempt.status]:
        if reported != attempt.status:
            logger.warning(
                "Card payment %s is %s; a later report that it is %s is ignored.",
                attempt.intent_id,
                attempt.status,
                reported,
            )
        attempt.save()
        return attempt
    attempt.status = reported
    if reported == CardPaymentStatus.SUCCEEDED and attempt.save_card and not was_final:
        # (A card whose attempt failed first was let go of then; it is not kept.)
        _keep_paying_card(attempt)
    elif reported == CardPaymentStatus.FAILED:
        error = _field(intent, "last_payment_error")
        attempt.failure_message = _field(error, "message") or "The card payment did not go through."
        _notify_failure(attempt)
    attempt.save()
    if attempt.status in FINAL and not was_final:
        _forget_unsaved_card(attempt)
    return attempt


def _keep_paying_card(attempt: CardPayment) -> None:
    """The card entered with "keep this card" paid: it becomes the saved card."""
    customer = StripeCustomer.objects.get(organization_id=attempt.organization_id)
    try:
        details = _card_details(attempt.payment_method_id)
    except stripe.StripeError:
        logger.exception(
            "Could not read card %s at Stripe; it is not kept.", attempt.payment_method_id
        )
        return
    _keep_card(customer, attempt.payment_method_id, details)


def _forget_unsaved_card(attempt: CardPayment) -> None:
    """A card entered without "keep this card" is detached at Stripe once its payment is
    over; the saved card stays."""
    saved = StripeCustomer.objects.filter(organization_id=attempt.organization_id).first()
    if saved is not None and saved.payment_method_id == attempt.payment_method_id:
        return
    _detach_after_commit(attempt.payment_method_id)


def _record_once(attempt: CardPayment, intent, invoice: Invoice) -> None:
    provider = StripeCard()
    if Payment.objects.filter(invoice=invoice, provider=provider.name, reference=intent.id):
        return
    received = _field(intent, "amount_received") or _field(intent, "amount")
    currency = _field(intent, "currency")
    if isinstance(received, bool) or not isinstance(received, int) or received <= 0:
        raise ValidationError(f"PaymentIntent {intent.id} names no amount received.")
    if not (isinstance(currency, str) and currency.upper() == invoice.currency):
        raise ValidationError(f"PaymentIntent {intent.id} is not in {invoice.currency}.")
    amount = gateway.from_minor_units(received, currency)
    reason = f"Paid by card ({attempt.card_label}) through Stripe."
    if invoice.status != InvoiceStatus.OPEN:
        # Paid meanwhile (a transfer arrived, credit covered it) or voided: the money is
        # taken all the same, so it is recorded, and all of it becomes credit.
        logger.warning(
            "Card payment %s succeeded for invoice %s, which is %s: recorded as credit.",
            intent.id,
            invoice.number,
            invoice.status,
        )
        reason += (
            f" Invoice {invoice.number} was already {invoice.get_status_display().lower()},"
            " so all of it became credit."
        )
    payment_record_as_credit(
        invoice=invoice,
        amount=amount,
        received_on=clock.today(),
        reference=intent.id,
        actor=None,
        reason=reason,
        provider=provider,
        at=clock.now(),
    )


def off_session_attempt_key(invoice: Invoice) -> str:
    """The one attempt key of an invoice's off-session charge (billing.cards.offsession)."""
    return f"off-session-{invoice.pk}"


def _notify_failure(attempt: CardPayment) -> None:
    if attempt.failure_notified_at is not None:
        return
    invoice = attempt.invoice
    if attempt.attempt_key == off_session_attempt_key(invoice):
        # A renewal's charge with no customer present: on record as the renewal's
        # failure, however the failure was seen (the charge's answer or a webhook).
        Notice.objects.get_or_create(
            kind=NoticeKind.RENEWAL_FAILED,
            subject=f"invoice:{invoice.pk}",
            period=invoice.issued_on,
            lead=0,
            defaults={
                "license_id": invoice.license_id,
                "invoice": invoice,
                "sent_on": clock.today(),
            },
        )
    pay_url = settings.SITE_URL + reverse(
        "invoice_pay", args=[invoice.organization.slug, invoice.number]
    )
    send_billing_email(
        "card_payment_failed",
        organization=invoice.organization,
        context={
            "invoice": invoice,
            "amount": attempt.money(),
            "card_label": attempt.card_label,
            "failure_message": attempt.failure_message,
            "action_url": pay_url,
            "action_label": "Pay again",
        },
    )
    attempt.failure_notified_at = clock.now()


# --- The webhook -------------------------------------------------------------------------


@transaction.atomic
def webhook_process(event) -> bool:
    """Act on a verified Stripe event once: False when this event was processed
    before. Raises UnknownEvent for an event type Tierwise does not act on or an intent
    it did not create (nothing is written then)."""
    if event.type not in HANDLED_EVENTS:
        raise UnknownEvent(f"Event type {event.type!r} is not one Tierwise acts on.")
    intent = event.data.object
    try:
        with transaction.atomic():
            StripeEvent.objects.create(event_id=event.id, type=event.type, intent_id=intent.id)
    except IntegrityError:
        return False
    card_payment_reconcile(intent=intent, failed=event.type == "payment_intent.payment_failed")
    return True


def card_payment_check(*, attempt: CardPayment) -> CardPayment:
    """The return from the payment page: ask Stripe how the attempt's intent stands and
    reconcile it now, so the customer sees the outcome without waiting for the webhook."""
    if not attempt.intent_id:
        return attempt
    intent = gateway.client().v1.payment_intents.retrieve(attempt.intent_id)
    return card_payment_reconcile(intent=intent)
