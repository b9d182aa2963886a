from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from licensing.catalog.cache import catalog_generation
from licensing.catalog.publishing import (
    tier_version_create_draft,
    tier_version_problems,
    tier_version_publish,
    tier_version_retire,
)
from licensing.catalog.selectors import versions_with_parts
from licensing.models import (
    ChangeKind,
    ChangelogEntry,
    FrozenVersionError,
    TierVersionFeature,
    TierVersionLimit,
    TierVersionPrice,
    VersionStatus,
)
from tests.factories import (
    CurrencyFactory,
    LimitMetricFactory,
    TierFactory,
    build_draft,
)


def _source(version):
    return versions_with_parts().get(pk=version.pk)


def test_it_freezes_a_published_version(widget_catalog):
    version = widget_catalog.versions["starter"]
    version.support_level = "Gold"
    with pytest.raises(FrozenVersionError):
        version.save()
    with pytest.raises(FrozenVersionError):
        TierVersionPrice.objects.filter(version=version).first().delete()
    price = TierVersionPrice.objects.get(version=version, currency="USD", cycle="monthly")
    price.amount = Decimal("1.00")
    with pytest.raises(FrozenVersionError):
        price.save()
    with pytest.raises(FrozenVersionError):
        TierVersionFeature.objects.create(version=version, feature=widget_catalog.features["sso"])
    version.refresh_from_db()
    assert version.support_level == "Standard"
    assert TierVersionPrice.objects.get(pk=price.pk).amount == Decimal("29.00")


def test_it_refuses_to_publish_twice(widget_catalog):
    with pytest.raises(ValidationError, match="not a draft"):
        tier_version_publish(version=widget_catalog.versions["pro"])


def test_it_starts_a_draft_as_a_copy_of_the_published_version(widget_catalog):
    source = _source(widget_catalog.versions["pro"])
    draft = tier_version_create_draft(tier=widget_catalog.tiers["pro"], source=source)
    assert (draft.number, draft.status) == (2, VersionStatus.DRAFT)
    assert draft.support_level == "Priority"
    assert set(draft.feature_rows.values_list("feature__key", flat=True)) == {"keys", "sso"}
    assert dict(draft.limit_rows.values_list("metric__key", "value")) == {
        "seats": 25,
        "storage": None,
    }
    assert draft.price_rows.count() == 6
    assert draft.changelog_note == ""  # the reason for the new version is the admin's to write


def test_it_allows_one_draft_per_tier(widget_catalog):
    tier_version_create_draft(tier=widget_catalog.tiers["pro"])
    with pytest.raises(ValidationError, match="already has a draft"):
        tier_version_create_draft(tier=widget_catalog.tiers["pro"])


def test_it_lists_what_is_missing_before_publishing(widget_catalog):
    CurrencyFactory(code="CHF")
    extra = LimitMetricFactory(product=widget_catalog.product, name="Integrations")
    draft = tier_version_create_draft(
        tier=widget_catalog.tiers["starter"], source=_source(widget_catalog.versions["starter"])
    )
    problems = tier_version_problems(draft)
    assert "Write the reason for this version; it is published in the changelog." in problems
    assert "Set the Integrations limit (leave the value blank for unlimited)." in problems
    assert "Add the monthly price in CHF." in problems
    assert "Add the annual price in CHF." in problems
    with pytest.raises(ValidationError):
        tier_version_publish(version=draft)
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT
    assert widget_catalog.versions["starter"].tier.versions.get(number=1).status == "published"
    assert extra.pk


def test_it_needs_a_feature_and_a_sane_annual_price(widget_catalog):
    tier = TierFactory(product=widget_catalog.product)
    draft = build_draft(tier, monthly="10.00", annual="130.00")
    problems = tier_version_problems(draft)
    assert "Include at least one feature." in problems
    assert any("more than twelve monthly payments" in p for p in problems)


def test_it_does_not_require_prices_for_a_private_tier(widget_catalog):
    tier = TierFactory(product=widget_catalog.product, is_public=False)
    draft = build_draft(tier, features=[widget_catalog.features["keys"]])
    TierVersionPrice.objects.filter(version=draft).delete()
    assert tier_version_problems(draft) == []


def test_it_retires_the_previous_version_with_notice_and_a_successor(
    widget_catalog, now, django_capture_on_commit_callbacks
):
    old = widget_catalog.versions["starter"]
    draft = tier_version_create_draft(tier=old.tier, source=_source(old))
    TierVersionLimit.objects.filter(version=draft, metric__key="seats").update(value=8)
    TierVersionPrice.objects.filter(version=draft, currency="USD", cycle="monthly").update(
        amount=Decimal("35.00")
    )
    draft.changelog_note = "More seats."
    draft.save()
    generation = catalog_generation()

    with django_capture_on_commit_callbacks(execute=True):
        published = tier_version_publish(version=draft, notice_days=60)

    old.refresh_from_db()
    assert published.status == VersionStatus.PUBLISHED
    assert old.status == VersionStatus.RETIRED
    assert old.successor == published
    assert old.notice_date == date(2026, 5, 13)
    assert old.notice_date == (now + timedelta(days=60)).date()
    entry = ChangelogEntry.objects.get(version=published)
    assert entry.kind == ChangeKind.PUBLISHED
    assert entry.previous == old
    assert entry.reason == "More seats."
    assert entry.changes == [
        "Seats: 5 seats → 8 seats.",
        "Price in USD (monthly): $29.00 → $35.00.",
    ]
    # Customers on v1 keep exactly what they bought.
    assert old.price_rows.get(currency="USD", cycle="monthly").amount == Decimal("29.00")
    assert old.limit_rows.get(metric__key="seats").value == 5
    assert catalog_generation() != generation


def test_it_retires_a_discontinued_tier_towards_another(widget_catalog, now):
    starter, pro = widget_catalog.versions["starter"], widget_catalog.versions["pro"]
    tier_version_retire(
        version=starter, successor=pro, notice_date=date(2026, 9, 1), reason="Merged into Pro."
    )
    starter.refresh_from_db()
    assert (starter.status, starter.successor, starter.notice_date) == (
        VersionStatus.RETIRED,
        pro,
        date(2026, 9, 1),
    )
    entry = ChangelogEntry.objects.get(version=starter, kind=ChangeKind.RETIRED)
    assert "keep it until at least 01 September 2026" in entry.changes[0]


@pytest.mark.parametrize(
    ("successor_key", "notice", "reason", "message"),
    [
        ("starter", date(2026, 9, 1), "x", "another tier"),
        ("pro", date(2026, 1, 1), "x", "past"),
        ("pro", date(2026, 9, 1), "  ", "reason"),
    ],
)
def test_it_refuses_a_bad_retirement(widget_catalog, now, successor_key, notice, reason, message):
    with pytest.raises(ValidationError, match=message):
        tier_version_retire(
            version=widget_catalog.versions["starter"],
            successor=widget_catalog.versions[successor_key],
            notice_date=notice,
            reason=reason,
        )
    assert widget_catalog.versions["starter"].tier.versions.get().status == VersionStatus.PUBLISHED


def test_it_only_retires_published_versions(widget_catalog, now):
    draft = tier_version_create_draft(tier=widget_catalog.tiers["starter"])
    with pytest.raises(ValidationError, match="only published versions retire"):
        tier_version_retire(
            version=draft,
            successor=widget_catalog.versions["pro"],
            notice_date=date(2026, 9, 1),
            reason="x",
        )
