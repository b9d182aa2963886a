"""Paying invoices by card against a real localstripe: a new card (saved for later), the
saved card on a later invoice, removing it, a declined card (the "card payment failed"
email, once), the bank's confirmation and the return page, and an attempt that makes
one PaymentIntent however often it is submitted."""

from decimal import Decimal

import pytest

from billing.cards import services
from billing.models import CardPayment, InvoiceStatus, Payment, StripeCustomer
from portal.models import OutboundEmail
from tests.helpers.cards import (
    CARD_3DS,
    CARD_DECLINED,
    attempt_key,
    bank_confirms,
    enter_card,
    intent,
    intents_of,
    page_data,
)
from tests.helpers.invoices import finalized_invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoice(organization, now, stripe_settings):
    return finalized_invoice(organization, lines=[("Team plan, 12 seats", 12, Decimal("19.99"))])


def _pay_with_new_card(client, invoice, localstripe_url, number="4242424242424242", save=True):
    url = f"/app/northwind/invoices/{invoice.number}/pay/"
    page = client.get(url)
    assert page.status_code == 200
    setup = enter_card(localstripe_url, page_data(page, "setup-secret"), number)
    data = {"attempt": attempt_key(page), "setup_intent": setup}
    if save:
        data["save_card"] = "on"
    return client.post(url, data), data


def test_an_owner_pays_an_open_invoice_by_card_and_the_card_is_kept(
    client_for, owner, invoice, localstripe_url
):
    client = client_for(owner)
    invoice_page = client.get(f"/app/northwind/invoices/{invoice.number}/")
    assert b"Pay now" in invoice_page.content

    answer, data = _pay_with_new_card(client, invoice, localstripe_url)

    assert answer.status_code == 302
    assert answer["Location"] == f"/app/northwind/invoices/{invoice.number}/"
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    payment = Payment.objects.get(invoice=invoice)
    assert payment.provider == "stripe" and payment.reference.startswith("pi_")
    assert payment.money() == invoice.money("amount_due")
    # The same submission again (a double click): its outcome, no second payment.
    again = client.post(f"/app/northwind/invoices/{invoice.number}/pay/", data)
    assert again["Location"] == f"/app/northwind/invoices/{invoice.number}/"
    assert Payment.objects.filter(invoice=invoice).count() == 1
    # 239.88 USD went to Stripe as 23988 cents, in the invoice's currency.
    charged = intent(localstripe_url, payment.reference)
    assert (charged["amount"], charged["currency"]) == (int(payment.amount * 100), "usd")
    shown = client.get(f"/app/northwind/invoices/{invoice.number}/").content.decode()
    assert "Paid by card" in shown and "Pay now" not in shown
    customer = StripeCustomer.objects.get(organization=invoice.organization)
    assert (customer.card_brand, customer.card_last4) == ("visa", "4242")


def test_a_later_invoice_is_paid_with_the_saved_card_which_can_be_removed(
    client_for, owner, invoice, organization, localstripe_url
):
    client = client_for(owner)
    _pay_with_new_card(client, invoice, localstripe_url)
    later = finalized_invoice(organization, lines=[("Extra seats", 2, Decimal("10"))])

    page = client.get(f"/app/northwind/invoices/{later.number}/")
    assert "Visa ending 4242" in page.content.decode()
    answer = client.post(
        f"/app/northwind/invoices/{later.number}/pay/", {"attempt": attempt_key(page)}
    )

    assert answer.status_code == 302
    later.refresh_from_db()
    assert later.status == InvoiceStatus.PAID
    assert Payment.objects.get(invoice=later).provider == "stripe"

    third = finalized_invoice(organization, lines=[("More", 1, Decimal("5"))])
    listed = client.get("/app/northwind/invoices/").content.decode()
    assert "Visa ending 4242, expires 12/2031" in listed
    removed = client.post("/app/northwind/card/remove/", follow=True)
    assert "The saved card is removed." in removed.content.decode()
    assert not StripeCustomer.objects.get(organization=organization).has_card
    page = client.get(f"/app/northwind/invoices/{third.number}/pay/").content.decode()
    assert "Your saved card" not in page and "Visa ending 4242" not in page
    refused = client.post(f"/app/northwind/invoices/{third.number}/pay/", {"attempt": "x1"})
    assert refused.status_code == 302
    third.refresh_from_db()
    assert third.status == InvoiceStatus.OPEN


def test_one_attempt_makes_one_payment_intent_however_often_it_is_submitted(
    client_for, owner, invoice, localstripe_url
):
    client = client_for(owner)
    answer, data = _pay_with_new_card(client, invoice, localstripe_url, number=CARD_3DS)
    assert "/pay/return/" in answer["Location"]
    # A double click, a reload of the POST, a retry: the same attempt again.
    again = client.post(f"/app/northwind/invoices/{invoice.number}/pay/", data)
    assert again["Location"] == answer["Location"]
    attempt = services.card_payment_start(
        invoice=invoice,
        attempt_key=data["attempt"],
        user=None,
        setup_intent_id=data["setup_intent"],
    )

    assert CardPayment.objects.filter(invoice=invoice).count() == 1
    made = intents_of(localstripe_url, data["attempt"])
    assert [i["id"] for i in made] == [attempt.intent_id]
    assert attempt.idempotency_key == f"tierwise-invoice-{invoice.pk}-attempt-{data['attempt']}"


def test_the_bank_confirmation_then_the_return_page_shows_it_paid_once(
    client_for, owner, invoice, localstripe_url
):
    client = client_for(owner)
    answer, _ = _pay_with_new_card(client, invoice, localstripe_url, number=CARD_3DS)
    confirm = client.get(answer["Location"])
    assert confirm.status_code == 200
    assert b"Confirm the payment with your bank" in confirm.content
    bank_confirms(localstripe_url, page_data(confirm, "client-secret"))

    back = client.get(answer["Location"])
    client.get(answer["Location"])

    assert back["Location"] == f"/app/northwind/invoices/{invoice.number}/"
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert Payment.objects.filter(invoice=invoice).count() == 1


def test_a_declined_card_leaves_the_invoice_open_and_emails_the_failure_once(
    client_for, owner, billing_admin, teammate, invoice, localstripe_url
):
    client = client_for(owner)
    answer, data = _pay_with_new_card(client, invoice, localstripe_url, number=CARD_DECLINED)

    assert answer["Location"] == f"/app/northwind/invoices/{invoice.number}/pay/"
    followed = client.get(answer["Location"]).content.decode()
    assert "did not go through" in followed and "declined" in followed
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN and not invoice.payments.exists()
    attempt = CardPayment.objects.get(invoice=invoice)
    assert attempt.status == "failed" and attempt.intent_id
    # The webhook and the return page report the same failure: no second email.
    services.card_payment_reconcile(intent=_intent_obj(localstripe_url, attempt), failed=True)
    client.post(f"/app/northwind/invoices/{invoice.number}/pay/", data)
    subject = f"Card payment failed for invoice {invoice.number}"
    emails = OutboundEmail.objects.filter(subject=subject)
    assert sorted(e.to for e in emails) == sorted([owner.email, billing_admin.email])
    body = emails.first().body_text
    assert "declined" in body and f"/app/northwind/invoices/{invoice.number}/pay/" in body
    assert "Pay again" in emails.first().body_html


def _intent_obj(localstripe_url, attempt):
    import stripe

    return stripe.PaymentIntent.construct_from(intent(localstripe_url, attempt.intent_id), "k")


def test_the_pay_page_allows_exactly_the_stripe_js_origin_and_no_inline_code(
    client_for, owner, invoice, localstripe_url
):
    client = client_for(owner)
    pay = client.get(f"/app/northwind/invoices/{invoice.number}/pay/")
    other = client.get(f"/app/northwind/invoices/{invoice.number}/")

    policy = _directives(pay["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'", localstripe_url]
    assert policy["connect-src"] == ["'self'", localstripe_url]
    assert policy["frame-src"] == [localstripe_url]
    assert "'unsafe-inline'" not in pay["Content-Security-Policy"]
    assert f'<script src="{localstripe_url}/js.stripe.com/v3/"></script>' in pay.content.decode()
    # Only the pay page loads Stripe.js.
    assert localstripe_url not in other["Content-Security-Policy"]


def _directives(header: str) -> dict[str, list[str]]:
    return {
        name: sources
        for name, *sources in (part.split() for part in header.split(";") if part.strip())
    }


def test_the_checkout_confirmation_offers_pay_now_and_it_pays_the_checkouts_invoice(
    client_for, owner, organization, catalog, now, stripe_settings, localstripe_url
):
    from tests.helpers.checkout import confirm, subscribed

    license = subscribed(organization, catalog, seats=5)
    _, confirmed = confirm(
        organization, license, owner, tier="team", seats=8, cycle="monthly", currency="USD"
    )
    client = client_for(owner)
    done = client.get(f"/app/northwind/checkout/{confirmed.token}/done/")
    pay_url = f"/app/northwind/invoices/{confirmed.invoice.number}/pay/"
    assert f'href="{pay_url}">Pay now by card' in done.content.decode()

    answer, _ = _pay_with_new_card(client, confirmed.invoice, localstripe_url, save=False)

    assert answer["Location"] == f"/app/northwind/invoices/{confirmed.invoice.number}/"
    confirmed.invoice.refresh_from_db()
    assert confirmed.invoice.status == InvoiceStatus.PAID
    # Not kept: the box was unticked.
    assert not StripeCustomer.objects.get(organization=organization).has_card
    paid_done = client.get(f"/app/northwind/checkout/{confirmed.token}/done/")
    assert "Pay now by card" not in paid_done.content.decode()


def _detached(monkeypatch) -> list[str]:
    """The payment methods detached at Stripe (recorded, then detached as before)."""
    calls: list[str] = []
    detach = services._detach

    def record(payment_method_id):
        calls.append(payment_method_id)
        detach(payment_method_id)

    monkeypatch.setattr(services, "_detach", record)
    return calls


def test_a_declined_card_does_not_replace_the_saved_card(
    client_for,
    owner,
    invoice,
    organization,
    localstripe_url,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    client = client_for(owner)
    _pay_with_new_card(client, invoice, localstripe_url)
    saved = StripeCustomer.objects.get(organization=organization).payment_method_id
    detached = _detached(monkeypatch)
    later = finalized_invoice(organization, lines=[("Extra seats", 2, Decimal("10"))])

    with django_capture_on_commit_callbacks(execute=True):
        answer, _ = _pay_with_new_card(client, later, localstripe_url, number=CARD_DECLINED)

    assert answer["Location"] == f"/app/northwind/invoices/{later.number}/pay/"
    customer = StripeCustomer.objects.get(organization=organization)
    assert customer.payment_method_id == saved and customer.card_last4 == "4242"
    assert saved not in detached
    # The declined card, never kept, is let go of at Stripe.
    assert detached == [CardPayment.objects.get(invoice=later).payment_method_id]
    # The saved card still pays.
    page = client.get(f"/app/northwind/invoices/{later.number}/pay/")
    client.post(f"/app/northwind/invoices/{later.number}/pay/", {"attempt": attempt_key(page)})
    later.refresh_from_db()
    assert later.status == InvoiceStatus.PAID


def test_a_card_to_keep_replaces_the_saved_card_once_the_bank_confirmed_its_payment(
    client_for,
    owner,
    invoice,
    organization,
    localstripe_url,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    client = client_for(owner)
    _pay_with_new_card(client, invoice, localstripe_url)
    saved = StripeCustomer.objects.get(organization=organization).payment_method_id
    later = finalized_invoice(organization, lines=[("Extra seats", 2, Decimal("10"))])
    answer, _ = _pay_with_new_card(client, later, localstripe_url, number=CARD_3DS)
    waiting = CardPayment.objects.get(invoice=later)
    assert StripeCustomer.objects.get(organization=organization).payment_method_id == saved

    confirm = client.get(answer["Location"])
    bank_confirms(localstripe_url, page_data(confirm, "client-secret"))
    # Stripe fails to detach the replaced card: the new card is kept all the same.
    monkeypatch.setattr(services, "_detach", _stripe_down)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        back = client.get(answer["Location"])

    assert back["Location"] == f"/app/northwind/invoices/{later.number}/"
    assert callbacks, "the replaced card is detached after the commit"
    customer = StripeCustomer.objects.get(organization=organization)
    assert customer.payment_method_id == waiting.payment_method_id != saved
    later.refresh_from_db()
    assert later.status == InvoiceStatus.PAID


def _stripe_down(payment_method_id):
    import stripe

    raise stripe.APIConnectionError("Stripe did not answer.")


def test_reloading_the_pay_page_reuses_its_setup_intent(
    client_for, owner, invoice, localstripe_url
):
    client = client_for(owner)
    url = f"/app/northwind/invoices/{invoice.number}/pay/"

    first, second = client.get(url), client.get(url)

    assert page_data(first, "setup-secret") == page_data(second, "setup-secret")
    assert attempt_key(first) == attempt_key(second)
    # Once the card was entered in it, the SetupIntent is spent: the next view has a
    # new one and, once that attempt was submitted, a new attempt key.
    setup = enter_card(localstripe_url, page_data(second, "setup-secret"), CARD_DECLINED)
    client.post(url, {"attempt": attempt_key(second), "setup_intent": setup})
    third = client.get(url)
    assert page_data(third, "setup-secret") != page_data(second, "setup-secret")
    assert attempt_key(third) != attempt_key(second)
    assert page_data(client.get(url), "setup-secret") == page_data(third, "setup-secret")
