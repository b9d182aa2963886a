from datetime import datetime
from decimal import Decimal

import pytest
from django.forms.models import model_to_dict

from billing.subscriptions.services import subscription_create, subscription_lock_price
from portal.models import Membership, Role
from tests.factories import MembershipFactory, OrganizationFactory
from tests.helpers.licenses import SYSTEM


@pytest.mark.parametrize(
    "path",
    [
        "/admin/portal/organization/abc/history/",
        "/admin/portal/organization/{pk}/history/abc/",
        "/admin/licensing/tier/abc/history/",
        "/admin/licensing/tierversion/1/history/abc/",
    ],
)
def test_it_answers_a_malformed_history_url_with_404(client_for, admin_user, path):
    organization = OrganizationFactory()
    response = client_for(admin_user).get(path.format(pk=organization.pk))
    assert response.status_code == 404


def test_it_still_shows_the_history_of_a_real_object(client_for, admin_user):
    organization = OrganizationFactory(name="Historic Ltd")
    response = client_for(admin_user).get(f"/admin/portal/organization/{organization.pk}/history/")
    assert response.status_code == 200
    assert "Historic Ltd" in response.content.decode()


def test_it_shows_a_past_version_as_text_not_as_a_form_to_edit(client_for, admin_user):
    organization = OrganizationFactory(name="Historic Ltd")
    organization.name = "Renamed Ltd"
    organization.save()
    first = organization.history.earliest()
    url = f"/admin/portal/organization/{organization.pk}/history/{first.history_id}/"
    page = client_for(admin_user).get(url).content.decode()
    assert "Historic Ltd" in page
    assert 'name="name"' not in page and 'name="created_at_0"' not in page
    assert "datetimeshortcuts" not in page.lower()
    listing = client_for(admin_user).get(f"/admin/portal/organization/{organization.pk}/history/")
    assert "style=" not in listing.content.decode()  # the CSP refuses inline styles


def _revert(client, record, url: str, **changes):
    """POST the history form as simple-history's Revert button would, with every field
    of the historical row (a date and time as the admin's two boxes) and `changes`."""
    data = {}
    for key, value in model_to_dict(record.instance).items():
        if isinstance(value, datetime):
            data[f"{key}_0"], data[f"{key}_1"] = value.date(), value.time()
        else:
            data[key] = "" if value is None else value
    data.update(changes)
    return client.post(url, data, follow=True)


def test_a_view_only_account_manager_cannot_make_a_member_owner_through_history(
    client_for, account_manager, organization, teammate
):
    membership = Membership.objects.get(user=teammate, organization=organization)
    record = membership.history.earliest()
    url = f"/admin/portal/membership/{membership.pk}/history/{record.history_id}/"
    client = client_for(account_manager)
    assert client.get(url).status_code == 200

    response = _revert(client, record, url, role=Role.OWNER)

    assert "History is read-only" in response.content.decode()
    membership.refresh_from_db()
    assert membership.role == Role.MEMBER
    assert membership.history.count() == 1


def test_an_admin_cannot_revert_a_locked_price_around_the_services(admin_client, issued):
    subscription = subscription_create(
        license=issued.license, currency="USD", cycle="monthly", actor=SYSTEM, reason="Bought."
    )
    subscription = subscription_lock_price(
        subscription=subscription, currency="EUR", cycle="annual", actor=SYSTEM, reason="Moved."
    )
    events = subscription.events.count()
    first = subscription.history.earliest()  # USD 19.00 a month
    url = f"/admin/billing/subscription/{subscription.pk}/history/{first.history_id}/"
    page = admin_client.get(url).content.decode()
    assert 'name="_save"' not in page  # no Revert button to offer

    response = _revert(admin_client, first, url)

    assert "History is read-only" in response.content.decode()
    subscription.refresh_from_db()
    assert (subscription.currency_id, subscription.cycle) == ("EUR", "annual")
    assert subscription.unit_amount == Decimal("180.00")
    assert subscription.events.count() == events


@pytest.mark.parametrize("model", ["membership", "organization"])
def test_an_account_manager_gets_404_for_another_customers_past_versions(
    client_for, account_manager, model
):
    elsewhere = MembershipFactory(organization=OrganizationFactory(name="Not Theirs Ltd"))
    record = elsewhere if model == "membership" else elsewhere.organization
    version = record.history.earliest()
    url = f"/admin/portal/{model}/{record.pk}/history/{version.history_id}/"

    response = client_for(account_manager).get(url)

    assert response.status_code == 404
    assert "Not Theirs Ltd" not in response.content.decode()
