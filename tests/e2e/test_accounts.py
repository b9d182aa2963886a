"""Accounts in a real browser: sign-up, email verification, invitations, and axe-core on
every page the accounts and organizations part of the site shows.

The live server runs in this process with eager Celery and the locmem email backend, so
the emails it sends land in django.core.mail.outbox."""

import re

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from playwright.sync_api import expect

from portal.models import ACCOUNT_MANAGERS_GROUP, Invitation, Membership, Role, User
from tests.factories import PASSWORD, InvitationFactory, MembershipFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "a-long-and-unguessable-passphrase"
# The first password field, not "Password (again)"; the required marker may follow.
PASSWORD_LABEL = re.compile(r"^Password\W*$")


def link_in(body: str, prefix: str) -> str:
    match = re.search(rf"https?://[^/\s]+({re.escape(prefix)}\S*)", body)
    assert match, f"No {prefix} link in:\n{body}"
    return match.group(1)


@pytest.fixture
def owner_of_northwind(db):
    membership = MembershipFactory(
        organization__name="Northwind", organization__slug="northwind", role=Role.OWNER
    )
    return membership.user


def test_it_signs_up_verifies_and_invites_a_colleague(page, live_server, mailoutbox, axe):
    page.goto(f"{live_server.url}/accounts/signup/")
    page.get_by_label("Email").fill("rosa@example.com")
    page.get_by_label(PASSWORD_LABEL).fill(NEW_PASSWORD)
    page.get_by_label("Password (again)").fill(NEW_PASSWORD)
    page.get_by_label("Organization name").fill("Rosa Robotics")
    page.get_by_role("button", name="Sign Up").click()
    page.wait_for_url(f"{live_server.url}/accounts/confirm-email/")
    axe("verification sent")

    [message] = [m for m in mail.outbox if m.to == ["rosa@example.com"]]
    page.goto(live_server.url + link_in(message.body, "/accounts/confirm-email/"))
    axe("confirm email")
    page.get_by_role("button", name="Confirm").click()

    page.wait_for_url(f"{live_server.url}/app/rosa-robotics/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Rosa Robotics")
    user = User.objects.get(email="rosa@example.com")
    assert Membership.objects.get(user=user).role == Role.OWNER

    page.goto(f"{live_server.url}/app/rosa-robotics/members/")
    page.get_by_label("Email address").fill("colleague@example.com")
    page.get_by_label(re.compile(r"^Role\W*$")).select_option(Role.BILLING)
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("Invitation sent to colleague@example.com.")).to_be_visible()
    expect(page.locator("#members-panel")).to_contain_text("colleague@example.com")

    invitation = Invitation.objects.get(email="colleague@example.com")
    assert invitation.role == Role.BILLING
    assert invitation.organization.slug == "rosa-robotics"
    [invite_email] = [m for m in mail.outbox if m.to == ["colleague@example.com"]]
    assert link_in(invite_email.body, "/invitations/") == invitation.accept_url()


def test_it_joins_through_an_invitation_without_naming_an_organization(
    page, live_server, owner_of_northwind, axe
):
    invitation = InvitationFactory(
        organization=owner_of_northwind.memberships.get().organization,
        email="colleague@example.com",
        role=Role.BILLING,
        invited_by=owner_of_northwind,
    )
    page.goto(live_server.url + invitation.accept_url())
    axe("invitation")
    page.get_by_role("link", name="Create your account").click()
    expect(page.get_by_label("Email")).to_have_value("colleague@example.com")
    page.get_by_label(PASSWORD_LABEL).fill(NEW_PASSWORD)
    page.get_by_label("Password (again)").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign Up").click()

    page.wait_for_url(f"{live_server.url}/app/northwind/")
    membership = Membership.objects.get(user__email="colleague@example.com")
    assert membership.role == Role.BILLING


PUBLIC_PAGES = [
    ("home", "/"),
    ("login", "/accounts/login/"),
    ("signup", "/accounts/signup/"),
    ("password reset", "/accounts/password/reset/"),
    ("404", "/no-such-page/"),
]


@pytest.mark.parametrize(("label", "path"), PUBLIC_PAGES, ids=[p[0] for p in PUBLIC_PAGES])
def test_it_has_no_serious_accessibility_problems_on_public_pages(
    page, live_server, axe, label, path
):
    page.goto(live_server.url + path)
    axe(label)


def test_it_has_no_serious_accessibility_problems_on_form_errors(page, live_server, axe):
    page.goto(f"{live_server.url}/accounts/signup/")
    # Past the browser's own checks, so the server answers with its errors.
    page.get_by_label("Email").fill("rosa@example.com")
    page.get_by_label(PASSWORD_LABEL).fill(NEW_PASSWORD)
    page.get_by_label("Password (again)").fill(f"not {NEW_PASSWORD}")
    page.get_by_label("Organization name").fill("Rosa Robotics")
    page.get_by_role("button", name="Sign Up").click()
    expect(page.get_by_text("You must type the same password each time")).to_be_visible()
    axe("signup with errors")


def test_it_has_no_serious_accessibility_problems_for_a_customer(
    page, live_server, login, owner_of_northwind, axe
):
    organization = owner_of_northwind.memberships.get().organization
    MembershipFactory(organization=organization, role=Role.MEMBER)
    InvitationFactory(organization=organization, email="pending@example.com")
    login(owner_of_northwind)
    page.wait_for_url(f"{live_server.url}/app/northwind/")

    for label, path in [
        ("organization", "/app/northwind/"),
        ("members", "/app/northwind/members/"),
        ("settings", "/app/northwind/settings/"),
        ("create organization", "/app/new/"),
        ("email addresses", "/accounts/email/"),
        ("change password", "/accounts/password/change/"),
        ("two-factor", "/accounts/2fa/"),
    ]:
        page.goto(live_server.url + path)
        assert page.url == live_server.url + path, f"{label} redirected to {page.url}"
        axe(label)

    # Turning on TOTP asks for the password again first.
    page.goto(f"{live_server.url}/accounts/2fa/totp/activate/")
    axe("reauthenticate")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(f"{live_server.url}/accounts/2fa/totp/activate/")
    axe("TOTP activation")


def test_it_has_no_serious_accessibility_problems_for_an_account_manager(
    page, live_server, login, owner_of_northwind, axe
):
    manager = UserFactory(is_staff=True)
    manager.groups.add(Group.objects.get(name=ACCOUNT_MANAGERS_GROUP))
    organization = owner_of_northwind.memberships.get().organization
    organization.account_manager = manager
    organization.save()

    login(manager)
    page.goto(f"{live_server.url}/manage/")
    expect(page.get_by_role("main")).to_contain_text("Northwind")
    axe("manage accounts")


def test_it_signs_in_by_a_code_sent_by_email(page, live_server, owner_of_northwind, axe):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="Send me a sign-in code").click()
    page.wait_for_url(f"{live_server.url}/accounts/login/code/")
    axe("request a sign-in code")
    page.get_by_label("Email").fill(owner_of_northwind.email)
    page.get_by_role("button", name="Request Code").click()
    page.wait_for_url(f"{live_server.url}/accounts/login/code/confirm/")
    axe("enter the sign-in code")

    [message] = [m for m in mail.outbox if m.to == [owner_of_northwind.email]]
    code = re.search(r"^\s*([A-Z]{4}-[A-Z]{4})\s*$", message.body, re.MULTILINE).group(1)
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Confirm").click()

    page.wait_for_url(f"{live_server.url}/app/northwind/")
