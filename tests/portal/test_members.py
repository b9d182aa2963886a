import pytest

from portal.models import Invitation, Membership, Organization, Role
from tests.factories import InvitationFactory, MembershipFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

MEMBERS = "/app/northwind/members/"
HTMX = {"HTTP_HX_REQUEST": "true"}


def membership_of(user) -> Membership:
    return Membership.objects.get(user=user, organization__slug="northwind")


def role_url(membership: Membership) -> str:
    return f"/app/northwind/members/{membership.pk}/role/"


def remove_url(membership: Membership) -> str:
    return f"/app/northwind/members/{membership.pk}/remove/"


def test_it_shows_the_members_and_pending_invitations(client_for, owner, teammate):
    InvitationFactory(organization=owner.memberships.get().organization, email="new@example.com")
    page = client_for(teammate).get(MEMBERS).content.decode()
    assert owner.display_name in page
    assert teammate.display_name in page
    assert "new@example.com" in page


def test_it_shows_owners_the_management_forms(client_for, owner, teammate):
    page = client_for(owner).get(MEMBERS).content.decode()
    assert 'action="/app/northwind/members/invite/"' in page
    assert f'action="{role_url(membership_of(teammate))}"' in page
    assert f'action="{remove_url(membership_of(teammate))}"' in page


@pytest.mark.parametrize("persona", ["billing_admin", "teammate"])
def test_it_shows_no_management_forms_to_non_owners(client_for, owner, request, persona):
    user = request.getfixturevalue(persona)
    invitation = InvitationFactory(
        organization=membership_of(owner).organization, email="new@example.com"
    )
    page = client_for(user).get(MEMBERS).content.decode()
    assert "Only owners can invite people or change roles." in page
    assert "/members/invite/" not in page
    assert "/role/" not in page
    assert "/remove/" not in page
    assert f"/invitations/{invitation.pk}/revoke/" not in page


@pytest.mark.parametrize("persona", ["billing_admin", "teammate"])
def test_it_forbids_non_owners_to_manage_members(client_for, owner, request, persona):
    user = request.getfixturevalue(persona)
    owner_membership = membership_of(owner)
    invitation = InvitationFactory(organization=owner_membership.organization)
    client = client_for(user)

    attempts = [
        ("/app/northwind/members/invite/", {"email": "x@example.com", "role": Role.OWNER}),
        (role_url(membership_of(user)), {"role": Role.OWNER}),
        (role_url(owner_membership), {"role": Role.MEMBER}),
        (remove_url(owner_membership), {}),
        (f"/app/northwind/invitations/{invitation.pk}/revoke/", {}),
        ("/app/northwind/settings/", {"name": "Taken over"}),
    ]
    for url, data in attempts:
        assert client.post(url, data).status_code == 403, url

    assert client.get("/app/northwind/settings/").status_code == 403
    assert membership_of(user).role != Role.OWNER
    assert membership_of(owner).role == Role.OWNER
    assert Invitation.objects.get().status == Invitation.Status.PENDING
    assert Invitation.objects.count() == 1
    assert Organization.objects.get(slug="northwind").name == "Northwind"


@pytest.mark.parametrize(
    ("role", "said"),
    [(Role.BILLING, "a billing admin"), (Role.OWNER, "an owner"), (Role.MEMBER, "a member")],
)
def test_it_changes_a_role(client_for, owner, teammate, role, said):
    client = client_for(owner)
    if role == Role.MEMBER:
        Membership.objects.filter(user=teammate).update(role=Role.BILLING)
    response = client.post(role_url(membership_of(teammate)), {"role": role})
    assert response.status_code == 302
    assert response["Location"] == MEMBERS
    assert membership_of(teammate).role == role
    page = client.get(MEMBERS).content.decode()
    assert f"{teammate.display_name} is now {said}." in page


def test_it_refuses_an_unknown_role(client_for, owner, teammate):
    response = client_for(owner).post(role_url(membership_of(teammate)), {"role": "god"})
    assert response.status_code == 422
    assert "Choose owner, billing admin or member." in response.content.decode()
    assert membership_of(teammate).role == Role.MEMBER


def test_it_keeps_the_last_owner(client_for, owner, teammate):
    client = client_for(owner)
    mine = membership_of(owner)

    response = client.post(role_url(mine), {"role": Role.MEMBER})
    assert response.status_code == 409
    assert "An organization needs at least one owner." in response.content.decode()
    assert membership_of(owner).role == Role.OWNER

    response = client.post(remove_url(mine))
    assert response.status_code == 409
    assert "The last owner cannot be removed." in response.content.decode()
    assert Membership.objects.filter(pk=mine.pk).exists()

    response = client.post("/app/northwind/leave/", follow=True)
    assert "The last owner cannot be removed." in response.content.decode()
    assert Membership.objects.filter(pk=mine.pk).exists()


def test_it_lets_an_owner_step_down_once_there_is_another(client_for, owner, teammate):
    client = client_for(owner)
    client.post(role_url(membership_of(teammate)), {"role": Role.OWNER})
    response = client.post(role_url(membership_of(owner)), {"role": Role.MEMBER})
    assert (response.status_code, response["Location"]) == (302, MEMBERS)
    assert membership_of(owner).role == Role.MEMBER
    assert membership_of(teammate).role == Role.OWNER


def test_it_removes_a_member(client_for, owner, teammate):
    response = client_for(owner).post(remove_url(membership_of(teammate)), follow=True)
    assert f"{teammate.display_name} was removed from Northwind." in response.content.decode()
    assert not Membership.objects.filter(user=teammate).exists()
    assert teammate.__class__.objects.filter(pk=teammate.pk).exists()  # the account stays


def test_it_lets_a_member_leave(client_for, owner, teammate):
    client = client_for(teammate)
    response = client.post("/app/northwind/leave/")
    assert response.status_code == 302
    assert response["Location"] == "/app/"
    assert not Membership.objects.filter(user=teammate).exists()
    assert client.get("/app/northwind/").status_code == 404
    # With no organization left, the app offers to create one.
    assert client.get("/app/")["Location"] == "/app/new/"


def test_it_renames_the_organization(client_for, owner):
    client = client_for(owner)
    response = client.post("/app/northwind/settings/", {"name": "  Northwind Traders  "})
    assert (response.status_code, response["Location"]) == (302, "/app/northwind/settings/")
    organization = Organization.objects.get(slug="northwind")
    assert organization.name == "Northwind Traders"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "This field is required."),
        ("   ", "This field is required."),
        ("x" * 121, "Ensure this value has at most 120 characters (it has 121)."),
    ],
    ids=["empty", "blank", "too-long"],
)
def test_it_refuses_a_bad_organization_name(client_for, owner, name, message):
    response = client_for(owner).post("/app/northwind/settings/", {"name": name})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Organization.objects.get(slug="northwind").name == "Northwind"


def test_it_creates_another_organization(client_for, owner):
    response = client_for(owner).post("/app/new/", {"name": "Northwind Labs"})
    organization = Organization.objects.get(name="Northwind Labs")
    assert response["Location"] == f"/app/{organization.slug}/members/"
    assert Membership.objects.get(user=owner, organization=organization).role == Role.OWNER


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "This field is required."),
        ("x" * 121, "Ensure this value has at most 120 characters (it has 121)."),
    ],
    ids=["empty", "too-long"],
)
def test_it_refuses_a_bad_name_for_a_new_organization(client_for, owner, name, message):
    response = client_for(owner).post("/app/new/", {"name": name})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Organization.objects.count() == 1


def test_it_gives_new_organizations_unique_slugs_that_do_not_shadow_pages(client_for, owner):
    client = client_for(owner)
    client.post("/app/new/", {"name": "Northwind"})
    client.post("/app/new/", {"name": "New"})
    slugs = set(Organization.objects.values_list("slug", flat=True))
    assert slugs == {"northwind", "northwind-2", "new-org"}
    assert client.get("/app/new-org/").status_code == 200


def test_it_switches_between_organizations(client_for, owner):
    other = OrganizationFactory(name="Acme", slug="acme")
    MembershipFactory(organization=other, user=owner, role=Role.MEMBER)
    client = client_for(owner)

    assert client.get("/app/acme/").status_code == 200
    assert client.get("/app/")["Location"] == "/app/acme/"
    assert client.get("/app/northwind/").status_code == 200
    assert client.get("/app/")["Location"] == "/app/northwind/"

    page = client.get("/app/northwind/").content.decode()
    assert 'href="/app/acme/"' in page  # the switcher offers the other one


def test_it_answers_htmx_invitations_with_the_members_panel(client_for, owner):
    response = client_for(owner).post(
        "/app/northwind/members/invite/",
        {"email": "colleague@example.com", "role": Role.MEMBER},
        **HTMX,
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page
    assert 'id="members-panel"' in page
    assert "colleague@example.com" in page
    assert "Invitation sent to colleague@example.com." in page
    assert Invitation.objects.filter(email="colleague@example.com").exists()


def test_it_answers_htmx_invitation_errors_with_the_panel_and_422(client_for, owner):
    response = client_for(owner).post(
        "/app/northwind/members/invite/", {"email": "nope", "role": Role.MEMBER}, **HTMX
    )
    page = response.content.decode()
    assert response.status_code == 422
    assert "<html" not in page
    assert 'id="members-panel"' in page
    assert "Enter a valid email address." in page


def test_it_answers_htmx_member_changes_with_the_members_panel(client_for, owner, teammate):
    client = client_for(owner)
    invitation = InvitationFactory(
        organization=membership_of(owner).organization, email="new@example.com"
    )

    response = client.post(role_url(membership_of(teammate)), {"role": Role.BILLING}, **HTMX)
    assert response.status_code == 200
    assert "<html" not in response.content.decode()
    assert 'id="members-panel"' in response.content.decode()
    assert membership_of(teammate).role == Role.BILLING

    response = client.post(f"/app/northwind/invitations/{invitation.pk}/revoke/", **HTMX)
    assert response.status_code == 200
    assert 'id="members-panel"' in response.content.decode()
    assert "new@example.com is revoked" in response.content.decode()

    removal = remove_url(membership_of(teammate))
    response = client.post(removal, **HTMX)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<html" not in page
    assert 'id="members-panel"' in page
    assert f"{teammate.display_name} was removed from Northwind." in page
    assert removal not in page
    assert not Membership.objects.filter(user=teammate).exists()


def test_it_answers_htmx_refusals_with_the_panel_and_409(client_for, owner):
    response = client_for(owner).post(role_url(membership_of(owner)), {"role": Role.MEMBER}, **HTMX)
    assert response.status_code == 409
    assert 'id="members-panel"' in response.content.decode()
    assert "<html" not in response.content.decode()
    assert "An organization needs at least one owner." in response.content.decode()


def test_it_takes_the_next_slug_when_another_organization_claims_it_first(db, owner):
    from unittest import mock

    from portal import services
    from portal.models import Organization

    # Both sign-ups saw "acme" free; the other one saved first.
    real_unique_slug = services._unique_slug
    calls = []

    def racing_unique_slug(name):
        calls.append(name)
        if len(calls) == 1:
            Organization.objects.create(name="Acme", slug="acme")
            return "acme"
        return real_unique_slug(name)

    with mock.patch.object(services, "_unique_slug", racing_unique_slug):
        organization = services.organization_create(name="Acme", owner=owner)

    assert organization.slug == "acme-2"
    assert organization.memberships.get().user == owner
    assert Organization.objects.filter(name="Acme").count() == 2


def test_staff_without_an_organization_of_their_own_land_in_the_admin(client_for, admin_user):
    assert client_for(admin_user).get("/app/")["Location"] == "/admin/"


def test_staff_who_are_members_of_an_organization_land_on_it(client_for, owner):
    owner.is_staff = True
    owner.save()
    assert client_for(owner).get("/app/")["Location"] == "/app/northwind/"
