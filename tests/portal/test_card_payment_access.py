"""Who may pay by card: owners and billing admins; a member gets 403 and sees no "Pay
now"; an outsider gets 404 on every card payment URL; an anonymous visitor is sent to
log in. None of these reaches Stripe."""

from decimal import Decimal

import pytest

from billing.models import CardPayment
from tests.helpers.invoices import finalized_invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoice(organization, now):
    return finalized_invoice(organization, lines=[("Team", 1, Decimal("50"))])


def _urls(invoice):
    base = f"/app/northwind/invoices/{invoice.number}"
    return [f"{base}/pay/", f"{base}/pay/return/?attempt=abc", "/app/northwind/card/remove/"]


def test_an_outsider_gets_404_on_every_card_payment_url(client_for, outsider, invoice):
    client = client_for(outsider)
    for url in _urls(invoice):
        for answer in (client.get(url), client.post(url, {"attempt": "abc"})):
            assert answer.status_code in (404, 405), url
            assert "Northwind" not in answer.content.decode()
    assert not CardPayment.objects.exists()


def test_a_member_cannot_pay_nor_sees_pay_now(client_for, teammate, invoice):
    client = client_for(teammate)
    for url in _urls(invoice):
        statuses = {client.get(url).status_code, client.post(url, {"attempt": "a"}).status_code}
        assert statuses <= {403, 405} and 403 in statuses, url
    done = client.get(f"/app/northwind/invoices/{invoice.number}/")
    assert done.status_code == 403
    assert not CardPayment.objects.exists()


def test_an_anonymous_visitor_is_sent_to_log_in(client, invoice):
    answer = client.get(f"/app/northwind/invoices/{invoice.number}/pay/")
    assert answer.status_code == 302 and answer["Location"].startswith("/accounts/login/")


def test_without_stripe_keys_no_invoice_offers_pay_now(client_for, owner, invoice, settings):
    settings.STRIPE_API_KEY = ""
    client = client_for(owner)
    page = client.get(f"/app/northwind/invoices/{invoice.number}/")
    assert page.status_code == 200 and b"Pay now" not in page.content
    answer = client.get(f"/app/northwind/invoices/{invoice.number}/pay/")
    assert answer["Location"] == f"/app/northwind/invoices/{invoice.number}/"


def test_a_paid_invoice_has_nothing_to_pay(client_for, owner, invoice):
    from tests.helpers.invoices import pay_in_full

    pay_in_full(invoice)
    client = client_for(owner)
    page = client.get(f"/app/northwind/invoices/{invoice.number}/")
    assert b"Pay now" not in page.content
    answer = client.post(f"/app/northwind/invoices/{invoice.number}/pay/", {"attempt": "a"})
    assert answer["Location"] == f"/app/northwind/invoices/{invoice.number}/"


def test_the_webhook_refuses_an_unsigned_post_without_touching_anything(client, caplog):
    answer = client.post("/stripe/webhook/", "{}", content_type="application/json")
    assert answer.status_code == 400
    assert "Stripe webhook refused" in caplog.text
    assert client.get("/stripe/webhook/").status_code == 405


def test_stripe_unreachable_is_a_503_with_the_bank_transfer_not_a_500(
    client_for, owner, invoice, settings
):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    answer = client_for(owner).get(f"/app/northwind/invoices/{invoice.number}/pay/")
    assert answer.status_code == 503
    assert b"Card payments are unavailable right now" in answer.content
    assert b"card-form" not in answer.content
