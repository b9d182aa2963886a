"""The admin keeps an organization's last owner, as the members page does
(portal.services): neither demoted nor deleted, from the membership's own page, the
delete action or the organization page's inline; nothing is saved and the page says why."""

from django.utils.html import escape

from portal.models import Membership, Role
from portal.services import LAST_OWNER_DEMOTED, LAST_OWNER_REMOVED
from tests.factories import MembershipFactory

INLINE_MESSAGE = (
    "An organization needs at least one owner: the last one can be neither demoted nor "
    "removed. Make someone else an owner first."
)


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
    assert escape(INLINE_MESSAGE) in response.content.decode()
    membership.refresh_from_db()
    assert membership.role == Role.OWNER


def test_the_organization_page_refuses_to_delete_the_last_owner(admin_client, organization, owner):
    membership = owner.memberships.get()
    response = admin_client.post(
        f"/admin/portal/organization/{organization.pk}/change/",
        _organization_form(organization, [membership], **{"memberships-0-DELETE": "on"}),
    )
    assert response.status_code == 200
    assert escape(INLINE_MESSAGE) in response.content.decode()
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
