import re

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core.management import call_command
from django.core.management.base import CommandError

from portal.demo import DEMO_PASSWORD
from portal.models import Membership, Organization, Role, User
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

STAFF_PAGES = ["/admin/", "/manage/"]


@pytest.fixture
def require_staff_mfa(settings):
    settings.TIERWISE_STAFF_REQUIRE_MFA = True


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_it_sends_staff_without_mfa_to_set_it_up(client_for, admin_user, require_staff_mfa, path):
    response = client_for(admin_user).get(path, follow=True)
    assert response.redirect_chain[0] == ("/accounts/2fa/totp/activate/", 302)
    assert "Staff accounts need two-factor authentication." in response.content.decode()


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_it_lets_staff_with_mfa_through(client_for, admin_user, require_staff_mfa, path):
    TOTP.activate(admin_user, generate_totp_secret())
    response = client_for(admin_user).get(path)
    assert response.status_code == 200


def test_it_lets_an_account_manager_with_mfa_reach_their_book(
    client_for, account_manager, require_staff_mfa
):
    TOTP.activate(account_manager, generate_totp_secret())
    response = client_for(account_manager).get("/manage/")
    assert response.status_code == 200
    assert "Northwind" in response.content.decode()


def test_it_does_not_ask_customers_for_mfa(client_for, owner, require_staff_mfa):
    client = client_for(owner)
    assert client.get("/app/northwind/").status_code == 200
    # Staff pages are still closed to them, but not by the MFA requirement.
    assert client.get("/manage/").status_code == 403
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/2fa/" not in response["Location"]


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_it_lets_staff_through_without_mfa_when_not_required(
    client_for, admin_user, settings, path
):
    settings.TIERWISE_STAFF_REQUIRE_MFA = False
    assert client_for(admin_user).get(path).status_code == 200


def test_it_signs_admins_in_through_allauth(client):
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/login/?next=%2Fadmin%2F"
    assert response.status_code == 200


def test_it_lists_only_the_account_managers_own_organizations(client_for, account_manager):
    OrganizationFactory(name="Someone Else's Customer")
    other_manager_org = OrganizationFactory(name="Another Manager's Customer")
    other_manager_org.account_manager = User.objects.create_user("other.am@example.com")
    other_manager_org.save()

    response = client_for(account_manager).get("/manage/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Northwind" in page
    assert "Someone Else&#x27;s Customer" not in page
    assert "Someone Else's Customer" not in page
    assert "Another Manager" not in page


def test_it_shows_the_account_managers_members_and_owners(
    client_for, account_manager, owner, organization
):
    # The book lists accounts; each account's page names its people.
    page = client_for(account_manager).get(f"/manage/accounts/{organization.pk}/")
    assert owner.email in page.content.decode()


def test_it_refuses_the_accounts_page_to_customers_and_other_staff(
    client_for, owner, django_user_model
):
    assert client_for(owner).get("/manage/").status_code == 403
    staff_outside_the_group = django_user_model.objects.create_user(
        "support@tierwise.test", is_staff=True
    )
    assert client_for(staff_outside_the_group).get("/manage/").status_code == 403


def test_it_sends_anonymous_visitors_to_login_from_the_accounts_page(client):
    response = client.get("/manage/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def _counts() -> tuple[int, int, int]:
    return User.objects.count(), Organization.objects.count(), Membership.objects.count()


def test_it_builds_the_demo_once_however_often_it_runs(client, settings):
    settings.DEBUG = True
    call_command("demo")
    first = _counts()
    call_command("demo")
    assert _counts() == first

    # Later parts add their own demo rows; these are the people this part promises.
    customers = {
        organization.slug: sorted(organization.memberships.values_list("user__email", "role"))
        for organization in Organization.objects.filter(
            slug__in=["northwind-analytics", "acme-robotics", "globex-health"]
        )
    }
    assert customers == {
        "northwind-analytics": [
            ("ben@northwind.test", Role.BILLING),
            ("mia@northwind.test", Role.MEMBER),
            ("olivia@northwind.test", Role.OWNER),
        ],
        "acme-robotics": [("alex@acme.test", Role.OWNER), ("sam@acme.test", Role.MEMBER)],
        "globex-health": [
            ("gina@globex.test", Role.OWNER),
            ("hugo@globex.test", Role.BILLING),
            ("ines@globex.test", Role.MEMBER),
        ],
    }
    assert User.objects.get(email="admin@tierwise.test").is_superuser

    manager = User.objects.get(email="maya@tierwise.test")
    assert manager.is_account_manager
    assert sorted(manager.managed_organizations.values_list("slug", flat=True)) == [
        "acme-robotics",
        "northwind-analytics",
    ]


@pytest.mark.parametrize(
    "email", ["admin@tierwise.test", "maya@tierwise.test", "olivia@northwind.test"]
)
def test_it_lets_the_demo_logins_sign_in(client, settings, email):
    settings.DEBUG = True
    call_command("demo")
    response = client.post("/accounts/login/", {"login": email, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(User.objects.get(email=email).pk)


class CountingHasher(MD5PasswordHasher):
    """The test suite's fast hasher, counting the hashes it makes."""

    made: list[str] = []

    def encode(self, password, salt):
        CountingHasher.made.append(password)
        return super().encode(password, salt)


def test_it_hashes_the_demo_password_once_for_every_login(client, settings):
    """The production hasher is slow on purpose: one hash per run, not one per login."""
    settings.DEBUG = True
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    CountingHasher.made.clear()
    call_command("demo")
    call_command("demo")

    assert CountingHasher.made == [DEMO_PASSWORD, DEMO_PASSWORD]
    demo_emails = list(User.objects.values_list("email", flat=True))
    assert len(demo_emails) == 13  # with Umbrella Labs' and Vandelay Industries' owners
    for email in demo_emails:
        client.logout()
        response = client.post("/accounts/login/", {"login": email, "password": DEMO_PASSWORD})
        assert response.status_code == 302, email
        assert client.session["_auth_user_id"] == str(User.objects.get(email=email).pk)
    # Signing in checked the shared hash without hashing the password anew for storage.
    assert CountingHasher.made.count(DEMO_PASSWORD) == 2 + len(demo_emails)


def test_it_refuses_to_build_the_demo_in_production(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="refusing with DEBUG off"):
        call_command("demo")
    assert not User.objects.exists()


def test_it_keeps_demo_changes_to_existing_rows_idempotent(settings):
    settings.DEBUG = True
    call_command("demo")
    extra = MembershipFactory(organization=Organization.objects.get(slug="acme-robotics"))
    call_command("demo")
    # Rows the demo did not create are left alone; its own are not duplicated.
    assert Membership.objects.filter(pk=extra.pk).exists()
    assert Organization.objects.filter(slug__startswith="acme-robotics").count() == 1


@pytest.mark.parametrize("path", ["/admin/", "/admin/licensing/license/", "/admin/clock/"])
def test_the_admin_names_the_sites_own_icon_so_browsers_do_not_ask_for_a_missing_one(
    client_for, admin_user, path
):
    page = client_for(admin_user).get(path).content.decode()
    icon = re.search(r'<link rel="icon" href="([^"]+)"', page)
    assert icon, f"{path} names no icon"
    assert client_for(admin_user).get(icon.group(1)).status_code == 200


def test_an_account_manager_lands_on_their_book_of_accounts(client_for, account_manager):
    client = client_for(account_manager)
    assert client.get("/app/")["Location"] == "/manage/"
    page = client.get("/app/", follow=True)
    assert "New organization</h1>" not in page.content.decode()


def test_an_admin_lands_in_the_admin(client_for, admin_user):
    assert client_for(admin_user).get("/app/")["Location"] == "/admin/"


def test_signing_in_takes_staff_to_their_workspace(client, account_manager):
    account_manager.set_password("a long and good password")
    account_manager.save()
    response = client.post(
        "/accounts/login/",
        {"login": account_manager.email, "password": "a long and good password"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/manage/"


def test_a_customer_without_an_organization_is_asked_to_make_one(client_for):
    assert client_for(UserFactory()).get("/app/")["Location"] == "/app/new/"
