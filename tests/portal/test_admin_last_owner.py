"""The admin keeps an organization's last owner, as the members page does
(portal.services): neither demoted nor deleted, from the membership's own page, the
delete action, the organization page's inline or the deletion of the person; nothing is
saved and the page says why. The organization page's members are added, changed and
removed through the membership services, under the organization's lock."""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from portal.models import Membership, Organization, Role, User
from portal.services import LAST_OWNER_DEMOTED, LAST_OWNER_REMOVED
from tests.factories import MembershipFactory, UserFactory
from tests.helpers.locks import needs_row_locks, organization_lock_taken


def _membership_form(membership, **changed) -> dict:
    return {
        "user": membership.user_id,
        "organization": membership.organization_id,
        "role": membership.role,
        "created_at_0": "2026-01-01",
        "created_at_1": "09:00:00",
        **changed,
    }


def _organization_form(organization, memberships, **changed) -> dict:
    data = {
        "name": organization.name,
        "slug": organization.slug,
        "memberships-TOTAL_FORMS": str(len(memberships)),
        "memberships-INITIAL_FORMS": str(len(memberships)),
        "invitations-TOTAL_FORMS": "0",
        "invitations-INITIAL_FORMS": "0",
    }
    for index, membership in enumerate(memberships):
        prefix = f"memberships-{index}-"
        data |= {
            f"{prefix}id": membership.pk,
            f"{prefix}organization": organization.pk,
            f"{prefix}user": membership.user_id,
            f"{prefix}role": membership.role,
            f"{prefix}created_at_0": "2026-01-01",
            f"{prefix}created_at_1": "09:00:00",
        }
    return data | changed


def test_it_refuses_to_demote_the_last_owner(admin_client, owner):
    membership = owner.memberships.get()
    response = admin_client.post(
        f"/admin/portal/membership/{membership.pk}/change/",
        _membership_form(membership, role=Role.MEMBER),
    )
    assert response.status_code == 200
    assert escape(LAST_OWNER_DEMOTED) in response.content.decode()
    membership.refresh_from_db()
    assert membership.role == Role.OWNER


def test_a_membership_keeps_its_person_and_organization(admin_client, owner, outsider):
    """Moving the last owner to another organization left this one without an owner:
    a membership's person and organization are read-only once it exists."""
    membership = owner.memberships.get()
    elsewhere = outsider.memberships.get()
    page = admin_client.get(f"/admin/portal/membership/{membership.pk}/change/")
    assert 'name="organization"' not in page.content.decode()
    response = admin_client.post(
        f"/admin/portal/membership/{membership.pk}/change/",
        _membership_form(
            membership, organization=elsewhere.organization_id, user=elsewhere.user_id
        ),
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert (membership.organization.slug, membership.user_id) == ("northwind", owner.pk)


def test_it_demotes_an_owner_when_another_stays(admin_client, owner, organization):
    MembershipFactory(organization=organization, role=Role.OWNER)
    membership = owner.memberships.get()
    response = admin_client.post(
        f"/admin/portal/membership/{membership.pk}/change/",
        _membership_form(membership, role=Role.MEMBER),
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.role == Role.MEMBER


def test_it_refuses_to_delete_the_last_owner(admin_client, owner):
    membership = owner.memberships.get()
    url = f"/admin/portal/membership/{membership.pk}/delete/"
    response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == 200
    page = response.content.decode()
    assert escape(LAST_OWNER_REMOVED) in page
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_the_delete_action_refuses_the_last_owners_together(admin_client, organization, owner):
    second = MembershipFactory(organization=organization, role=Role.OWNER)
    teammate = MembershipFactory(organization=organization, role=Role.MEMBER)
    selected = [owner.memberships.get().pk, second.pk, teammate.pk]
    response = admin_client.post(
        "/admin/portal/membership/",
        {"action": "delete_selected", "_selected_action": selected, "post": "yes"},
    )
    assert response.status_code == 200
    assert escape(LAST_OWNER_REMOVED) in response.content.decode()
    assert Membership.objects.filter(pk__in=selected).count() == 3


def test_the_delete_action_removes_an_owner_when_another_stays(admin_client, organization, owner):
    second = MembershipFactory(organization=organization, role=Role.OWNER)
    response = admin_client.post(
        "/admin/portal/membership/",
        {"action": "delete_selected", "_selected_action": [second.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=second.pk).exists()
    assert owner.memberships.get().role == Role.OWNER


def test_the_organization_page_refuses_to_demote_the_last_owner(admin_client, organization, owner):
    membership = owner.memberships.get()
    response = admin_client.post(
        f"/admin/portal/organization/{organization.pk}/change/",
        _organization_form(organization, [membership], **{"memberships-0-role": Role.MEMBER}),
    )
    assert response.status_code == 200
    assert escape(f"{owner}: {LAST_OWNER_DEMOTED}") in response.content.decode()
    membership.refresh_from_db()
    assert membership.role == Role.OWNER


def test_the_organization_page_refuses_to_delete_the_last_owner(admin_client, organization, owner):
    membership = owner.memberships.get()
    response = admin_client.post(
        f"/admin/portal/organization/{organization.pk}/change/",
        _organization_form(organization, [membership], **{"memberships-0-DELETE": "on"}),
    )
    assert response.status_code == 200
    assert escape(f"{owner}: {LAST_OWNER_REMOVED}") in response.content.decode()
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_the_organization_page_swaps_owners_in_one_save(admin_client, organization, owner):
    membership = owner.memberships.get()
    teammate = MembershipFactory(organization=organization, role=Role.MEMBER)
    response = admin_client.post(
        f"/admin/portal/organization/{organization.pk}/change/",
        _organization_form(
            organization,
            [membership, teammate],
            **{"memberships-0-role": Role.MEMBER, "memberships-1-role": Role.OWNER},
        ),
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    teammate.refresh_from_db()
    assert (membership.role, teammate.role) == (Role.MEMBER, Role.OWNER)


def test_the_organization_page_keeps_each_members_person_and_joining_date(
    admin_client, organization, owner, outsider
):
    """Another person on the last owner's row was the owner removed without the service."""
    membership = owner.memberships.get()
    joined = membership.created_at
    response = admin_client.post(
        f"/admin/portal/organization/{organization.pk}/change/",
        _organization_form(
            organization,
            [membership],
            **{
                "memberships-0-user": outsider.pk,
                "memberships-0-created_at_0": "2020-01-01",
                "memberships-0-created_at_1": "00:00:00",
            },
        ),
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert (membership.user, membership.role, membership.created_at) == (owner, Role.OWNER, joined)
    assert not outsider.memberships.filter(organization=organization).exists()


def test_a_refused_members_save_keeps_nothing_of_it(admin_client, organization, owner):
    """The newcomer is added before the last owner's removal is refused: the service's
    reason is shown on the page and the whole save, the rename too, is rolled back."""
    membership = owner.memberships.get()
    newcomer = UserFactory()
    data = _organization_form(
        organization,
        [membership],
        name="Northwind Renamed",
        **{"memberships-0-DELETE": "on"},
    ) | {
        "memberships-TOTAL_FORMS": "2",
        "memberships-1-organization": organization.pk,
        "memberships-1-user": newcomer.pk,
        "memberships-1-role": Role.MEMBER,
    }
    response = admin_client.post(f"/admin/portal/organization/{organization.pk}/change/", data)
    assert response.status_code == 200
    assert escape(f"{owner}: {LAST_OWNER_REMOVED}") in response.content.decode()
    assert list(organization.memberships.values_list("user", "role")) == [(owner.pk, Role.OWNER)]
    assert Organization.objects.get(pk=organization.pk).name == "Northwind"


@needs_row_locks
@pytest.mark.parametrize("change", ["add", "role", "remove"])
def test_the_organization_page_changes_members_under_the_organizations_lock(
    admin_client, organization, owner, change
):
    second = MembershipFactory(organization=organization, role=Role.OWNER)
    memberships = [owner.memberships.get(), second]
    changes = {
        "add": {
            "memberships-TOTAL_FORMS": "3",
            "memberships-2-organization": organization.pk,
            "memberships-2-user": UserFactory(email="newcomer@northwind.test").pk,
            "memberships-2-role": Role.BILLING,
            "memberships-2-created_at_0": "2026-01-01",
            "memberships-2-created_at_1": "09:00:00",
        },
        "role": {"memberships-1-role": Role.MEMBER},
        "remove": {"memberships-1-DELETE": "on"},
    }
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.post(
            f"/admin/portal/organization/{organization.pk}/change/",
            _organization_form(organization, memberships) | changes[change],
        )
    assert response.status_code == 302
    assert organization_lock_taken(queries.captured_queries)
    people = dict(organization.memberships.values_list("user__email", "role"))
    expected = {
        "add": {owner.email: Role.OWNER, second.user.email: Role.OWNER}
        | {"newcomer@northwind.test": Role.BILLING},
        "role": {owner.email: Role.OWNER, second.user.email: Role.MEMBER},
        "remove": {owner.email: Role.OWNER},
    }
    assert people == expected[change]


def test_an_account_manager_adds_no_other_customers_person(
    client_for, account_manager, organization, owner, outsider
):
    """Given every permission, an account manager adds people as on the membership's
    page: only those of their own customers; a forged choice is refused."""
    account_manager.user_permissions.set(Permission.objects.all())
    client = client_for(User.objects.get(pk=account_manager.pk))
    membership = owner.memberships.get()
    data = _organization_form(organization, [membership]) | {
        "memberships-TOTAL_FORMS": "2",
        "memberships-1-organization": organization.pk,
        "memberships-1-user": outsider.pk,
        "memberships-1-role": Role.OWNER,
    }
    response = client.post(f"/admin/portal/organization/{organization.pk}/change/", data)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not outsider.memberships.filter(organization=organization).exists()


def test_deleting_the_last_owner_is_refused_naming_the_organization(admin_client, owner):
    url = f"/admin/portal/user/{owner.pk}/delete/"
    page = admin_client.get(url)
    assert page.status_code == 200
    assert "the last owner of Northwind" in page.content.decode()
    response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == 200
    refusal = f"Cannot delete {owner}: the last owner of Northwind."
    assert escape(refusal) in response.content.decode()
    assert User.objects.filter(pk=owner.pk).exists()
    assert owner.memberships.get().role == Role.OWNER


def test_the_delete_action_refuses_the_last_owners_of_an_organization_together(
    admin_client, organization, owner, teammate
):
    """Each of the two owners alone could go; deleting both together leaves none."""
    second = MembershipFactory(organization=organization, role=Role.OWNER).user
    selected = [owner.pk, second.pk, teammate.pk]
    response = admin_client.post(
        "/admin/portal/user/",
        {"action": "delete_selected", "_selected_action": selected, "post": "yes"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert escape(f"Cannot delete {owner}: the last owner of Northwind.") in page
    assert escape(f"Cannot delete {second}: the last owner of Northwind.") in page
    assert User.objects.filter(pk__in=selected).count() == 3
    assert organization.memberships.count() == 3


@needs_row_locks
@pytest.mark.parametrize("how", ["page", "action"])
def test_deleting_a_person_removes_their_memberships_under_the_lock(
    admin_client, organization, owner, outsider, how
):
    """An owner who is not the last leaves each organization through membership_remove."""
    second = MembershipFactory(organization=organization, role=Role.OWNER).user
    MembershipFactory(organization=outsider.memberships.get().organization, user=second)
    with CaptureQueriesContext(connection) as queries:
        if how == "page":
            response = admin_client.post(f"/admin/portal/user/{second.pk}/delete/", {"post": "yes"})
        else:
            response = admin_client.post(
                "/admin/portal/user/",
                {"action": "delete_selected", "_selected_action": [second.pk], "post": "yes"},
            )
    assert response.status_code == 302
    assert organization_lock_taken(queries.captured_queries)
    assert not User.objects.filter(pk=second.pk).exists()
    assert not Membership.objects.filter(user_id=second.pk).exists()
    assert owner.memberships.get().role == Role.OWNER
