"""Checkouts and scheduled changes in the admin, and the job that records abandoned
checkouts."""

from datetime import timedelta

import time_machine
from django.contrib.auth.models import Group

from billing.checkout.tasks import abandon_stale_checkouts
from billing.models import Checkout, CheckoutEvent, CheckoutStatus, ScheduledChangeStatus
from portal.models import ACCOUNT_MANAGERS_GROUP
from tests.factories import OrganizationFactory, UserFactory
from tests.helpers.checkout import confirm, preview, subscribed


def _downgrade(organization, catalog, owner):
    license = subscribed(organization, catalog, "business", seats=12)
    _, checkout = confirm(organization, license, owner, tier="team", seats=8, cycle="monthly")
    return checkout.scheduled_change


def test_an_admin_cancels_a_scheduled_change_with_a_reason(
    organization, catalog, owner, client_for, admin_user
):
    change = _downgrade(organization, catalog, owner)
    client = client_for(admin_user)
    page = client.get(f"/admin/billing/scheduledchange/{change.pk}/change/")
    url = f"/admin/billing/scheduledchange/{change.pk}/cancel/"
    assert page.status_code == 200 and url in page.content.decode()

    refused = client.post(url, {"reason": ""})
    assert refused.status_code == 200 and "This field is required" in refused.content.decode()
    change.refresh_from_db()
    assert change.status == ScheduledChangeStatus.SCHEDULED

    assert client.post(url, {"reason": "Customer phoned: keep Business."}).status_code == 302
    change.refresh_from_db()
    assert change.status == ScheduledChangeStatus.CANCELED
    assert (change.close_reason, change.closed_by) == (
        "Customer phoned: keep Business.",
        admin_user,
    )
    # Not offered twice.
    page = client.get(f"/admin/billing/scheduledchange/{change.pk}/change/")
    assert url not in page.content.decode()


def test_the_checkout_admin_shows_steps_but_not_the_token(
    organization, catalog, owner, client_for, admin_user
):
    license = subscribed(organization, catalog, seats=5)
    _, checkout = confirm(organization, license, owner, tier="team", seats=6, cycle="monthly")
    page = client_for(admin_user).get(f"/admin/billing/checkout/{checkout.pk}/change/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Confirmed" in html and checkout.token not in html


def test_an_account_manager_of_other_customers_gets_404(organization, catalog, owner, client_for):
    change = _downgrade(organization, catalog, owner)
    stranger = UserFactory(is_staff=True)
    stranger.groups.add(Group.objects.get(name=ACCOUNT_MANAGERS_GROUP))
    OrganizationFactory(account_manager=stranger)
    client = client_for(stranger)
    for path in ("change", "cancel"):
        url = f"/admin/billing/scheduledchange/{change.pk}/{path}/"
        assert client.get(url).status_code == 404
    assert client.post(url, {"reason": "Mine now"}).status_code == 404
    change.refresh_from_db()
    assert change.status == ScheduledChangeStatus.SCHEDULED


def test_open_checkouts_are_abandoned_after_a_day_once(organization, catalog, owner, now):
    license = subscribed(organization, catalog, seats=5)
    left = preview(organization, license, owner, tier="team", seats=7, cycle="monthly").checkout
    _, done = confirm(organization, license, owner, tier="team", seats=6, cycle="monthly")
    with time_machine.travel(now + timedelta(hours=23), tick=False):
        assert abandon_stale_checkouts.apply().get() == 0
    with time_machine.travel(now + timedelta(hours=25), tick=False):
        assert abandon_stale_checkouts.apply().get() == 1
        assert abandon_stale_checkouts.apply().get() == 0  # a duplicate tick
    left.refresh_from_db()
    done.refresh_from_db()
    assert left.status == CheckoutStatus.ABANDONED
    assert done.status == CheckoutStatus.CONFIRMED
    assert CheckoutEvent.objects.filter(checkout=left, step="abandoned").count() == 1
    assert Checkout.objects.filter(status=CheckoutStatus.ABANDONED).count() == 1
