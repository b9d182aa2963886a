"""A feature's key is how license files and the licensing API name it, so the customers'
software checks it: once the feature is in use — in a published (or retired) tier
version, granted by a bought add-on, or named by any license (an admin's override,
feature use its software reported) — the key is read-only in the admin, which says why,
and refused below it (licensing.models.licenses.refuse_key_change_if_used). Its name may
still change; a feature nothing uses yet keeps an editable key. "Now" is 14 March 2026."""

import re

import pytest
from django.db import transaction
from django.urls import reverse

from licensing.licenses.services import entitlement_override_grant, license_set_addon
from licensing.models import Addon, Feature, FeatureKeyInUseError, FeatureUse
from tests.factories import FeatureFactory
from tests.helpers.licenses import SYSTEM


def _change_url(feature: Feature) -> str:
    return reverse("admin:licensing_feature_change", args=[feature.pk])


def _post(admin_client, feature: Feature, **changes):
    data = {
        "product": feature.product_id,
        "key": feature.key,
        "name": feature.name,
        "category": feature.category,
        "outcome": feature.outcome,
        "order": feature.order,
    } | changes
    return admin_client.post(_change_url(feature), data)


@pytest.fixture
def unused(issued):
    """A feature of the licensed product that no version, add-on or license names."""
    return FeatureFactory(product=issued.license.product, key="sso-beta", name="SSO beta")


def test_a_published_versions_feature_key_is_read_only_with_the_reason(admin_client, issued):
    coupons = Feature.objects.get(key="coupons")
    page = admin_client.get(_change_url(coupons)).content.decode()
    assert 'name="key"' not in page  # shown, not offered
    assert "The key is read-only: license files and the licensing API name this feature" in page
    assert "Team v2 (published)" in page

    response = _post(admin_client, coupons, key="vouchers", name="Vouchers")

    assert response.status_code == 302
    coupons.refresh_from_db()
    assert (coupons.key, coupons.name) == ("coupons", "Vouchers")  # only the name moved
    assert Feature.objects.filter(key="vouchers").count() == 0


def test_below_the_admin_a_used_key_is_refused(issued):
    coupons = Feature.objects.get(key="coupons")
    coupons.key = "vouchers"
    with pytest.raises(FeatureKeyInUseError, match="Team v2 \\(published\\)"), transaction.atomic():
        coupons.save()
    assert Feature.objects.filter(key="coupons").exists()


def test_an_unused_features_key_stays_editable(admin_client, unused):
    page = admin_client.get(_change_url(unused)).content.decode()
    assert 'name="key"' in page
    assert "The key is read-only" not in page

    assert _post(admin_client, unused, key="sso-preview").status_code == 302
    unused.refresh_from_db()
    assert unused.key == "sso-preview"


def _bought_addon(issued, feature):
    addon = Addon.objects.create(product=feature.product, key="sso-pack", name="SSO pack")
    addon.features.add(feature)
    license_set_addon(
        license=issued.license, addon=addon, quantity=1, actor=SYSTEM, reason="Bought."
    )


def _override(issued, feature):
    entitlement_override_grant(
        license=issued.license, actor=SYSTEM, reason="Pilot.", feature=feature
    )


def _reported(issued, feature):
    FeatureUse.objects.create(
        license=issued.license,
        feature=feature,
        count=1,
        used_at=issued.license.created_at,
        idempotency_key="once",
        batch="00000000-0000-0000-0000-000000000001",
    )


@pytest.mark.parametrize(
    "use, reason",
    [
        (_bought_addon, "add-on SSO pack (bought)"),
        (_override, "1 license"),
        (_reported, "1 license"),
    ],
    ids=["bought-addon", "override", "feature-use"],
)
def test_a_key_a_license_relies_on_is_read_only_and_refused(
    admin_client, issued, unused, use, reason
):
    use(issued, unused)

    page = admin_client.get(_change_url(unused)).content.decode()
    assert 'name="key"' not in page
    assert reason in page
    unused.key = "sso-preview"
    with pytest.raises(FeatureKeyInUseError, match=re.escape(reason)), transaction.atomic():
        unused.save()
