"""Nobody learns anything about an organization they do not belong to."""

import pytest

from portal.models import Invitation, Membership, Organization, Role
from tests.factories import InvitationFactory, MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def northwind_urls(owner, teammate):
    """Every page and action under /app/northwind/, as (method, url, data)."""
    membership = Membership.objects.get(user=teammate)
    invitation = InvitationFactory(organization=membership.organization)
    return [
        ("get", "/app/northwind/", {}),
        ("get", "/app/northwind/members/", {}),
        ("get", "/app/northwind/settings/", {}),
        ("post", "/app/northwind/settings/", {"name": "Taken over"}),
        ("post", "/app/northwind/members/invite/", {"email": "x@example.com", "role": "owner"}),
        ("post", f"/app/northwind/members/{membership.pk}/role/", {"role": Role.OWNER}),
        ("post", f"/app/northwind/members/{membership.pk}/remove/", {}),
        ("post", f"/app/northwind/invitations/{invitation.pk}/revoke/", {}),
        ("post", "/app/northwind/leave/", {}),
    ]


def assert_northwind_unchanged():
    assert Organization.objects.get(slug="northwind").name == "Northwind"
    assert sorted(
        Membership.objects.filter(organization__slug="northwind").values_list("role", flat=True)
    ) == [Role.MEMBER, Role.OWNER]
    assert Invitation.objects.get().status == Invitation.Status.PENDING
    assert Invitation.objects.count() == 1


def test_it_answers_404_to_an_outsider_everywhere(client_for, outsider, northwind_urls):
    client = client_for(outsider)
    for method, url, data in northwind_urls:
        response = getattr(client, method)(url, data)
        assert response.status_code == 404, f"{method.upper()} {url}"
        assert "Northwind" not in response.content.decode(), url
    assert_northwind_unchanged()


def test_it_sends_anonymous_visitors_to_login_everywhere(client, northwind_urls):
    for method, url, data in northwind_urls:
        response = getattr(client, method)(url, data)
        assert response.status_code == 302, f"{method.upper()} {url}"
        assert response["Location"].startswith("/accounts/login/?next="), url
    assert_northwind_unchanged()


def test_it_answers_404_for_a_membership_of_another_organization(client_for, outsider, owner):
    # The outsider owns Elsewhere; a Northwind membership id under their own slug is
    # not found, so they can neither change nor remove it.
    northwind_owner = Membership.objects.get(user=owner)
    client = client_for(outsider)
    role = client.post(f"/app/elsewhere/members/{northwind_owner.pk}/role/", {"role": Role.MEMBER})
    remove = client.post(f"/app/elsewhere/members/{northwind_owner.pk}/remove/")
    assert role.status_code == 404
    assert remove.status_code == 404
    northwind_owner.refresh_from_db()
    assert northwind_owner.role == Role.OWNER


def test_it_answers_404_for_an_invitation_of_another_organization(client_for, outsider, owner):
    invitation = InvitationFactory(organization=Membership.objects.get(user=owner).organization)
    response = client_for(outsider).post(f"/app/elsewhere/invitations/{invitation.pk}/revoke/")
    assert response.status_code == 404
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING


def test_it_keeps_other_organizations_out_of_the_navigation(client_for, outsider, owner):
    page = client_for(outsider).get("/app/elsewhere/").content.decode()
    assert "Elsewhere" in page
    assert "Northwind" not in page
    assert "/app/northwind/" not in page


def test_it_does_not_switch_to_an_organization_by_session_tampering(client_for, outsider, owner):
    client = client_for(outsider)
    session = client.session
    session["organization_id"] = Organization.objects.get(slug="northwind").pk
    session.save()
    assert client.get("/app/")["Location"] == "/app/elsewhere/"


def test_it_answers_404_to_a_former_member(client_for, owner):
    former = MembershipFactory(organization=Organization.objects.get(slug="northwind")).user
    client = client_for(former)
    assert client.get("/app/northwind/").status_code == 200
    Membership.objects.filter(user=former).delete()
    assert client.get("/app/northwind/").status_code == 404
    assert client.get("/app/northwind/members/").status_code == 404
