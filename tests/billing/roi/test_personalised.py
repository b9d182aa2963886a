"""The calculator for a signed-in member: seats, tier and currency from the license, and
what each tier would have meant for the organization's own recent usage."""

from datetime import UTC, date, datetime

import pytest

from licensing.licenses.services import Actor, license_create
from licensing.usage.services import UsageReport, usage_record_batch
from portal.access import CURRENT_ORGANIZATION_KEY
from tests.factories import CurrencyFactory, FeatureFactory, TierFactory, build_published

SETUP = Actor(label="test setup")


def license_on(organization, version, *, seats=40):
    return license_create(
        organization=organization,
        version=version,
        seats=seats,
        term_start=date(2026, 1, 1),
        term_end=date(2026, 12, 31),
        actor=SETUP,
        reason="Bought in the test.",
        at=datetime(2026, 1, 1, tzinfo=UTC),
    ).license


def report(license, now, *calls):
    """calls: (year, month, day, quantity) API-call reports."""
    usage_record_batch(
        license=license,
        reports=[
            UsageReport("api-calls", quantity, f"calls-{y}-{m}-{d}", datetime(y, m, d, tzinfo=UTC))
            for y, m, d, quantity in calls
        ],
        at=now,
    )


@pytest.fixture
def business(organization, roi_catalog, now):
    return license_on(organization, roi_catalog.versions["business"])


def test_it_prefills_seats_tier_and_currency_from_the_license(
    client_for, owner, teammate, business
):
    # We sell in GBP too, but the license is priced only in USD and EUR.
    CurrencyFactory(code="GBP", order=2)
    response = client_for(owner).get("/roi/", HTTP_ACCEPT_LANGUAGE="en-GB")
    page = response.content.decode()
    form = response.context["form"]
    assert form["team_size"].value() == "40"  # the license's seats, not the 2 members
    assert form["currency"].value() == "USD"
    assert "40 seats on your license" in page
    assert "your license is priced in USD, EUR" in page
    assert response.context["current_tier"] == "business"
    assert page.count("Your tier") == 1
    assert "roi-card--current" in page
    assert "Legacy" not in page


def test_it_keeps_the_visitors_currency_when_the_license_is_priced_in_it(
    client_for, owner, business
):
    response = client_for(owner).get("/roi/", HTTP_ACCEPT_LANGUAGE="de-DE")
    assert response.context["form"]["currency"].value() == "EUR"


def test_the_query_string_still_wins_over_the_license(client_for, owner, business):
    response = client_for(owner).get("/roi/?team_size=7&currency=EUR")
    assert response.context["form"]["team_size"].value() == "7"
    assert response.context["form"]["currency"].value() == "EUR"


def test_it_marks_a_grandfathered_license_as_legacy(client_for, owner, organization, roi_catalog):
    license_on(organization, roi_catalog.versions["business"])
    keys = roi_catalog.versions["business"].feature_rows.get().feature
    build_published(
        roi_catalog.versions["business"].tier, features=[keys], monthly="6500.00", annual="65000.00"
    )
    page = client_for(owner).get("/roi/").content.decode()
    assert "Legacy" in page
    assert "You keep this retired version" in page
    assert "Your tier (legacy v1)" in page


def test_it_states_what_recent_usage_would_have_meant_on_each_tier(
    client_for, owner, business, now
):
    # now is 14 March 2026: the last completed months are December to February.
    report(
        business,
        now,
        (2025, 11, 10, 900_000),  # before the window
        (2025, 12, 5, 96_000),
        (2026, 1, 5, 60_000),  # January adds up to 118,000
        (2026, 1, 20, 58_000),
        (2026, 2, 5, 104_000),
        (2026, 3, 2, 500_000),  # the current month is not complete
    )
    response = client_for(owner).get("/roi/")
    page = response.content.decode()
    assert "December 2025 to February 2026" in page
    assert "API calls a month: peak 118,000 calls" in page
    assert "900,000" not in page and "500,000" not in page
    assert (
        "On Enterprise you would not have hit the API calls a month limit in 2 of the last 3"
        " months" in page
    )
    assert (
        "On Business you would have hit the API calls a month limit in 2 of the last 3 months:"
        " your peak was 118,000 calls, the limit is 100,000 calls." in page
    )
    assert "On Starter you would have hit the API calls a month limit in 3 of the last 3" in page
    outlooks = {result.tier.slug: outlook for result, outlook in response.context["cards"]}
    assert [(o.over, o.relieved) for o in outlooks["enterprise"].limits] == [(0, 2)]
    # The same statements come back in the htmx swap.
    swapped = client_for(owner).get("/roi/?team_size=40", HTTP_HX_REQUEST="true")
    assert "On Enterprise you would not have hit" in swapped.content.decode()


def test_it_says_so_when_the_license_has_no_usage_yet(client_for, owner, business):
    page = client_for(owner).get("/roi/").content.decode()
    assert "Your software reported no usage for the last 3 completed months" in page
    assert "December 2025 to February 2026" in page
    assert "On Business you would" not in page and "fits every limit" not in page


def test_an_outsider_sees_only_their_own_organization(
    client_for, outsider, organization, business, now
):
    report(business, now, (2026, 2, 5, 104_000))
    client = client_for(outsider)
    # Even with Northwind forced into the session, the calculator uses Elsewhere.
    session = client.session
    session[CURRENT_ORGANIZATION_KEY] = organization.pk
    session.save()
    response = client.get("/roi/")
    page = response.content.decode()
    assert response.context["facts"].organization.slug == "elsewhere"
    assert "Pre-filled for Elsewhere" in page
    assert "Northwind" not in page
    assert "104,000" not in page and "Your tier" not in page
    assert response.context["form"]["team_size"].value() == "1"


def test_an_anonymous_visitor_gets_the_public_defaults(client, business, now):
    report(business, now, (2026, 2, 5, 104_000))
    response = client.get("/roi/")
    page = response.content.decode()
    assert response.context["facts"] is None
    assert response.context["form"]["team_size"].value() == "10"
    assert "Pre-filled for" not in page and "104,000" not in page


def test_it_uses_the_license_of_the_product_shown(client_for, owner, business, roi_catalog):
    other = TierFactory(name="Solo", slug="solo")
    build_published(other, features=[FeatureFactory(product=other.product)])
    response = client_for(owner).get(f"/roi/?product={other.product.slug}")
    page = response.content.decode()
    assert response.context["product"] == other.product.slug
    assert response.context["current_tier"] is None
    assert "has no license for this product yet" in page
    # Without a product in the address, the calculator opens on the licensed one.
    assert client_for(owner).get("/roi/").context["product"] == "widget"


def test_when_the_recommendation_is_your_tier_it_shows_your_plan(client_for, owner, business):
    page = client_for(owner).get("/roi/?team_size=40&hourly_cost=75&cycle=annual")
    html = page.content.decode()
    assert page.context["outcome"].recommended.tier.slug == "business"
    assert 'href="/app/northwind/">See your plan</a>' in html
    assert "checkout/?tier=business" not in html


def test_a_subscribed_customer_is_prefilled_as_billed_today(
    client_for, owner, organization, catalog, now
):
    """The cycle and currency the subscription bills in (a monthly plan in USD, though
    its version is priced in three currencies); the query string still decides."""
    from tests.helpers.checkout import subscribed

    subscribed(organization, catalog, "team", seats=5, cycle="monthly", currency="USD")
    response = client_for(owner).get("/roi/", HTTP_ACCEPT_LANGUAGE="de-DE")
    page = response.content.decode()
    assert response.context["form"]["cycle"].value() == "monthly"
    assert response.context["form"]["currency"].value() == "USD"
    assert "(what your license is billed in; change it below)" in page
    assert "priced in USD, EUR" not in page
    asked = client_for(owner).get("/roi/?cycle=annual")
    assert asked.context["form"]["cycle"].value() == "annual"
