"""Subscriptions in the admin: read-only, with their ledger and history. (Account
managers' scoping is walked for every admin in tests/portal/test_admin_scoping.py.)"""

import pytest

from billing.subscriptions.services import subscription_create
from tests.helpers.licenses import SYSTEM


@pytest.fixture
def subscription(issued):
    return subscription_create(
        license=issued.license, currency="USD", cycle="monthly", actor=SYSTEM, reason="Bought."
    )


def test_it_lists_subscriptions_with_their_price(admin_client, subscription):
    page = admin_client.get("/admin/billing/subscription/").content.decode()
    assert "$19.00 per seat a month, from 3 seats" in page
    assert "Northwind" in page


def test_it_shows_one_read_only_with_its_ledger_and_history(admin_client, subscription):
    url = f"/admin/billing/subscription/{subscription.pk}/change/"
    page = admin_client.get(url).content.decode()
    assert "Subscription started" in page and "Bought." in page
    assert 'name="unit_amount"' not in page  # read-only: no input to change the price
    history = admin_client.get(f"/admin/billing/subscription/{subscription.pk}/history/")
    assert history.status_code == 200
    assert admin_client.post(url, {"unit_amount": "1.00"}).status_code == 403
    assert admin_client.get("/admin/billing/subscription/add/").status_code == 403
    subscription.refresh_from_db()
    assert str(subscription.unit_amount) == "19.00"


def test_the_ledger_is_read_only_too(admin_client, subscription):
    event = subscription.events.get()
    page = admin_client.get("/admin/billing/subscriptionevent/").content.decode()
    assert "Bought." in page
    url = f"/admin/billing/subscriptionevent/{event.pk}/delete/"
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert subscription.events.count() == 1
