"""Managing an organization in a real browser: the htmx member panel and the switcher."""

import pytest
from playwright.sync_api import expect

from portal.models import Membership, Role
from tests.factories import MembershipFactory, OrganizationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def team(db):
    owner = MembershipFactory(
        organization__name="Northwind", organization__slug="northwind", role=Role.OWNER
    ).user
    colleague = MembershipFactory(
        organization=owner.memberships.get().organization,
        role=Role.MEMBER,
        user__first_name="Carla",
        user__last_name="Jensen",
    ).user
    return owner, colleague


def test_it_changes_a_role_and_removes_a_member_in_place(page, live_server, login, team, axe):
    owner, colleague = team
    login(owner)
    page.goto(f"{live_server.url}/app/northwind/members/")

    page.get_by_label("Role of Carla Jensen").select_option(Role.BILLING)
    page.get_by_role("button", name="Save role of Carla Jensen").click()
    expect(page.get_by_text("Carla Jensen is now a billing admin.")).to_be_visible()
    assert Membership.objects.get(user=colleague).role == Role.BILLING
    axe("members after an htmx swap")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Remove Carla Jensen").click()
    expect(page.get_by_text("Carla Jensen was removed from Northwind.")).to_be_visible()
    expect(page.get_by_label("Role of Carla Jensen")).to_have_count(0)
    assert not Membership.objects.filter(user=colleague).exists()


def test_it_switches_organization_from_the_navigation(page, live_server, login, team):
    owner, _ = team
    MembershipFactory(
        organization=OrganizationFactory(name="Acme Robotics", slug="acme"), user=owner
    )
    login(owner)
    page.goto(f"{live_server.url}/app/northwind/")

    nav = page.get_by_role("navigation", name="Main")
    nav.locator("summary", has_text="Northwind").first.click()
    nav.get_by_role("link", name="Acme Robotics").first.click()
    page.wait_for_url(f"{live_server.url}/app/acme/")

    page.goto(f"{live_server.url}/app/")
    page.wait_for_url(f"{live_server.url}/app/acme/")
