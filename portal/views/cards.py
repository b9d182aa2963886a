"""Paying an invoice by card (billing.cards): the "Pay now" page with Stripe's card form
and the saved card, the return from it, removing the saved card, and Stripe's webhook.

Owners and billing admins pay; a member gets 403, an outsider 404. Stripe.js takes the
card in the browser and hands it to Stripe; the form posts us only Stripe's ids. The
page's Content-Security-Policy adds exactly the origin of the configured Stripe.js
(and of the Stripe API it calls), no inline script."""

from __future__ import annotations

import json
import logging

import stripe
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing.cards import gateway, services
from billing.cards.gateway import card_payments_enabled
from billing.cards.selectors import card_payable, saved_card
from billing.invoices.selectors import invoice_outstanding
from billing.models import CardPayment, CardPaymentStatus
from portal.access import get_invoice_for_member, get_membership, require_billing

logger = logging.getLogger(__name__)

UNAVAILABLE = (
    "Card payments are unavailable right now; try again in a few minutes or pay by bank transfer."
)


def _with_stripe_csp(response: HttpResponse) -> HttpResponse:
    response._csp_update = gateway.csp_sources()
    return response


def _session_key(invoice) -> str:
    return f"card-setup-{invoice.pk}"


def _form_setup(request, invoice) -> tuple[str, str]:
    """The attempt key and SetupIntent the pay form showed last time in this session,
    while no payment was submitted with that key: a reload shows the same form again
    instead of a new SetupIntent at Stripe per view."""
    kept = request.session.get(_session_key(invoice))
    if not isinstance(kept, dict):
        return services.new_attempt_key(), ""
    key, setup = kept.get("attempt"), kept.get("setup_intent")
    if not (isinstance(key, str) and isinstance(setup, str) and key and setup):
        return services.new_attempt_key(), ""
    if CardPayment.objects.filter(invoice=invoice, attempt_key=key).exists():
        return services.new_attempt_key(), ""
    return key, setup


def _pay_page(request, membership, invoice, *, status=200, confirm=None) -> HttpResponse:
    organization = membership.organization
    setup_secret = ""
    unavailable = False
    attempt_key = services.new_attempt_key()
    if confirm is None:
        attempt_key, reuse = _form_setup(request, invoice)
        try:
            setup_id, setup_secret = services.card_setup_start(
                organization=organization, reuse=reuse
            )
            if setup_id != reuse:
                attempt_key = services.new_attempt_key() if reuse else attempt_key
            request.session[_session_key(invoice)] = {
                "attempt": attempt_key,
                "setup_intent": setup_id,
            }
        except stripe.StripeError:
            logger.exception("Stripe refused or did not answer the card setup.")
            unavailable = True
            status = 503
    response = render(
        request,
        "billing/pay.html",
        {
            "membership": membership,
            "organization": organization,
            "invoice": invoice,
            "outstanding": invoice_outstanding(invoice=invoice),
            "saved": saved_card(organization=organization),
            "attempt_key": attempt_key,
            "setup_secret": setup_secret,
            "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
            "stripe_js_url": settings.STRIPE_JS_URL,
            "unavailable": unavailable,
            "confirm": confirm,
        },
        status=status,
    )
    return _with_stripe_csp(response)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def invoice_pay(request: HttpRequest, slug: str, number: str) -> HttpResponse:
    membership, invoice = get_invoice_for_member(request, slug, number)
    require_billing(membership, "pay invoices")
    if request.method == "GET" or not card_payments_enabled():
        if not card_payable(invoice=invoice):
            messages.info(request, f"Invoice {invoice.number} has nothing to pay by card.")
            return redirect("invoice_detail", slug, number)
        return _pay_page(request, membership, invoice)
    try:
        attempt = services.card_payment_start(
            invoice=invoice,
            attempt_key=request.POST.get("attempt", ""),
            user=request.user,
            setup_intent_id=request.POST.get("setup_intent", "").strip(),
            save_card=bool(request.POST.get("save_card")),
        )
    except ValidationError as refused:
        messages.error(request, " ".join(refused.messages))
        return redirect(
            "invoice_pay" if card_payable(invoice=invoice) else "invoice_detail", slug, number
        )
    except stripe.StripeError:
        logger.exception("Stripe refused or did not answer a card payment.")
        messages.error(request, UNAVAILABLE)
        return redirect("invoice_pay", slug, number)
    return _outcome(request, membership, invoice, attempt)


def _outcome(request, membership, invoice, attempt: CardPayment) -> HttpResponse:
    slug, number = membership.organization.slug, invoice.number
    if attempt.status == CardPaymentStatus.SUCCEEDED:
        messages.success(request, f"Paid by card ({attempt.card_label}). Thank you.")
        return redirect("invoice_detail", slug, number)
    if attempt.status == CardPaymentStatus.FAILED:
        messages.error(request, f"The card payment did not go through: {attempt.failure_message}")
        return redirect("invoice_pay", slug, number)
    url = reverse("invoice_pay_return", args=[slug, number])
    return redirect(f"{url}?attempt={attempt.attempt_key}")


@never_cache
@login_required
@require_GET
def invoice_pay_return(request: HttpRequest, slug: str, number: str) -> HttpResponse:
    """Where the payment comes back to (after the bank's confirmation): asks Stripe how
    the attempt stands and records it now, not waiting for the webhook."""
    membership, invoice = get_invoice_for_member(request, slug, number)
    require_billing(membership, "pay invoices")
    attempt = get_object_or_404(
        CardPayment, invoice=invoice, attempt_key=request.GET.get("attempt", "")
    )
    try:
        attempt = services.card_payment_check(attempt=attempt)
    except stripe.StripeError:
        logger.exception("Stripe did not answer about %s.", attempt.intent_id)
        messages.error(request, UNAVAILABLE)
        return redirect("invoice_detail", slug, number)
    if attempt.status == CardPaymentStatus.REQUIRES_ACTION:
        try:
            intent = gateway.client().v1.payment_intents.retrieve(attempt.intent_id)
        except stripe.StripeError:
            messages.error(request, UNAVAILABLE)
            return redirect("invoice_detail", slug, number)
        confirm = {"attempt": attempt, "client_secret": intent.client_secret}
        return _pay_page(request, membership, invoice, confirm=confirm)
    if attempt.status == CardPaymentStatus.PROCESSING:
        messages.info(request, "Your card payment is being processed; this page shows it done.")
        return redirect("invoice_detail", slug, number)
    return _outcome(request, membership, invoice, attempt)


@login_required
@require_POST
def saved_card_remove(request: HttpRequest, slug: str) -> HttpResponse:
    membership = get_membership(request, slug)
    require_billing(membership, "remove the saved card")
    try:
        removed = services.saved_card_remove(organization=membership.organization)
    except stripe.StripeError:
        logger.exception("Stripe did not answer the removal of a saved card.")
        messages.error(request, UNAVAILABLE)
        removed = None
    if removed:
        messages.success(request, "The saved card is removed.")
    elif removed is False:
        messages.info(request, "There is no saved card.")
    back = request.POST.get("next", "")
    if back.startswith(f"/app/{slug}/") and "//" not in back:
        return redirect(back)
    return redirect("invoice_list", slug)


def _stripe_id(value) -> bool:
    """A Stripe id as we keep them (at most 100 characters)."""
    return isinstance(value, str) and 0 < len(value) <= 100


def _malformed(payload: str) -> str:
    """What is wrong with the shape of a signed event's body, or "" when it is an event
    with an object that has an id, as Stripe sends."""
    try:
        body = json.loads(payload)
    except ValueError:
        return "the body is not JSON."
    if not isinstance(body, dict):
        return "the body is not an event."
    if not _stripe_id(body.get("id")):
        return "the event has no id."
    if not isinstance(body.get("type"), str):
        return "the event has no type."
    data = body.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        return "the event carries no object."
    obj = data["object"]
    if not _stripe_id(obj.get("id")):
        return "the event's object has no id."
    if "metadata" in obj and not isinstance(obj["metadata"], dict | None):
        return "the event's object has malformed metadata."
    return ""


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """Stripe's events, verified by their signature. A tampered or unsigned event, an
    event type we do not act on and an intent we did not create are refused (400) and
    logged; an event seen before is answered 200 and changes nothing."""
    if not settings.STRIPE_WEBHOOK_SECRET:
        raise Http404("Card payments are off.")
    signature = request.headers.get("Stripe-Signature", "")
    payload = request.body.decode("utf-8", "replace")
    try:
        stripe.WebhookSignature.verify_header(
            payload, signature, settings.STRIPE_WEBHOOK_SECRET, stripe.Webhook.DEFAULT_TOLERANCE
        )
    except stripe.SignatureVerificationError as refused:
        logger.warning("Stripe webhook refused: %s", refused)
        return HttpResponse("Refused: the signature does not match.", status=400)
    problem = _malformed(payload)
    if problem:
        logger.warning("Stripe webhook refused: %s", problem)
        return HttpResponse(f"Refused: {problem}", status=400)
    event = stripe.Event.construct_from(json.loads(payload), settings.STRIPE_API_KEY)
    try:
        processed = services.webhook_process(event)
    except services.UnknownEvent as unknown:
        logger.warning("Stripe webhook %s refused: %s", event.id, unknown)
        return HttpResponse(f"Refused: {unknown}", status=400)
    except ValidationError as refused:
        logger.error("Stripe webhook %s could not be recorded: %s", event.id, refused.messages)
        return HttpResponse("Refused: " + " ".join(refused.messages), status=400)
    return HttpResponse("Processed." if processed else "Already processed.")
