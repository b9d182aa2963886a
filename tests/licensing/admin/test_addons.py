"""A bought add-on keeps what it grants (PRODUCT rule 2): once a license has bought it, its
features, the room each unit adds, its key and name are frozen, in the admin and below
it (licensing.models.licenses.refuse_if_bought); editing them in place would change every
license that bought it mid-term with nothing on their record, no new license file, and
the API answering from its cache what the pages no longer show."""

import pytest
from django.db import transaction
from django.urls import reverse

from licensing.licenses.entitlements import license_entitlements
from licensing.licenses.services import license_set_addon
from licensing.models import Addon, AddonLimit, BoughtAddonError, Feature
from tests.helpers.licenses import SYSTEM


@pytest.fixture
def pack(catalog, issued):
    addon = Addon.objects.create(product=issued.license.product, key="calls-pack", name="Call pack")
    AddonLimit.objects.create(addon=addon, metric=catalog.metric("api-calls"), extra=25_000)
    return addon


@pytest.fixture
def bought(pack, issued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        license_set_addon(
            license=issued.license, addon=pack, quantity=2, actor=SYSTEM, reason="Bought."
        )
    return pack


def _post(admin_client, addon, *, extra: str, description: str = ""):
    row = addon.limit_rows.get()
    return admin_client.post(
        reverse("admin:licensing_addon_change", args=[addon.pk]),
        {
            "product": addon.product_id,
            "key": addon.key,
            "name": addon.name,
            "description": description,
            "limit_rows-TOTAL_FORMS": "1",
            "limit_rows-INITIAL_FORMS": "1",
            "limit_rows-MIN_NUM_FORMS": "0",
            "limit_rows-MAX_NUM_FORMS": "1000",
            "limit_rows-0-id": row.pk,
            "limit_rows-0-addon": addon.pk,
            "limit_rows-0-metric": row.metric_id,
            "limit_rows-0-extra": extra,
        },
    )


def test_the_admin_keeps_what_a_bought_add_on_grants(admin_client, bought, issued, api):
    license = issued.license
    assert license_entitlements(license=license).limit("api-calls") == 150_000
    page = admin_client.get(reverse("admin:licensing_addon_change", args=[bought.pk]))
    text = page.content.decode()
    assert "Bought on 1 license: what it grants is frozen" in text
    assert 'name="limit_rows-0-extra"' not in text  # shown, not offered
    assert 'name="key"' not in text and 'name="description"' in text

    response = _post(admin_client, bought, extra="1000", description="Sold by the pack.")

    assert response.status_code == 302
    bought.refresh_from_db()
    assert bought.description == "Sold by the pack."  # the description may change
    assert bought.limit_rows.get().extra == 25_000
    assert license_entitlements(license=license).limit("api-calls") == 150_000
    answer = api("licenses/validate", {"key": issued.key}).json()
    assert answer["entitlements"]["limits"]["api-calls"]["value"] == 150_000


def test_an_add_on_nobody_bought_is_edited_in_the_admin(admin_client, pack):
    page = admin_client.get(reverse("admin:licensing_addon_change", args=[pack.pk]))
    assert 'name="limit_rows-0-extra"' in page.content.decode()
    assert _post(admin_client, pack, extra="1000").status_code == 302
    assert pack.limit_rows.get().extra == 1_000


def test_below_the_admin_a_bought_add_on_refuses_every_change_to_what_it_grants(bought, catalog):
    row = bought.limit_rows.get()
    row.extra = 1_000
    with pytest.raises(BoughtAddonError, match="bought on 1 license"), transaction.atomic():
        row.save()
    with pytest.raises(BoughtAddonError), transaction.atomic():
        row.delete()
    with pytest.raises(BoughtAddonError), transaction.atomic():
        AddonLimit.objects.create(addon=bought, metric=catalog.metric("seats"), extra=5)
    feature = bought.product.features.get(key="sso")
    with pytest.raises(BoughtAddonError), transaction.atomic():
        bought.features.add(feature)
    with pytest.raises(BoughtAddonError), transaction.atomic():
        bought.features.set([feature])
    bought.name = "Calls galore"
    with pytest.raises(BoughtAddonError), transaction.atomic():
        bought.save()
    bought.refresh_from_db()
    bought.description = "Sold by the pack."
    bought.save()
    assert Addon.objects.get(pk=bought.pk).limit_rows.get().extra == 25_000
    assert not bought.features.exists()


def test_a_feature_only_a_bought_add_on_grants_cannot_be_deleted(admin_client, issued):
    """Deleting a feature removes it from the add-ons that grant it in bulk, with no
    m2m_changed: the admin shows it as protected, single or in bulk, and below the admin
    the delete is refused."""
    license = issued.license
    export = Feature.objects.create(
        product=license.product, key="audit-export", name="Audit export", category="core"
    )
    addon = Addon.objects.create(product=license.product, key="audit", name="Audit pack")
    addon.features.add(export)
    license_set_addon(license=license, addon=addon, quantity=1, actor=SYSTEM, reason="Bought.")

    page = admin_client.post(
        reverse("admin:licensing_feature_delete", args=[export.pk]), {"post": "yes"}
    )
    assert page.status_code == 200
    assert "Add-on: Audit pack (bought; it keeps what it grants)" in page.content.decode()
    bulk = admin_client.post(
        reverse("admin:licensing_feature_changelist"),
        {"action": "delete_selected", "_selected_action": [export.pk], "post": "yes"},
    )
    assert bulk.status_code == 200
    with pytest.raises(BoughtAddonError, match="Audit export"), transaction.atomic():
        export.delete()
    assert Feature.objects.filter(pk=export.pk).exists()
    assert license_entitlements(license=license).has("audit-export")


def test_a_feature_of_an_add_on_nobody_bought_is_deleted(admin_client, pack, catalog):
    feature = pack.product.features.create(key="spare", name="Spare", category="core")
    pack.features.add(feature)
    admin_client.post(reverse("admin:licensing_feature_delete", args=[feature.pk]), {"post": "yes"})
    assert not pack.features.exists()
