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
def test_a_card_payment_for_an_invoice_paid_meanwhile_is_recorded_once_as_credit(
    client_for, owner, admin_user, organization, now, stripe_settings, localstripe_url, caplog
):
    """A 3-D Secure card confirmed after staff recorded the bank transfer: the money is
    taken, so it is on record, all of it credit, which pays the next open invoice."""
    from billing.cards import services
    from billing.invoices.selectors import credit_balance
    from billing.models import CreditEntry
    from tests.helpers.invoices import pay_in_full

    invoice = finalized_invoice(organization, lines=[("Team", 1, Decimal("30"))])
    later = finalized_invoice(organization, lines=[("Seats", 1, Decimal("20"))])
    attempt = _started(client_for(owner), invoice, localstripe_url)
    bank_confirms(localstripe_url, intent(localstripe_url, attempt.intent_id)["client_secret"])
    paid = intent(localstripe_url, attempt.intent_id)
    pay_in_full(invoice, reference="TRF-9")
    payload = event_payload("payment_intent.succeeded", paid)

    answer = _post(client_for(owner), payload, signature(payload))
    # Replays (the same event, another event) and the return page change nothing more.
    _post(client_for(owner), payload, signature(payload))
    other = event_payload("payment_intent.succeeded", paid, event_id="evt_again")
    assert _post(client_for(owner), other, signature(other)).status_code == 200
    services.card_payment_check(attempt=attempt)
    back = client_for(owner).get(
        f"/app/northwind/invoices/{invoice.number}/pay/return/?attempt={attempt.attempt_key}"
    )

    assert answer.status_code == 200 and back.status_code == 302
    card = Payment.objects.get(provider="stripe")
    taken = invoice.money("amount_due")
    assert (card.invoice, card.reference, card.money()) == (invoice, paid["id"], taken)
    assert "became credit" in card.reason
    assert sorted(Payment.objects.values_list("reference", flat=True)) == sorted(
        ["TRF-9", paid["id"]]
    )
    # All of it became credit, which paid the later open invoice at once.
    granted = CreditEntry.objects.get(organization=organization, amount=taken.amount)
    assert granted.invoice == invoice
    later.refresh_from_db()
    assert later.status == InvoiceStatus.PAID
    assert credit_balance(organization=organization, currency="USD") == taken - later.money(
        "amount_due"
    )
    attempt.refresh_from_db()
    assert attempt.status == "succeeded"
    receipts = OutboundEmail.objects.filter(subject__startswith="Payment received", to=owner.email)
    card_receipt = [e for e in receipts if paid["id"] in e.body_text]
    assert len(card_receipt) == 1
    assert f"{invoice.number} was already paid" in card_receipt[0].body_text
    assert "became credit" in card_receipt[0].body_text
    assert "became credit" in card_receipt[0].body_html
    assert f"Card payment {paid['id']} succeeded for invoice {invoice.number}" in caplog.text
    # Staff see it among the payments in the admin.
    listed = client_for(admin_user).get("/admin/billing/payment/")
    assert listed.status_code == 200 and paid["id"] in listed.content.decode()


@pytest.mark.django_db
def test_a_card_payment_for_a_voided_invoice_is_recorded_as_credit(
    client_for, owner, organization, now, stripe_settings, localstripe_url
):
    from billing.invoices.selectors import credit_balance
    from billing.invoices.services import invoice_void_with_credit_note

    invoice = finalized_invoice(organization, lines=[("Team", 1, Decimal("30"))])
    paid = _confirmed_intent(client_for(owner), invoice, localstripe_url)
    invoice_void_with_credit_note(invoice=invoice, reason="Issued by mistake.")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.VOID
    before = credit_balance(organization=organization, currency="USD")
    payload = event_payload("payment_intent.succeeded", paid)

    assert _post(client_for(owner), payload, signature(payload)).status_code == 200

    payment = Payment.objects.get(invoice=invoice)
    assert payment.reference == paid["id"]
    assert credit_balance(organization=organization, currency="USD") == before + payment.money()


@pytest.mark.django_db
def test_a_late_failure_report_for_a_paid_attempt_is_ignored_without_an_email(
    client_for, owner, organization, now, stripe_settings, localstripe_url, caplog
):
    invoice = finalized_invoice(organization, lines=[("Team", 1, Decimal("30"))])
    paid = _confirmed_intent(client_for(owner), invoice, localstripe_url)
    succeeded = event_payload("payment_intent.succeeded", paid, event_id="evt_ok")
    assert _post(client_for(owner), succeeded, signature(succeeded)).status_code == 200
    # Stripe's failure of an earlier try of the same intent, delivered late.
    stale = dict(
        paid,
        status="requires_payment_method",
        last_payment_error={"message": "Your card was declined."},
    )
    late = event_payload("payment_intent.payment_failed", stale, event_id="evt_late_fail")

    answer = _post(client_for(owner), late, signature(late))

    assert answer.status_code == 200
    attempt = CardPayment.objects.get(invoice=invoice)
    assert attempt.status == "succeeded" and attempt.failure_message == ""
    assert not OutboundEmail.objects.filter(subject__startswith="Card payment failed").exists()
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert "is ignored" in caplog.text


def _malformed_bodies():
    good = {
        "id": "pi_123",
        "object": "payment_intent",
        "status": "succeeded",
        "metadata": {"tierwise_invoice": "1", "tierwise_attempt": "k"},
    }
    event = {"id": "evt_bad", "object": "event", "type": "payment_intent.succeeded"}
    huge = dict(good, metadata={"tierwise_invoice": "9" * 40, "tierwise_attempt": "k"})
    huge_number = dict(good, metadata={"tierwise_invoice": 10**30, "tierwise_attempt": "k"})
    digits = dict(good, metadata={"tierwise_invoice": "\u00b2", "tierwise_attempt": "k"})
    return {
        "no data": json.dumps(event),
        "object without id": json.dumps(
            dict(event, data={"object": {k: v for k, v in good.items() if k != "id"}})
        ),
        "object is a string": json.dumps(dict(event, data={"object": "pi_123"})),
        "a JSON array": json.dumps([dict(event, data={"object": good})]),
        "a huge invoice number": json.dumps(dict(event, data={"object": huge})),
        "a huge invoice number, unquoted": json.dumps(dict(event, data={"object": huge_number})),
        "a superscript digit": json.dumps(dict(event, data={"object": digits})),
        "metadata is a string": json.dumps(dict(event, data={"object": dict(good, metadata="x")})),
        "no event id": json.dumps(
            {k: v for k, v in dict(event, data={"object": good}).items() if k != "id"}
        ),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("case", list(_malformed_bodies()))
def test_a_signed_but_malformed_event_is_refused_and_logged(client, stripe_settings, caplog, case):
    body = _malformed_bodies()[case]

    answer = _post(client, body, signature(body))

    assert answer.status_code == 400
    assert answer.content.startswith(b"Refused: ")
    assert "Stripe webhook" in caplog.text and "refused" in caplog.text
    assert not StripeEvent.objects.exists()
