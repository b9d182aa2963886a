import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from licensing.catalog import page as pricing_page
from licensing.catalog.page import CSRF_PLACEHOLDER
from licensing.catalog.publishing import tier_version_create_draft, tier_version_publish
from licensing.catalog.selectors import versions_with_parts
from licensing.models import FeatureCategory
from tests.factories import (
    FeatureFactory,
    LimitMetricFactory,
    ProductFactory,
    TierFactory,
    build_draft,
    build_published,
)


def test_it_shows_every_price_limit_feature_and_support(client, widget_catalog):
    response = client.get("/pricing/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Starter" in html and "Pro" in html
    assert "$29.00" in html and "$290.00 a year" in html
    # The exact annual saving: 12 x 29 - 290 = 58, 16.7 %.
    assert "$58.00 (16.7%)" in html
    assert "5 seats" in html and "25 seats" in html and "Unlimited" in html
    assert "Single sign-on" in html and "Not included" in html and "Included" in html
    assert "Premium features" in html and "Extended features" in html
    assert "Priority" in html and "Within 4 h" in html
    assert "Most popular" in html
    assert 'href="/app/buy/?tier=pro&amp;cycle=monthly&amp;currency=USD"' in html


def test_it_switches_currency_and_cycle_with_query_parameters(client, widget_catalog):
    response = client.get("/pricing/?currency=EUR&cycle=annual")
    html = response.content.decode()
    assert response.status_code == 200
    assert "€290.00" in html and "a year" in html
    assert "€24.17 a month, billed yearly" in html
    assert 'href="?currency=EUR&amp;cycle=annual" hx-get' in html  # shareable, current


def test_it_accepts_a_lowercase_currency(client, widget_catalog):
    assert "£29.00" in client.get("/pricing/?currency=gbp").content.decode()


def test_it_formats_money_for_the_visitors_locale(client, widget_catalog):
    html = client.get("/pricing/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9").content.decode()
    # A German visitor sees euros by default, written the German way.
    assert "29,00\xa0€" in html
    assert "(16,7\xa0%)" in html
    assert "Accept-Language" in client.get("/pricing/")["Vary"]


def test_it_returns_only_the_matrix_to_htmx(client, widget_catalog):
    response = client.get("/pricing/?currency=GBP", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="pricing-matrix"')
    assert "<html" not in html
    assert "£29.00" in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("currency=XYZ", "Prices are not available in XYZ. Showing USD"),
        ("currency=", "Prices are not available in an empty value"),
        ("currency=%3Cscript%3E", "Prices are not available in &lt;script&gt;"),
        ("cycle=weekly", "is not a billing cycle. Showing monthly prices"),
        ("cycle=" + "x" * 500, "is not a billing cycle"),
    ],
)
def test_it_explains_bad_parameters_with_a_400(client, widget_catalog, query, message):
    response = client.get(f"/pricing/?{query}")
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert "$29.00" in html  # still a usable page
    assert "<script>" not in html.lower().split("<body", 1)[1].split("pricing-matrix")[0]


def test_it_never_shows_drafts_or_private_tiers(client, widget_catalog):
    hidden = TierFactory(product=widget_catalog.product, name="Secret", is_public=False)
    build_published(hidden, features=[widget_catalog.features["keys"]])
    draft_only = TierFactory(product=widget_catalog.product, name="Upcoming")
    build_draft(draft_only, features=[widget_catalog.features["keys"]])
    html = client.get("/pricing/").content.decode()
    assert "Secret" not in html and "Upcoming" not in html


def test_it_is_cached_and_refreshed_when_a_version_is_published(
    client, widget_catalog, django_capture_on_commit_callbacks
):
    client.get("/pricing/")
    with CaptureQueriesContext(connection) as queries:
        client.get("/pricing/")
    assert len(queries) == 0

    draft = tier_version_create_draft(
        tier=widget_catalog.tiers["starter"],
        source=versions_with_parts().get(pk=widget_catalog.versions["starter"].pk),
    )
    draft.price_rows.filter(currency="USD", cycle="monthly").update(amount="31.00")
    draft.changelog_note = "Costs went up."
    draft.save()
    assert "$31.00" not in client.get("/pricing/").content.decode()  # drafts change nothing
    with django_capture_on_commit_callbacks(execute=True):
        tier_version_publish(version=draft)
    assert "$31.00" in client.get("/pricing/").content.decode()


def _catalog_of(size: int):
    product = ProductFactory()
    features = [
        FeatureFactory(product=product, category=category)
        for _ in range(size)
        for category in FeatureCategory.values
    ]
    metrics = [LimitMetricFactory(product=product) for _ in range(size)]
    for index in range(size):
        tier = TierFactory(product=product)
        build_published(
            tier,
            features=features[: (index + 1) * 3],
            limits={metric: 10 * (index + 1) for metric in metrics},
        )


def _queries_for_pricing(client) -> int:
    from django.core.cache import cache

    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/pricing/?currency=EUR").status_code == 200
    return len(queries)


def test_its_query_count_does_not_grow_with_tiers_or_features(client, currencies):
    _catalog_of(2)
    small = _queries_for_pricing(client)
    _catalog_of(6)  # a second product: 8 tiers, 24 more features, 6 more limits
    large = _queries_for_pricing(client)
    assert small == large
    assert large <= 8


def test_it_gives_each_visitor_their_own_csrf_token_from_the_cached_page(client, widget_catalog):
    from django.test import Client

    first = client.get("/pricing/")
    second = Client().get("/pricing/")
    for response in (first, second):
        html = response.content.decode()
        assert CSRF_PLACEHOLDER not in html
        assert "x-csrftoken" in html
    assert first.cookies["csrftoken"].value != second.cookies["csrftoken"].value


def test_it_does_not_serve_the_anonymous_page_to_a_signed_in_customer(
    client, widget_catalog, owner
):
    client.get("/pricing/")  # fills the cache for anonymous visitors
    client.force_login(owner)
    html = client.get("/pricing/").content.decode()
    assert owner.email in html and "$29.00" in html


def test_it_never_serves_a_page_cached_by_another_release(client, widget_catalog, monkeypatch):
    first = client.get("/pricing/")
    assert first.status_code == 200
    # The same catalog, but the code or templates changed in a deploy.
    monkeypatch.setattr(pricing_page, "RELEASE", "next-release")
    monkeypatch.setattr(pricing_page, "render_to_string", _marking(pricing_page.render_to_string))
    second = client.get("/pricing/")
    assert "rendered-by-next-release" in second.content.decode()


def _marking(render):
    def render_and_mark(template, *args, **kwargs):
        return str(render(template, *args, **kwargs)) + "<!-- rendered-by-next-release -->"

    return render_and_mark
