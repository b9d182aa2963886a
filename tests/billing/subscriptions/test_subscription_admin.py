"""Subscriptions in the admin: read-only, with their ledger and history. (Account
managers' scoping is walked for every admin in tests/portal/test_admin_scoping.py.)"""

import pytest
from django.contrib.auth.models import Permission

from billing.subscriptions.services import subscription_create
from tests.factories import OrganizationFactory, UserFactory
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
    assert "Purchased" in page and "Bought." in page
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


def operate(subscription, slug: str) -> str:
    return f"/admin/billing/subscription/{subscription.pk}/operate/{slug}/"


def test_an_admin_turns_auto_renew_off_with_a_reason(admin_client, subscription):
    change_url = f"/admin/billing/subscription/{subscription.pk}/change/"
    page = admin_client.get(change_url).content.decode()
    assert operate(subscription, "auto-renew") in page
    assert operate(subscription, "lock-price") in page

    refused = admin_client.post(operate(subscription, "auto-renew"), {"auto_renew": "off"})
    assert refused.status_code == 200 and "This field is required" in refused.content.decode()
    answer = admin_client.post(
        operate(subscription, "auto-renew"),
        {"auto_renew": "off", "reason": "The customer asked by email."},
        follow=True,
    )

    assert answer.redirect_chain == [(change_url, 302)]
    assert "Set auto-renew on/off: done" in answer.content.decode()
    subscription.refresh_from_db()
    assert subscription.license.auto_renew is False
    event = subscription.events.get(kind="auto_renew_off")
    assert event.reason == "The customer asked by email." and event.after["auto_renew"] is False
    assert subscription.license.events.filter(reason="The customer asked by email.").exists()


def test_mid_term_an_admin_relocks_only_in_the_current_currency_and_cycle(
    admin_client, subscription, now
):
    page = admin_client.get(operate(subscription, "lock-price")).content.decode()
    assert "Mid-term only in the subscription&#x27;s own currency and cycle" in page
    assert 'value="EUR"' not in page and 'value="annual"' not in page

    refused = admin_client.post(
        operate(subscription, "lock-price"),
        {"currency": "EUR", "cycle": "annual", "reason": "Moved to annual in euros."},
    )

    assert refused.status_code == 200 and "Select a valid choice" in refused.content.decode()
    subscription.refresh_from_db()
    assert (subscription.currency_id, subscription.cycle) == ("USD", "monthly")
    assert subscription.events.count() == 1

    answer = admin_client.post(
        operate(subscription, "lock-price"),
        {"currency": "USD", "cycle": "monthly", "reason": "Today's catalog price."},
    )

    assert answer.status_code == 302
    assert subscription.events.get(kind="price_locked").reason == "Today's catalog price."


def test_after_the_term_an_admin_locks_todays_catalog_price_in_another_cycle(
    admin_client, admin_user, subscription, time_machine
):
    time_machine.move_to("2027-01-01T09:00:00Z", tick=False)  # the term ended on 31 Dec
    admin_client.force_login(admin_user)  # a new day, a new session
    page = admin_client.get(operate(subscription, "lock-price")).content.decode()
    assert "catalog prices of Team" in page and "€180.00" in page

    answer = admin_client.post(
        operate(subscription, "lock-price"),
        {"currency": "EUR", "cycle": "annual", "reason": "Moved to annual in euros."},
    )

    assert answer.status_code == 302
    subscription.refresh_from_db()
    assert (subscription.currency_id, subscription.cycle) == ("EUR", "annual")
    event = subscription.events.get(kind="cycle_changed")
    assert event.reason == "Moved to annual in euros." and event.currency_id == "EUR"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"currency": "EUR", "cycle": "weekly", "reason": "x"}, "Select a valid choice"),
        ({"currency": "XXX", "cycle": "annual", "reason": "x"}, "Select a valid choice"),
        ({"currency": "EUR", "cycle": "annual", "reason": " "}, "This field is required"),
    ],
)
def test_bad_input_is_a_form_error_and_changes_nothing(admin_client, subscription, data, message):
    answer = admin_client.post(operate(subscription, "lock-price"), data)

    assert answer.status_code == 200 and message in answer.content.decode()
    assert subscription.events.count() == 1


def test_an_unknown_operation_changes_nothing(admin_client, subscription):
    answer = admin_client.post(operate(subscription, "delete"), {"reason": "x"})
    assert answer.status_code == 302
    assert subscription.events.count() == 1


def test_an_account_manager_of_other_customers_gets_404(client_for, subscription):
    other = UserFactory(is_staff=True)
    other.user_permissions.set(
        Permission.objects.filter(codename__in=["view_subscription", "change_subscription"])
    )
    OrganizationFactory(account_manager=other)
    client = client_for(other)

    data = {"auto_renew": "off", "reason": "x"}
    assert client.get(operate(subscription, "auto-renew")).status_code == 404
    assert client.post(operate(subscription, "auto-renew"), data).status_code == 404
    subscription.refresh_from_db()
    assert subscription.license.auto_renew is True and subscription.events.count() == 1
