"""What a customer's browser and Stripe do in a card payment, for tests without a
browser: entering a card through Stripe.js (localstripe's confirmCardSetup, as its fake
Stripe.js calls it), the bank's confirmation (3-D Secure), and Stripe's signed webhook
events."""

import hashlib
import hmac
import json
import re
import time

import requests

from tests.fixtures.stripe import WEBHOOK_SECRET

CARD_OK = "4242424242424242"
# Attaches, then every charge is declined.
CARD_DECLINED = "4000000000000341"
# Asks for the bank's confirmation (3-D Secure) on each payment.
CARD_3DS = "4000002760003184"


def page_data(response, name: str) -> str:
    match = re.search(rf'data-{name}="([^"]*)"', response.content.decode())
    assert match, f"no data-{name} on the page"
    return match.group(1)


def attempt_key(response) -> str:
    match = re.search(r'name="attempt" value="([^"]+)"', response.content.decode())
    assert match, "no attempt key on the page"
    return match.group(1)


def enter_card(localstripe_url: str, setup_secret: str, number: str = CARD_OK) -> str:
    """What Stripe.js does with the card form: confirms the SetupIntent at Stripe with
    the card. Returns the SetupIntent's id, which the form then posts."""
    setup_id = setup_secret.split("_secret_")[0]
    answer = requests.post(
        f"{localstripe_url}/v1/setup_intents/{setup_id}/confirm",
        data=json.dumps(
            {
                "key": "pk_test_tierwise",
                "use_stripe_sdk": True,
                "client_secret": setup_secret,
                "payment_method_data": {
                    "type": "card",
                    "card": {"number": number, "exp_month": "12", "exp_year": "2031", "cvc": "123"},
                },
            }
        ),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    if answer.json()["status"] == "requires_action":
        # The bank's confirmation of the card, which Stripe.js shows (3-D Secure cards).
        answer = requests.post(
            f"{localstripe_url}/v1/setup_intents/{setup_id}/confirm",
            data=json.dumps(
                {"key": "pk_test_tierwise", "use_stripe_sdk": True, "client_secret": setup_secret}
            ),
            timeout=10,
        )
        assert answer.json()["status"] == "succeeded", answer.text
    return setup_id


def bank_confirms(localstripe_url: str, client_secret: str, success: bool = True) -> dict:
    """The bank's 3-D Secure answer, as localstripe's confirmCardPayment sends it."""
    intent_id = client_secret.split("_secret_")[0]
    answer = requests.post(
        f"{localstripe_url}/v1/payment_intents/{intent_id}/_authenticate"
        f"?success={'true' if success else 'false'}",
        data=json.dumps({"key": "pk_test_tierwise", "client_secret": client_secret}),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def intent(localstripe_url: str, intent_id: str) -> dict:
    answer = requests.get(
        f"{localstripe_url}/v1/payment_intents/{intent_id}",
        auth=("sk_test_tierwise", ""),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def intents_of(localstripe_url: str, attempt: str) -> list[dict]:
    """Every PaymentIntent at Stripe made for one attempt (by its metadata). Reads every
    page: a shared localstripe keeps the intents of every earlier run."""
    made, after = [], ""
    while True:
        answer = requests.get(
            f"{localstripe_url}/v1/payment_intents?limit=100{after}",
            auth=("sk_test_tierwise", ""),
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        page = answer.json()
        made += [i for i in page["data"] if i["metadata"].get("tierwise_attempt") == attempt]
        if not page.get("has_more") or not page["data"]:
            return made
        after = f"&starting_after={page['data'][-1]['id']}"


def event_payload(event_type: str, obj: dict, event_id: str = "evt_test_1") -> str:
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": event_type,
            "created": int(time.time()),
            "data": {"object": obj},
        }
    )


def signature(payload: str, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    """The Stripe-Signature header Stripe sends with `payload`."""
    at = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{at}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"
