"""A product's feature keys, and its limit metric keys, differ by more than case: the
admin refuses "Coupons" beside "coupons" (or "API-Calls" beside "api-calls") with a form
error on the key, rather than storing two keys a person reads as one. "Now" is 14 March
2026."""

import pytest
from django.urls import reverse

from licensing.models import Feature, LimitMetric
from tests.factories import FeatureFactory

CASE_ERROR = "keys must differ by more than upper and lower case"


@pytest.fixture
def product(now, catalog):
    return Feature.objects.get(key="coupons").product


def _add_feature(admin_client, product, key):
    return admin_client.post(
        reverse("admin:licensing_feature_add"),
        {
            "product": product.pk,
            "key": key,
            "name": "Coupons again",
            "category": "core",
            "outcome": "Twice.",
            "order": 9,
        },
    )


def _add_metric(admin_client, product, key):
    return admin_client.post(
        reverse("admin:licensing_limitmetric_add"),
        {
            "product": product.pk,
            "key": key,
            "name": "Calls again",
            "unit": "calls",
            "reset_period": "monthly",
            "order": 9,
        },
    )


@pytest.mark.parametrize(
    "add, key, named, model",
    [
        (_add_feature, "Coupons", "a feature with the key &#x27;coupons&#x27;", Feature),
        (
            _add_metric,
            "API-Calls",
            "a limit metric with the key &#x27;api-calls&#x27;",
            LimitMetric,
        ),
    ],
    ids=["feature", "metric"],
)
def test_a_key_equal_ignoring_case_is_refused_with_a_form_error(
    admin_client, product, add, key, named, model
):
    response = add(admin_client, product, key)

    assert response.status_code == 200
    page = response.content.decode()
    assert CASE_ERROR in page
    assert named in page
    assert not model.objects.filter(key=key).exists()


def test_renaming_a_feature_key_onto_another_ignoring_case_is_refused(admin_client, product):
    beta = FeatureFactory(product=product, key="sso-beta", name="SSO beta", category="core")
    response = admin_client.post(
        reverse("admin:licensing_feature_change", args=[beta.pk]),
        {
            "product": product.pk,
            "key": "COUPONS",
            "name": beta.name,
            "category": beta.category,
            "outcome": beta.outcome,
            "order": beta.order,
        },
    )

    assert response.status_code == 200
    assert CASE_ERROR in response.content.decode()
    beta.refresh_from_db()
    assert beta.key == "sso-beta"


def test_a_different_key_is_still_accepted(admin_client, product):
    assert _add_feature(admin_client, product, "coupons-plus").status_code == 302
    assert _add_metric(admin_client, product, "api-calls-plus").status_code == 302
    assert Feature.objects.filter(product=product, key="coupons-plus").exists()
    assert LimitMetric.objects.filter(product=product, key="api-calls-plus").exists()
