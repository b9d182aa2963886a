"""The organization's admin pages write through portal.services, as the customer's own
pages do: invitations are sent by invitation_create (the email in the outbox) and
revoked by invitation_revoke, an organization is added by organization_create with its
first owner, and deleted by organization_delete, which refuses one that billing or
licensing keeps anything of. A refusal is a message on the page, nothing half-written,
never a 500. Account managers see and change only their own customers there."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.html import escape

from billing.models import BillingDetails
from licensing.api.tokens import api_token_create
from licensing.models import ApiToken, License
from portal.models import Invitation, Membership, Organization, OutboundEmail, Role, User
from tests.factories import InvitationFactory, MembershipFactory, OrganizationFactory, UserFactory
from tests.helpers.licenses import issue
from tests.helpers.locks import needs_row_locks, organization_lock_taken


def _page(organization) -> str:
    return f"/admin/portal/organization/{organization.pk}/change/"


def _organization_form(organization, invitations=(), new=(), **changed) -> dict:
    """The organization page as posted: its members as they are, `invitations` (the
    sent ones, as shown) and `new` rows of (email, role)."""
    memberships = list(organization.memberships.all())
    data = {
        "name": organization.name,
        "slug": organization.slug,
        "memberships-TOTAL_FORMS": str(len(memberships)),
        "memberships-INITIAL_FORMS": str(len(memberships)),
        "invitations-TOTAL_FORMS": str(len(invitations) + len(new)),
        "invitations-INITIAL_FORMS": str(len(invitations)),
    }
    for index, membership in enumerate(memberships):
        prefix = f"memberships-{index}-"
        data |= {
            f"{prefix}id": membership.pk,
            f"{prefix}organization": organization.pk,
            f"{prefix}user": membership.user_id,
            f"{prefix}role": membership.role,
        }
    for index, invitation in enumerate(invitations):
        prefix = f"invitations-{index}-"
        data |= {
            f"{prefix}id": invitation.pk,
            f"{prefix}organization": organization.pk,
            f"{prefix}email": invitation.email,
            f"{prefix}role": invitation.role,
        }
    for index, (email, role) in enumerate(new, start=len(invitations)):
        prefix = f"invitations-{index}-"
        data |= {
            f"{prefix}organization": organization.pk,
            f"{prefix}email": email,
            f"{prefix}role": role,
        }
    return data | changed


def _sent_to(email: str) -> int:
    return OutboundEmail.objects.filter(to=email).count()


# Invitations on the organization page.


@needs_row_locks
def test_an_invitation_added_on_the_organization_page_is_sent(
    admin_client, admin_user, organization, owner
):
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.post(
            _page(organization),
            _organization_form(organization, new=[(" Newcomer@Example.test ", Role.BILLING)]),
        )
    assert response.status_code == 302
    invitation = organization.invitations.get()
    assert (invitation.email, invitation.role, invitation.invited_by) == (
        "newcomer@example.test",
        Role.BILLING,
        admin_user,
    )
    assert invitation.status == Invitation.Status.PENDING
    assert _sent_to("newcomer@example.test") == 1
    assert organization_lock_taken(queries.captured_queries)


@pytest.mark.parametrize("case", ["member", "invited", "invalid"])
def test_a_refused_invitation_is_a_formset_error_and_nothing_is_kept(
    admin_client, organization, owner, case
):
    """The refusal of the last row rolls back the first row's invitation and email and
    the rename: the page is shown again with the reason."""
    pending = InvitationFactory(organization=organization, email="pending@example.test")
    refused, reason = {
        # (Of the organization as renamed in the save, rolled back.)
        "member": (owner.email, f"{owner.email} is already a member of Northwind"),
        "invited": (
            "Pending@Example.test",
            "pending@example.test already has a pending invitation. Revoke it to send a new one.",
        ),
        "invalid": ("not-an-address", "Enter a valid email address."),
    }[case]
    response = admin_client.post(
        _page(organization),
        _organization_form(
            organization,
            invitations=[pending],
            new=[("first@example.test", Role.MEMBER), (refused, Role.OWNER)],
            name="Northwind Renamed",
        ),
    )
    assert response.status_code == 200
    assert escape(reason) in response.content.decode()
    assert list(organization.invitations.all()) == [pending]
    assert OutboundEmail.objects.count() == 0
    assert Organization.objects.get(pk=organization.pk).name == "Northwind"


def test_an_invitation_is_revoked_by_its_box_and_nothing_else_of_it_changes(
    admin_client, organization, owner
):
    pending = InvitationFactory(organization=organization, email="pending@example.test")
    kept = InvitationFactory(organization=organization, email="kept@example.test")
    expires = kept.expires_at
    page = admin_client.get(_page(organization)).content.decode()
    assert 'name="invitations-0-revoke"' in page
    assert 'name="invitations-0-revoked_at' not in page
    forged = {
        # Typed into the other row: none of it is an input any more.
        "invitations-1-email": "someone-else@example.test",
        "invitations-1-role": Role.OWNER,
        "invitations-1-expires_at_0": "2099-01-01",
        "invitations-1-expires_at_1": "00:00:00",
        "invitations-1-revoked_at_0": "2026-01-01",
        "invitations-1-revoked_at_1": "00:00:00",
        "invitations-1-DELETE": "on",
    }
    response = admin_client.post(
        _page(organization),
        _organization_form(organization, invitations=[pending, kept])
        | {"invitations-0-revoke": "on"}
        | forged,
    )
    assert response.status_code == 302
    pending.refresh_from_db()
    kept.refresh_from_db()
    assert pending.status == Invitation.Status.REVOKED
    assert (kept.email, kept.role, kept.expires_at, kept.status) == (
        "kept@example.test",
        Role.MEMBER,
        expires,
        Invitation.Status.PENDING,
    )


def test_an_address_is_revoked_and_invited_again_in_one_save(admin_client, organization, owner):
    pending = InvitationFactory(organization=organization, email="again@example.test")
    response = admin_client.post(
        _page(organization),
        _organization_form(
            organization, invitations=[pending], new=[("again@example.test", Role.OWNER)]
        )
        | {"invitations-0-revoke": "on"},
    )
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == Invitation.Status.REVOKED
    fresh = organization.invitations.exclude(pk=pending.pk).get()
    assert (fresh.email, fresh.role, fresh.status) == (
        "again@example.test",
        Role.OWNER,
        Invitation.Status.PENDING,
    )
    assert _sent_to("again@example.test") == 1


def test_an_expired_invitation_is_replaced_by_a_new_one(admin_client, organization, owner):
    expired = InvitationFactory(
        organization=organization,
        email="late@example.test",
        expires_at=timezone.now() - timedelta(days=1),
    )
    response = admin_client.post(
        _page(organization),
        _organization_form(
            organization, invitations=[expired], new=[("late@example.test", Role.MEMBER)]
        ),
    )
    assert response.status_code == 302
    expired.refresh_from_db()
    assert expired.status == Invitation.Status.REVOKED
    assert organization.invitations.get(revoked_at__isnull=True).status == "pending"
    assert _sent_to("late@example.test") == 1


# Account managers.


def test_an_account_manager_invites_only_to_their_own_customers(
    client_for, account_manager, organization, owner, outsider
):
    """Given every permission: their customer's invitation goes through the service (sent,
    invited by them); another customer's page answers 404 and nothing is sent."""
    account_manager.user_permissions.set(Permission.objects.all())
    client = client_for(User.objects.get(pk=account_manager.pk))
    elsewhere = outsider.memberships.get().organization

    response = client.post(
        _page(elsewhere), _organization_form(elsewhere, new=[("spy@example.test", Role.OWNER)])
    )
    assert response.status_code == 404
    assert not elsewhere.invitations.exists()

    response = client.post(
        _page(organization),
        _organization_form(organization, new=[("colleague@example.test", Role.MEMBER)]),
    )
    assert response.status_code == 302
    invitation = organization.invitations.get()
    assert invitation.invited_by_id == account_manager.pk
    assert _sent_to("colleague@example.test") == 1
    assert _sent_to("spy@example.test") == 0


def test_an_account_manager_reads_invitations_and_adds_none_without_the_permission(
    client_for, account_manager, organization, owner, outsider
):
    pending = InvitationFactory(organization=organization, email="pending@example.test")
    client = client_for(account_manager)
    listing = client.get("/admin/portal/organization/").content.decode()
    assert "Northwind" in listing and "Elsewhere" not in listing
    page = client.get(_page(organization))
    assert page.status_code == 200
    assert "pending@example.test" in page.content.decode()
    assert 'name="invitations-0-revoke"' not in page.content.decode()
    response = client.post(
        _page(organization),
        _organization_form(
            organization, invitations=[pending], new=[("forged@example.test", Role.OWNER)]
        )
        | {"invitations-0-revoke": "on"},
    )
    assert response.status_code == 302
    assert list(organization.invitations.all()) == [pending]
    assert Invitation.objects.get(pk=pending.pk).status == Invitation.Status.PENDING
    assert OutboundEmail.objects.count() == 0


# Adding an organization.


def test_adding_an_organization_names_its_first_owner(admin_client, account_manager):
    person = UserFactory(email="founder@acme.test")
    page = admin_client.get("/admin/portal/organization/add/").content.decode()
    assert 'name="owner"' in page and 'name="slug"' not in page
    assert "memberships-TOTAL_FORMS" not in page
    response = admin_client.post(
        "/admin/portal/organization/add/",
        {"name": "  Acme Rockets ", "owner": person.pk, "account_manager": account_manager.pk},
    )
    assert response.status_code == 302
    acme = Organization.objects.get(slug="acme-rockets")
    assert (acme.name, acme.account_manager) == ("Acme Rockets", account_manager)
    assert list(acme.memberships.values_list("user__email", "role")) == [
        ("founder@acme.test", Role.OWNER)
    ]


def test_an_organization_without_an_owner_is_not_added(admin_client):
    """Posted as the add page was before: name, slug and empty inlines, no owner."""
    response = admin_client.post(
        "/admin/portal/organization/add/",
        {
            "name": "Ownerless",
            "slug": "ownerless",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
            "invitations-TOTAL_FORMS": "0",
            "invitations-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not Organization.objects.filter(name="Ownerless").exists()


def test_an_account_manager_names_no_other_customers_person_as_owner(
    client_for, account_manager, organization, owner, outsider
):
    account_manager.user_permissions.set(Permission.objects.all())
    client = client_for(User.objects.get(pk=account_manager.pk))
    response = client.post(
        "/admin/portal/organization/add/",
        {"name": "Poached", "slug": "poached", "owner": outsider.pk},
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Organization.objects.filter(name="Poached").exists()


# Deleting an organization.


def _delete(client, organization, how: str):
    if how == "page":
        return client.post(f"/admin/portal/organization/{organization.pk}/delete/", {"post": "yes"})
    return client.post(
        "/admin/portal/organization/",
        {"action": "delete_selected", "_selected_action": [organization.pk], "post": "yes"},
    )


@needs_row_locks
@pytest.mark.parametrize("how", ["page", "action"])
def test_an_organization_that_never_bought_is_deleted_with_its_members_and_invitations(
    admin_client, organization, owner, teammate, how
):
    InvitationFactory(organization=organization)
    with CaptureQueriesContext(connection) as queries:
        response = _delete(admin_client, organization, how)
    assert response.status_code == 302
    assert organization_lock_taken(queries.captured_queries)
    assert not Organization.objects.filter(pk=organization.pk).exists()
    assert not Membership.objects.filter(organization_id=organization.pk).exists()
    assert not Invitation.objects.filter(organization_id=organization.pk).exists()
    assert User.objects.filter(pk__in=[owner.pk, teammate.pk]).count() == 2


@pytest.fixture
def kept(request, organization, owner):
    """Something billing or licensing keeps of Northwind: its model and how it is named."""
    if request.param == "license":
        issue(organization, request.getfixturevalue("catalog"))
        return License, "1 license"
    if request.param == "billing details":
        # Deleted with the organization (CASCADE) before: a billing record.
        BillingDetails.objects.create(organization=organization, legal_name="Northwind Ltd")
        return BillingDetails, "1 billing details"
    api_token_create(organization=organization, name="CI", created_by=owner)
    return ApiToken, "1 api token"


@pytest.mark.parametrize("how", ["page", "action"])
@pytest.mark.parametrize("kept", ["license", "billing details", "api token"], indirect=True)
def test_an_organization_billing_or_licensing_keeps_is_not_deleted(
    admin_client, organization, kept, how
):
    model, named = kept
    reason = (
        f"Cannot delete Northwind: billing and licensing keep its {named}, and their records "
        "are never deleted."
    )
    if how == "page":
        confirmation = admin_client.get(f"/admin/portal/organization/{organization.pk}/delete/")
        assert confirmation.status_code == 200
        assert escape(reason) in confirmation.content.decode()
    response = _delete(admin_client, organization, how)
    assert response.status_code == 200
    assert escape(reason) in response.content.decode()
    assert Organization.objects.filter(pk=organization.pk).exists()
    assert organization.memberships.count() == 1
    assert model.objects.filter(organization=organization).count() == 1


def test_deleting_one_of_several_refuses_them_all(admin_client, organization, owner):
    """The action's selection is deleted whole or not at all."""
    spare = OrganizationFactory(name="Spare", slug="spare")
    MembershipFactory(organization=spare, role=Role.OWNER)
    BillingDetails.objects.create(organization=organization)
    response = admin_client.post(
        "/admin/portal/organization/",
        {
            "action": "delete_selected",
            "_selected_action": [organization.pk, spare.pk],
            "post": "yes",
        },
    )
    assert response.status_code == 200
    assert "Cannot delete Northwind" in response.content.decode()
    assert Organization.objects.filter(pk__in=[organization.pk, spare.pk]).count() == 2


@pytest.mark.parametrize("how", ["page", "action"])
def test_what_the_confirmation_missed_is_refused_by_the_service(
    admin_client, organization, owner, monkeypatch, how
):
    """Billing details written between the confirmation and the deletion (the page's
    check made blind to them here): organization_delete, under the lock, refuses; a
    message after a redirect, not a 500, and the billing record is still there."""
    monkeypatch.setattr("portal.admin.organization_deletion_refusal", lambda organization: None)
    BillingDetails.objects.create(organization=organization)
    response = _delete(admin_client, organization, how)
    assert response.status_code == 302
    page = admin_client.get(response["Location"]).content.decode()
    assert escape("Cannot delete Northwind: billing and licensing keep its 1 billing") in page
    assert Organization.objects.filter(pk=organization.pk).exists()
    assert BillingDetails.objects.filter(organization=organization).exists()
    assert organization.memberships.count() == 1


# Changing the organization itself.


@needs_row_locks
def test_renaming_an_organization_goes_through_the_service_under_its_lock(
    admin_client, organization, account_manager
):
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.post(
            _page(organization),
            _organization_form(
                organization, name="  Northwind Labs ", account_manager=account_manager.pk
            ),
        )
    assert response.status_code == 302
    assert organization_lock_taken(queries.captured_queries)
    organization.refresh_from_db()
    assert (organization.name, organization.account_manager) == ("Northwind Labs", account_manager)


def test_an_account_manager_renames_but_keeps_the_slug_and_the_manager(
    client, organization, account_manager
):
    organization.account_manager = account_manager
    organization.save()
    slug = organization.slug
    client.force_login(account_manager)
    response = client.post(
        _page(organization),
        _organization_form(organization, name="Northwind Labs", slug="stolen", account_manager=""),
    )
    assert response.status_code == 302
    organization.refresh_from_db()
    assert (organization.name, organization.slug, organization.account_manager) == (
        "Northwind Labs",
        slug,
        account_manager,
    )
