from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.utils import timezone

from licensing.catalog.publishing import tier_version_create_draft
from licensing.catalog.selectors import versions_with_parts
from licensing.models import ChangelogEntry, TierVersion, TierVersionPrice, VersionStatus

CHANGELIST = "/admin/licensing/tierversion/"


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _draft_of(widget_catalog, key: str, *, reason: str = "Better value.") -> TierVersion:
    draft = tier_version_create_draft(
        tier=widget_catalog.tiers[key],
        source=versions_with_parts().get(pk=widget_catalog.versions[key].pk),
    )
    draft.changelog_note = reason
    draft.save()
    return draft


def test_it_shows_a_published_version_read_only(admin_client, widget_catalog):
    version = widget_catalog.versions["starter"]
    response = admin_client.get(f"{CHANGELIST}{version.pk}/change/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="support_level"' not in html
    assert "New draft from this version" in html and "Retire…" in html
    assert 'name="_save"' not in html and 'name="_continue"' not in html
    # A forged POST changes nothing either.
    admin_client.post(f"{CHANGELIST}{version.pk}/change/", {"support_level": "Gold"})
    version.refresh_from_db()
    assert version.support_level == "Standard"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("amount", "-5.00", "Ensure this value is greater than or equal to 0"),
        # Once a 500: the row's name was drawn from the refused value.
        ("min_seats", "0", "Ensure this value is greater than or equal to 1"),
    ],
)
def test_it_refuses_a_price_row_it_cannot_keep_with_a_message(
    admin_client, widget_catalog, field, value, message
):
    draft = _draft_of(widget_catalog, "starter")
    prices = list(draft.price_rows.order_by("pk"))
    data = {
        "support_level": "Standard",
        "support_response_hours": "24",
        "support_channels": "Email",
        "training": "",
        "roi_hours_saved_per_person_week": "1",
        "roi_errors_avoided_per_year": "2",
        "changelog_note": "x",
        "feature_rows-TOTAL_FORMS": "0",
        "feature_rows-INITIAL_FORMS": "0",
        "limit_rows-TOTAL_FORMS": "0",
        "limit_rows-INITIAL_FORMS": "0",
        "price_rows-TOTAL_FORMS": str(len(prices)),
        "price_rows-INITIAL_FORMS": str(len(prices)),
    }
    for index, price in enumerate(prices):
        data.update(
            {
                f"price_rows-{index}-id": str(price.pk),
                f"price_rows-{index}-version": str(draft.pk),
                f"price_rows-{index}-currency": price.currency_id,
                f"price_rows-{index}-cycle": price.cycle,
                f"price_rows-{index}-amount": str(price.amount),
                f"price_rows-{index}-per_seat": "on",
                f"price_rows-{index}-min_seats": "1",
            }
        )
    data[f"price_rows-0-{field}"] = value
    response = admin_client.post(f"{CHANGELIST}{draft.pk}/change/", data)
    assert response.status_code == 200
    assert message in response.content.decode()
    kept = TierVersionPrice.objects.get(pk=prices[0].pk)
    assert (kept.amount, kept.min_seats) == (prices[0].amount, prices[0].min_seats)


def test_a_currencys_code_is_set_once(admin_client, widget_catalog):
    """Prices, subscriptions and invoices refer to a currency by its code: changing it
    was a 500 (a foreign key failed); it is read-only once the currency exists."""
    from licensing.models import Currency

    usd = Currency.objects.get(code="USD")
    page = admin_client.get(f"/admin/licensing/currency/{usd.pk}/change/").content.decode()
    assert 'name="code"' not in page
    response = admin_client.post(
        f"/admin/licensing/currency/{usd.pk}/change/",
        {"code": "CHF", "name": usd.name, "enabled": "on", "order": str(usd.order)},
    )
    assert response.status_code == 302
    assert Currency.objects.filter(pk=usd.pk, code="USD").exists()
    assert not Currency.objects.filter(code="CHF").exists()
    add = admin_client.get("/admin/licensing/currency/add/").content.decode()
    assert 'name="code"' in add


def test_it_refuses_to_publish_an_incomplete_draft_with_a_message(admin_client, widget_catalog):
    draft = _draft_of(widget_catalog, "starter", reason="")
    draft.price_rows.filter(currency="EUR").delete()
    confirm = admin_client.get(f"{CHANGELIST}{draft.pk}/publish/")
    assert "Add the monthly price in EUR." in confirm.content.decode()
    assert "Yes, publish" not in confirm.content.decode()

    response = admin_client.post(
        f"{CHANGELIST}{draft.pk}/publish/", {"confirm": "yes", "notice_days": "90"}, follow=True
    )
    messages = _messages(response)
    assert any("was not published: Add the annual price in EUR." in m for m in messages)
    assert any("Write the reason" in m for m in messages)
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT
    assert widget_catalog.versions["starter"].tier.versions.filter(status="published").count() == 1


def test_it_publishes_drafts_through_the_confirmation_page(admin_client, widget_catalog):
    draft = _draft_of(widget_catalog, "pro")
    draft.price_rows.filter(currency="USD", cycle="monthly").update(amount=Decimal("109.00"))
    selection = {"action": "publish_versions", ACTION_CHECKBOX_NAME: [draft.pk]}

    confirm = admin_client.post(CHANGELIST, selection)
    html = confirm.content.decode()
    assert confirm.status_code == 200
    assert "Price in USD (monthly): $99.00 → $109.00." in html
    assert "Yes, publish" in html
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT  # nothing happens before confirming

    response = admin_client.post(
        CHANGELIST, {**selection, "confirm": "yes", "notice_days": "30"}, follow=True
    )
    assert "Published Pro v2." in _messages(response)
    draft.refresh_from_db()
    old = TierVersion.objects.get(pk=widget_catalog.versions["pro"].pk)
    assert draft.status == VersionStatus.PUBLISHED
    assert old.status == VersionStatus.RETIRED
    assert old.notice_date == timezone.localdate() + timedelta(days=30)
    assert ChangelogEntry.objects.filter(version=draft).exists()


def test_it_refuses_a_negative_notice(admin_client, widget_catalog):
    draft = _draft_of(widget_catalog, "pro")
    response = admin_client.post(
        f"{CHANGELIST}{draft.pk}/publish/", {"confirm": "yes", "notice_days": "-3"}
    )
    assert response.status_code == 200
    assert "greater than or equal to 0" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT


def test_it_retires_through_the_confirmation_page(admin_client, widget_catalog):
    starter, pro = widget_catalog.versions["starter"], widget_catalog.versions["pro"]
    url = f"{CHANGELIST}{starter.pk}/retire/"
    assert "Suggested successor" in admin_client.get(url).content.decode()

    past = admin_client.post(
        url,
        {"confirm": "yes", "successor": pro.pk, "notice_date": "2000-01-01", "reason": "Merged."},
    )
    assert "cannot be in the past" in past.content.decode()
    starter.refresh_from_db()
    assert starter.status == VersionStatus.PUBLISHED

    later = (timezone.localdate() + timedelta(days=120)).isoformat()
    response = admin_client.post(
        url,
        {"confirm": "yes", "successor": pro.pk, "notice_date": later, "reason": "Merged."},
        follow=True,
    )
    assert "Retired Starter v1." in _messages(response)
    starter.refresh_from_db()
    assert (starter.status, starter.successor_id) == (VersionStatus.RETIRED, pro.pk)


def test_it_refuses_to_retire_a_draft(admin_client, widget_catalog):
    draft = _draft_of(widget_catalog, "pro")
    response = admin_client.post(
        CHANGELIST, {"action": "retire_versions", ACTION_CHECKBOX_NAME: [draft.pk]}, follow=True
    )
    assert any("only published versions can be retired" in m for m in _messages(response))


def test_it_starts_a_new_draft_from_a_published_version(admin_client, widget_catalog):
    pro = widget_catalog.versions["pro"]
    response = admin_client.post(f"{CHANGELIST}{pro.pk}/new-draft/")
    draft = TierVersion.objects.get(tier=pro.tier, status=VersionStatus.DRAFT)
    assert response["Location"] == f"{CHANGELIST}{draft.pk}/change/"
    again = admin_client.post(f"{CHANGELIST}{pro.pk}/new-draft/", follow=True)
    assert any("already has a draft" in m for m in _messages(again))
    assert admin_client.get(f"{CHANGELIST}{draft.pk}/change/").status_code == 200


def test_it_previews_a_draft_for_staff_only(admin_client, client, widget_catalog, teammate):
    draft = _draft_of(widget_catalog, "pro")
    draft.price_rows.filter(currency="USD", cycle="monthly").update(amount=Decimal("123.00"))
    url = f"{CHANGELIST}{draft.pk}/preview/"

    html = admin_client.get(url).content.decode()
    assert "Preview, not public" in html and "$123.00" in html
    assert "$123.00" not in client.get("/pricing/").content.decode()

    client.force_login(teammate)
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == f"/admin/login/?next={url}"


def test_it_does_not_revert_history(admin_client, widget_catalog):
    version = widget_catalog.versions["starter"]
    record = version.history.earliest()
    url = f"{CHANGELIST}{version.pk}/history/{record.history_id}/"
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, {"support_level": "Gold"}, follow=True)
    assert any("read-only" in m for m in _messages(response))
    version.refresh_from_db()
    assert version.support_level == "Standard"


@pytest.mark.parametrize(
    "path",
    [
        "/admin/licensing/tier/",
        "/admin/licensing/feature/",
        "/admin/licensing/limitmetric/",
        "/admin/licensing/currency/",
        "/admin/licensing/product/",
        "/admin/licensing/changelogentry/",
        "/admin/licensing/policyversion/",
        "/admin/licensing/tierversion/",
        "/admin/licensing/tierversion/add/",
    ],
)
def test_it_opens_every_catalog_admin_page(admin_client, widget_catalog, path):
    assert admin_client.get(path).status_code == 200


def test_a_draft_cannot_save_more_hours_a_week_than_a_week_has(widget_catalog):
    from django.core.exceptions import ValidationError

    draft = _draft_of(widget_catalog, "starter")
    draft.roi_hours_saved_per_person_week = Decimal("200")
    with pytest.raises(ValidationError, match="A week has 168 hours"):
        draft.full_clean()
    draft.roi_hours_saved_per_person_week = Decimal("168")
    draft.full_clean()
