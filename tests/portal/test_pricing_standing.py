"""The pricing page signed in: the current plan of the user's organization is marked and
the other tiers are named from it (Upgrade / Switch / Downgrade), each leading to the
organization's checkout; signed out, or without a plan, the page is everyone's."""

import re

import pytest

from portal.models import Role
from tests.factories import MembershipFactory, OrganizationFactory
from tests.helpers.checkout import subscribed


def _cards(html: str) -> dict[str, str]:
    """Each tier card's button: tier slug -> (data-move, label)."""
    return {
        slug: (move, label)
        for slug, move, label in re.findall(
            r'href="/app/[^"]*?tier=(\w+)[^"]*" data-move="(\w+)">([^<]+)</a>', html
        )
    }


@pytest.mark.django_db
def test_it_marks_the_plan_and_names_the_others(client_for, owner, organization, catalog):
    subscribed(organization, catalog, "team", seats=5)

    html = client_for(owner).get("/pricing/?currency=USD&cycle=monthly").content.decode()

    assert html.count("Your plan</span>") == 1
    assert "Northwind is on Team with 5 seats, billed monthly." in html
    assert 'href="/app/northwind/" data-move="current">Manage your plan</a>' in html
    assert _cards(html) == {
        "starter": ("downgrade", "Downgrade to Starter"),
        "business": ("upgrade", "Upgrade to Business"),
        "enterprise": ("upgrade", "Upgrade to Enterprise"),
    }
    assert (
        'href="/app/northwind/checkout/?tier=business&amp;cycle=monthly&amp;currency=USD"' in html
    )


@pytest.mark.django_db
def test_the_annual_prices_offer_a_switch_of_billing(client_for, owner, organization, catalog):
    subscribed(organization, catalog, "team", seats=5)

    html = client_for(owner).get("/pricing/?currency=USD&cycle=annual").content.decode()

    assert _cards(html)["team"] == ("switch", "Switch to annual billing")
    assert "Your plan</span>" in html


@pytest.mark.django_db
def test_htmx_swaps_are_marked_too(client_for, owner, organization, catalog):
    subscribed(organization, catalog, "team", seats=5)
    client = client_for(owner)

    html = client.get("/pricing/?cycle=annual", HTTP_HX_REQUEST="true").content.decode()

    assert "<html" not in html and _cards(html)["team"][0] == "switch"


@pytest.mark.django_db
def test_it_marks_the_organization_the_user_works_in(client_for, owner, organization, catalog):
    subscribed(organization, catalog, "team", seats=5)
    other = OrganizationFactory(name="Zeta Labs", slug="zeta")
    MembershipFactory(organization=other, user=owner, role=Role.OWNER)
    subscribed(other, catalog, "business", seats=12)
    client = client_for(owner)

    client.get("/app/zeta/")  # the organization worked in now
    html = client.get("/pricing/?currency=USD").content.decode()

    assert "Zeta Labs is on Business with 12 seats" in html
    assert _cards(html)["team"] == ("downgrade", "Downgrade to Team")


@pytest.mark.django_db
def test_without_a_plan_or_signed_out_every_tier_is_chosen(
    client, client_for, owner, organization, catalog
):
    signed_out = client.get("/pricing/").content.decode()
    assert "Your plan</span>" not in signed_out and "Choose Team" in signed_out

    no_plan = client_for(owner).get("/pricing/").content.decode()
    assert "Your plan</span>" not in no_plan and "Choose Team" in no_plan


@pytest.mark.django_db
def test_another_user_is_not_shown_someone_elses_plan(client_for, organization, catalog):
    subscribed(organization, catalog, "team", seats=5)
    stranger = MembershipFactory(organization=OrganizationFactory(slug="elsewhere")).user

    html = client_for(stranger).get("/pricing/").content.decode()

    assert "Your plan</span>" not in html and "Northwind" not in html
