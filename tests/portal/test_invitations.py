from datetime import timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress

from portal.models import Invitation, Membership, Organization, OutboundEmail, Role, User
from tests.factories import InvitationFactory, UserFactory
from tests.helpers.mailbox import link_in, sent_to

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-long-and-unguessable-passphrase"
INVITE_URL = "/app/northwind/members/invite/"


def invite(client, email="colleague@example.com", role=Role.BILLING, **headers):
    return client.post(INVITE_URL, {"email": email, "role": role}, **headers)


@pytest.fixture
def invitation(organization, owner):
    return InvitationFactory(
        organization=organization,
        email="colleague@example.com",
        role=Role.BILLING,
        invited_by=owner,
    )


def test_it_invites_by_email_with_the_chosen_role(
    client_for, owner, django_capture_on_commit_callbacks
):
    client = client_for(owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(client, email="Colleague@Example.com")
    assert response.status_code == 302
    assert response["Location"] == "/app/northwind/members/"

    invitation = Invitation.objects.get()
    assert invitation.email == "colleague@example.com"
    assert invitation.role == Role.BILLING
    assert invitation.invited_by == owner
    assert invitation.status == Invitation.Status.PENDING

    assert OutboundEmail.objects.get(to="colleague@example.com").sent_at is not None
    [message] = sent_to("colleague@example.com")
    assert "Northwind" in message.subject
    assert link_in(message, "/invitations/") == f"/invitations/{invitation.token}/"
    assert "billing admin" in message.body

    page = client.get("/app/northwind/members/").content.decode()
    assert "Invitation sent to colleague@example.com." in page
    assert "colleague@example.com" in page


@pytest.mark.parametrize(
    ("email", "role", "message"),
    [
        ("", Role.MEMBER, "This field is required."),
        ("not-an-address", Role.MEMBER, "Enter a valid email address."),
        ("a" * 250 + "@example.com", Role.MEMBER, "Ensure this value has at most 254 characters"),
        ("colleague@example.com", "superuser", "Select a valid choice."),
        ("colleague@example.com", "", "This field is required."),
    ],
    ids=["empty", "malformed", "too-long", "unknown-role", "no-role"],
)
def test_it_refuses_bad_invitation_input(client_for, owner, email, role, message):
    response = invite(client_for(owner), email=email, role=role)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Invitation.objects.exists()
    assert not OutboundEmail.objects.exists()


def test_it_refuses_to_invite_a_member(client_for, owner, teammate):
    response = invite(client_for(owner), email=teammate.email.upper())
    assert response.status_code == 422
    assert f"{teammate.email} is already a member of Northwind." in response.content.decode()
    assert not Invitation.objects.exists()
    assert not OutboundEmail.objects.exists()


def test_it_refuses_a_second_invitation_while_one_is_pending(client_for, owner, invitation):
    response = invite(client_for(owner), email="COLLEAGUE@example.com", role=Role.OWNER)
    assert response.status_code == 422
    assert "colleague@example.com already has a pending invitation." in (response.content.decode())
    assert list(Invitation.objects.values_list("pk", "role")) == [(invitation.pk, Role.BILLING)]
    assert not OutboundEmail.objects.exists()


def test_it_replaces_an_expired_invitation(client_for, owner, invitation):
    with time_machine.travel(invitation.expires_at + timedelta(minutes=1)):
        response = invite(client_for(owner), role=Role.MEMBER)
    assert (response.status_code, response["Location"]) == (302, "/app/northwind/members/")
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    fresh = Invitation.objects.exclude(pk=invitation.pk).get()
    assert fresh.role == Role.MEMBER
    assert fresh.status == Invitation.Status.PENDING


def test_it_revokes_an_invitation(client_for, owner, invitation):
    client = client_for(owner)
    response = client.post(f"/app/northwind/invitations/{invitation.pk}/revoke/", follow=True)
    assert "The invitation for colleague@example.com is revoked." in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.REVOKED

    # Revoking twice says why it cannot, and changes nothing.
    revoked_at = invitation.revoked_at
    response = client.post(f"/app/northwind/invitations/{invitation.pk}/revoke/", follow=True)
    assert "This invitation is revoked; it cannot be revoked." in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.revoked_at == revoked_at


def test_it_shows_a_revoked_invitation_as_gone_and_refuses_it(client, invitation):
    invitation_user = UserFactory(email="colleague@example.com")
    invitation.revoked_at = invitation.created_at
    invitation.save()

    response = client.get(invitation.accept_url())
    assert response.status_code == 410
    assert "This invitation was withdrawn by the organization." in response.content.decode()

    client.force_login(invitation_user)
    response = client.post(invitation.accept_url(), follow=True)
    assert response.status_code == 410
    assert "This invitation is revoked and can no longer be used." in response.content.decode()
    assert not Membership.objects.filter(user=invitation_user).exists()


def test_it_refuses_an_expired_invitation(now, client_for, invitation):
    invitation_user = UserFactory(email="colleague@example.com")
    client = client_for(invitation_user)
    with time_machine.travel(invitation.expires_at + timedelta(seconds=1), tick=False):
        page = client.get(invitation.accept_url())
        assert page.status_code == 410
        assert "This invitation expired on" in page.content.decode()

        response = client.post(invitation.accept_url(), follow=True)
        assert response.status_code == 410
        assert "This invitation is expired and can no longer be used." in (
            response.content.decode()
        )
    assert not Membership.objects.filter(user=invitation_user).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_it_accepts_an_invitation_for_a_signed_in_user_with_that_address(client_for, invitation):
    invitation_user = UserFactory(email="colleague@example.com")
    client = client_for(invitation_user)
    page = client.get(invitation.accept_url())
    assert page.status_code == 200
    assert "Accept and join Northwind" in page.content.decode()

    response = client.post(invitation.accept_url())
    assert response.status_code == 302
    assert response["Location"] == "/app/northwind/"
    membership = Membership.objects.get(user=invitation_user)
    assert membership.organization == invitation.organization
    assert membership.role == Role.BILLING
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.ACCEPTED
    assert invitation.accepted_by == invitation_user
    assert "Welcome to Northwind." in client.get("/app/northwind/").content.decode()


def test_it_accepts_for_a_verified_secondary_address(client_for, invitation):
    invitation_user = UserFactory(email="colleague.private@example.com")
    EmailAddress.objects.create(user=invitation_user, email="colleague@example.com", verified=True)
    client_for(invitation_user).post(invitation.accept_url())
    assert Membership.objects.get(user=invitation_user).role == Role.BILLING


def test_it_refuses_an_unverified_secondary_address(client_for, invitation):
    invitation_user = UserFactory(email="colleague.private@example.com")
    EmailAddress.objects.create(user=invitation_user, email="colleague@example.com", verified=False)
    client_for(invitation_user).post(invitation.accept_url())
    assert not Membership.objects.filter(user=invitation_user).exists()


def test_it_refuses_a_user_signed_in_with_another_address(client_for, outsider, invitation):
    client = client_for(outsider)
    page = client.get(invitation.accept_url())
    assert page.status_code == 200
    assert "Accept and join" not in page.content.decode()

    response = client.post(invitation.accept_url(), follow=True)
    assert (
        "This invitation was sent to colleague@example.com. Sign in with that address to "
        "accept it." in response.content.decode()
    )
    assert not Membership.objects.filter(user=outsider, organization__slug="northwind").exists()
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING


def test_it_refuses_an_invitation_that_was_already_used(client_for, invitation):
    invitation_user = UserFactory(email="colleague@example.com")
    client = client_for(invitation_user)
    client.post(invitation.accept_url())
    # Removed since; the old link must not bring them back.
    Membership.objects.filter(user=invitation_user).delete()

    page = client.get(invitation.accept_url())
    assert page.status_code == 410
    assert "This invitation has already been accepted" in page.content.decode()
    response = client.post(invitation.accept_url(), follow=True)
    assert "This invitation is accepted and can no longer be used." in response.content.decode()
    assert not Membership.objects.filter(user=invitation_user).exists()


def test_it_answers_404_for_an_unknown_token(client):
    assert client.get("/invitations/not-a-real-token/").status_code == 404


def test_it_sends_an_anonymous_accept_to_the_invitation_page(client, invitation):
    response = client.post(invitation.accept_url())
    assert response.status_code == 302
    assert response["Location"] == invitation.accept_url()
    assert (
        not Membership.objects.filter(organization=invitation.organization)
        .exclude(role=Role.OWNER)
        .exists()
    )


def test_it_lets_an_invited_newcomer_sign_up_and_join_without_an_organization(
    client, invitation, django_capture_on_commit_callbacks
):
    page = client.get(invitation.accept_url())
    assert page.status_code == 200
    signup = client.get("/accounts/signup/").content.decode()
    assert 'value="colleague@example.com"' in signup
    assert "You are joining Northwind." in signup

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/accounts/signup/",
            {
                "email": "colleague@example.com",
                "password1": NEW_PASSWORD,
                "password2": NEW_PASSWORD,
                "organization_name": "",
            },
        )
    user = User.objects.get(email="colleague@example.com")
    # The invitation reached this address, so it counts as verified: no second email.
    assert EmailAddress.objects.get(user=user).verified
    assert not sent_to("colleague@example.com")
    assert int(client.session["_auth_user_id"]) == user.pk
    assert response.status_code == 302
    assert client.get(response["Location"])["Location"] == "/app/northwind/"

    membership = Membership.objects.get(user=user)
    assert membership.organization == invitation.organization
    assert membership.role == Role.BILLING
    assert Organization.objects.count() == 1
    invitation.refresh_from_db()
    assert invitation.accepted_by == user


def test_it_asks_a_newcomer_with_another_address_to_name_an_organization(client, invitation):
    client.get(invitation.accept_url())
    response = client.post(
        "/accounts/signup/",
        {
            "email": "someone.else@example.com",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "organization_name": "",
        },
    )
    assert response.status_code == 200
    assert "Name your organization." in response.content.decode()
    assert not User.objects.filter(email="someone.else@example.com").exists()
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING


def test_it_does_not_give_the_invited_address_to_a_newcomer_with_another_one(
    client, invitation, django_capture_on_commit_callbacks
):
    # Whoever holds a forwarded link and signs up with their own address gets their own
    # organization, must verify their own address, and never gets the invited one.
    client.get(invitation.accept_url())
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/accounts/signup/",
            {
                "email": "someone.else@example.com",
                "password1": NEW_PASSWORD,
                "password2": NEW_PASSWORD,
                "organization_name": "Someone Else Ltd",
            },
        )
    assert response["Location"] == "/accounts/confirm-email/"
    user = User.objects.get(email="someone.else@example.com")
    assert "_auth_user_id" not in client.session
    assert list(EmailAddress.objects.filter(user=user).values_list("email", "verified")) == [
        ("someone.else@example.com", False)
    ]
    assert list(Membership.objects.filter(user=user).values_list("organization__name", "role")) == [
        ("Someone Else Ltd", Role.OWNER)
    ]
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING


def test_it_never_lowers_the_role_of_someone_who_is_already_a_member(client_for, owner):
    invitation = InvitationFactory(
        organization=owner.memberships.get().organization, email=owner.email, role=Role.MEMBER
    )
    client_for(owner).post(invitation.accept_url())
    assert owner.memberships.get().role == Role.OWNER
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.ACCEPTED
