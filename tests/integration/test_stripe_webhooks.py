"""Stripe's webhook: verified by signature, acted on once per event, reconciled into the
append-only payments; tampered, unsigned, unknown-type and unknown-intent events are
refused (400) and logged. The last test has localstripe itself deliver the event to a
live server, as Stripe would."""

import json
import time
from decimal import Decimal

import pytest

from billing.models import CardPayment, InvoiceStatus, Payment, StripeEvent
from portal.models import OutboundEmail
from tests.fixtures.stripe import localstripe_webhooks_to
from tests.helpers.cards import (
    CARD_3DS,
    CARD_DECLINED,
    attempt_key,
    bank_confirms,
    enter_card,
    event_payload,
    intent,
    page_data,
    signature,
)
from tests.helpers.invoices import finalized_invoice

WEBHOOK = "/stripe/webhook/"


def _started(client, invoice, localstripe_url, number=CARD_3DS) -> CardPayment:
    """A card payment started on the pay page, waiting for the bank's confirmation."""
    url = f"/app/northwind/invoices/{invoice.number}/pay/"
    page = client.get(url)
    setup = enter_card(localstripe_url, page_data(page, "setup-secret"), number)
    client.post(url, {"attempt": attempt_key(page), "setup_intent": setup})
    return CardPayment.objects.get(invoice=invoice)


def _confirmed_intent(client, invoice, localstripe_url) -> dict:
    """The intent of a card payment the bank confirmed at Stripe, before any report of
    it reached us."""
    attempt = _started(client, invoice, localstripe_url)
    bank_confirms(localstripe_url, intent(localstripe_url, attempt.intent_id)["client_secret"])
    paid = intent(localstripe_url, attempt.intent_id)
    assert paid["status"] == "succeeded"
    return paid


def _post(client, payload: str, header: str | None):
    headers = {} if header is None else {"HTTP_STRIPE_SIGNATURE": header}
    return client.post(WEBHOOK, payload, content_type="application/json", **headers)


@pytest.mark.django_db
class TestSignedEvents:
    @pytest.fixture
    def invoice(self, organization, now, stripe_settings):
        return finalized_invoice(organization, lines=[("Team", 3, Decimal("20"))])

    def test_a_valid_event_records_the_payment_and_the_same_event_twice_records_one(
        self, client_for, owner, invoice, localstripe_url
    ):
        paid = _confirmed_intent(client_for(owner), invoice, localstripe_url)
        payload = event_payload("payment_intent.succeeded", paid, event_id="evt_paid_1")

        first = _post(client_for(owner), payload, signature(payload))
        second = _post(client_for(owner), payload, signature(payload))

        assert (first.status_code, first.content) == (200, b"Processed.")
        assert (second.status_code, second.content) == (200, b"Already processed.")
        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.PAID
        payment = Payment.objects.get(invoice=invoice)
        assert (payment.provider, payment.reference) == ("stripe", paid["id"])
        assert payment.amount == Decimal("60.00")
        # Another delivery of the same payment (a new event id) records nothing more.
        other = event_payload("payment_intent.succeeded", paid, event_id="evt_paid_2")
        assert _post(client_for(owner), other, signature(other)).status_code == 200
        assert Payment.objects.filter(invoice=invoice).count() == 1

    def test_a_tampered_event_is_refused_logged_and_changes_nothing(
        self, client_for, owner, invoice, localstripe_url, caplog
    ):
        paid = _confirmed_intent(client_for(owner), invoice, localstripe_url)
        payload = event_payload("payment_intent.succeeded", paid)
        header = signature(payload)
        tampered = payload.replace(str(paid["amount"]), str(paid["amount"] * 10))

        answers = [
            _post(client_for(owner), tampered, header),
            _post(client_for(owner), payload, None),
            _post(client_for(owner), payload, signature(payload, secret="whsec_someone_else")),
            _post(client_for(owner), payload, signature(payload, at=int(time.time()) - 3600)),
        ]

        assert [a.status_code for a in answers] == [400, 400, 400, 400]
        assert "Stripe webhook refused" in caplog.text
        assert not Payment.objects.exists() and not StripeEvent.objects.exists()
        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.OPEN

    def test_an_unknown_event_type_or_intent_is_refused_and_logged(
        self, client_for, owner, invoice, localstripe_url, caplog
    ):
        paid = _confirmed_intent(client_for(owner), invoice, localstripe_url)
        unknown_type = event_payload("charge.refunded", paid, event_id="evt_a")
        stranger = dict(paid, id="pi_not_ours", metadata={})
        unknown_intent = event_payload("payment_intent.succeeded", stranger, event_id="evt_b")

        answers = [
            _post(client_for(owner), body, signature(body))
            for body in (unknown_type, unknown_intent, "not json")
        ]

        assert [a.status_code for a in answers] == [400, 400, 400]
        assert "'charge.refunded' is not one Tierwise acts on" in caplog.text
        assert "pi_not_ours is not one of Tierwise's card payments" in caplog.text
        assert not Payment.objects.exists() and not StripeEvent.objects.exists()

    def test_a_payment_failed_event_emails_the_failure_once(
        self, client_for, owner, invoice, localstripe_url
    ):
        attempt = _started(client_for(owner), invoice, localstripe_url)
        bank_confirms(
            localstripe_url, intent(localstripe_url, attempt.intent_id)["client_secret"], False
        )
        failed = intent(localstripe_url, attempt.intent_id)
        subject = f"Card payment failed for invoice {invoice.number}"

        for event_id in ("evt_fail_1", "evt_fail_1", "evt_fail_2"):
            body = event_payload("payment_intent.payment_failed", failed, event_id=event_id)
            assert _post(client_for(owner), body, signature(body)).status_code == 200

        assert OutboundEmail.objects.filter(subject=subject).count() == 1
        attempt.refresh_from_db()
        assert attempt.status == "failed"
        assert "authentication" in attempt.failure_message


@pytest.mark.django_db(transaction=True)
def test_localstripe_delivers_its_signed_events_to_the_site(
    live_server, client_for, owner, organization, stripe_settings, localstripe_url
):
    localstripe_webhooks_to(localstripe_url, f"{live_server.url}{WEBHOOK}")
    client = client_for(owner)
    invoice = finalized_invoice(organization, lines=[("Team", 1, Decimal("40"))])
    declined = finalized_invoice(organization, lines=[("Seats", 1, Decimal("15"))])

    # Confirmed at the bank, never returned to the site: only the webhook tells us.
    _confirmed_intent(client, invoice, localstripe_url)
    _started(client, declined, localstripe_url, number=CARD_DECLINED)

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and StripeEvent.objects.count() < 2:
        time.sleep(0.2)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert Payment.objects.get(invoice=invoice).provider == "stripe"
    assert sorted(StripeEvent.objects.values_list("type", flat=True)) == [
        "payment_intent.payment_failed",
        "payment_intent.succeeded",
    ]
    # The pay form saw the decline first and emailed it; the webhook did not again.
    subject = f"Card payment failed for invoice {declined.number}"
    assert OutboundEmail.objects.filter(subject=subject).count() == 1
    assert json.loads(json.dumps(list(Payment.objects.values_list("reference", flat=True))))


@pytest.mark.django_db
def test_a_card_payment_for_an_invoice_paid_meanwhile_is_not_applied_and_is_logged(
    client_for, owner, organization, now, stripe_settings, localstripe_url, caplog
):
    from tests.helpers.invoices import pay_in_full

    invoice = finalized_invoice(organization, lines=[("Team", 1, Decimal("30"))])
    paid = _confirmed_intent(client_for(owner), invoice, localstripe_url)
    pay_in_full(invoice, reference="TRF-9")
    payload = event_payload("payment_intent.succeeded", paid)

    answer = _post(client_for(owner), payload, signature(payload))

    assert answer.status_code == 200
    assert list(Payment.objects.values_list("reference", flat=True)) == ["TRF-9"]
    assert f"Card payment {paid['id']} succeeded for invoice {invoice.number}" in caplog.text
