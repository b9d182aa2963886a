from datetime import date, timedelta

import pytest
from django.utils import timezone

from licensing.catalog.publishing import (
    policy_version_create_draft,
    policy_version_publish,
    tier_version_create_draft,
    tier_version_publish,
)
from licensing.catalog.selectors import versions_with_parts
from licensing.models import PolicySection, PolicyVersion, TierVersion
from tests.factories import TierFactory, build_draft, build_published


def test_it_compares_an_upgrade(client, widget_catalog):
    response = client.get("/pricing/compare/starter/pro/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Starter → Pro" in html
    assert '<span class="delta-cost">$70.00 more</span> a month' in html
    assert '<span class="delta-cost">$700.00 more</span> a year' in html
    assert "You gain (1)" in html and "Single sign-on" in html
    assert "You lose (1)" in html and "Reports" in html
    assert "More: </span>+20 seats" in html and "More: </span>to unlimited" in html
    assert 'href="/pricing/compare/pro/starter/?currency=USD"' in html


def test_it_compares_a_downgrade_in_another_currency(client, widget_catalog):
    html = client.get("/pricing/compare/pro/starter/?currency=GBP").content.decode()
    # The amount without its sign: "less" already says which way.
    assert '<span class="delta-save">£70.00 less</span> a month' in html
    assert '<span class="delta-save">£700.00 less</span> a year' in html
    assert "Less: </span>-20 seats" in html and "Less: </span>no longer unlimited" in html
    assert "You lose (1)" in html


@pytest.mark.parametrize("path", ["/pricing/compare/starter/nope/", "/pricing/compare/nope/pro/"])
def test_it_404s_for_an_unknown_tier(client, widget_catalog, path):
    assert client.get(path).status_code == 404


def test_it_404s_for_a_tier_that_is_not_public(client, widget_catalog):
    private = TierFactory(product=widget_catalog.product, slug="private", is_public=False)
    build_published(private, features=[widget_catalog.features["keys"]])
    upcoming = TierFactory(product=widget_catalog.product, slug="upcoming")
    build_draft(upcoming, features=[widget_catalog.features["keys"]])
    assert client.get("/pricing/compare/starter/private/").status_code == 404
    assert client.get("/pricing/compare/upcoming/starter/").status_code == 404


def test_it_refuses_to_compare_a_tier_with_itself(client, widget_catalog):
    response = client.get("/pricing/compare/pro/pro/")
    assert response.status_code == 400
    assert "Pick two different tiers to compare." in response.content.decode()


def test_it_redirects_the_picker_to_the_comparison(client, widget_catalog):
    response = client.get("/pricing/compare/?source=pro&target=starter&currency=EUR")
    assert response.status_code == 302
    assert response["Location"] == "/pricing/compare/pro/starter/?currency=EUR"


@pytest.mark.parametrize(
    "query", ["source=pro&target=pro", "source=pro", "source=pro&target=secret", ""]
)
def test_it_explains_a_bad_pick(client, widget_catalog, query):
    response = client.get(f"/pricing/compare/?{query}")
    assert response.status_code == (200 if not query else 400)
    assert "Compare" in response.content.decode()


def test_it_lists_every_published_and_retired_version(client, widget_catalog):
    old = widget_catalog.versions["starter"]
    draft = tier_version_create_draft(tier=old.tier, source=versions_with_parts().get(pk=old.pk))
    draft.changelog_note = "Reports moved up a tier."
    draft.save()
    draft.feature_rows.filter(feature__key="reports").delete()
    tier_version_publish(version=draft)

    html = client.get("/changelog/").content.decode()
    assert "Starter v2" in html and "replaces v1" in html
    assert "Removed Reports." in html
    assert "Reports moved up a tier." in html
    assert "Now retired" in html and "keep it until at least" in html
    assert "Pro v1" in html and "First version of Pro." in html


def test_it_hides_changes_to_private_tiers(client, widget_catalog):
    private = TierFactory(product=widget_catalog.product, name="Secret", is_public=False)
    build_published(private, features=[widget_catalog.features["keys"]])
    assert "Secret" not in client.get("/changelog/").content.decode()


def test_it_publishes_the_changelog_as_atom(client, widget_catalog):
    response = client.get("/changelog/feed/")
    body = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    assert body.count("<entry>") == 2
    assert "Pro v1: New version" in body
    assert "/changelog/#change-" in body


def test_it_survives_a_bad_changelog_page(client, widget_catalog):
    assert client.get("/changelog/?page=abc").status_code == 200
    assert client.get("/changelog/?page=999").status_code == 200


@pytest.fixture
def policies(db):
    today = timezone.localdate()

    def make(days_ago: int, heading: str) -> PolicyVersion:
        at = timezone.now() - timedelta(days=days_ago)
        policy = PolicyVersion.objects.create(effective_date=at.date(), summary="How it works.")
        PolicySection.objects.create(policy=policy, heading=heading, body="One.\n\nTwo.")
        return policy_version_publish(policy=policy, at=at)

    first, current = make(300, "Timing"), make(10, "Proration")
    upcoming = PolicyVersion.objects.create(effective_date=today + timedelta(days=30))
    PolicySection.objects.create(policy=upcoming, heading="Draft heading", body="Unpublished.")
    return first, current, upcoming


def test_it_shows_the_policy_in_effect_with_its_date(client, policies):
    first, current, _ = policies
    html = client.get("/policy/upgrades/").content.decode()
    assert "Proration" in html and "<p>One.</p>" in html
    assert f"Effective {current.effective_date:%-d %B %Y}" in html
    assert "Draft heading" not in html
    assert f'href="/policy/upgrades/v{first.number}/"' in html


def test_it_keeps_older_versions_readable_but_hides_drafts(client, policies):
    first, _current, draft = policies
    html = client.get(f"/policy/upgrades/v{first.number}/").content.decode()
    assert "Timing" in html and "The policy in effect today is" in html
    assert client.get(f"/policy/upgrades/v{draft.number}/").status_code == 404
    assert client.get("/policy/upgrades/v999/").status_code == 404


def test_it_404s_when_no_policy_is_published(client, db):
    assert client.get("/policy/upgrades/").status_code == 404


def test_it_refuses_to_publish_a_policy_in_the_past_or_without_sections(db, now):
    empty = PolicyVersion.objects.create(effective_date=date(2026, 4, 1))
    with pytest.raises(Exception, match="at least one section"):
        policy_version_publish(policy=empty)
    empty.delete()
    late = PolicyVersion.objects.create(effective_date=date(2026, 3, 1))
    PolicySection.objects.create(policy=late, heading="H", body="B")
    with pytest.raises(Exception, match="cannot be in the past"):
        policy_version_publish(policy=late)


def test_it_copies_a_policy_into_a_new_draft(db, now):
    source = PolicyVersion.objects.create(effective_date=date(2026, 3, 14))
    PolicySection.objects.create(policy=source, heading="H", body="B")
    policy_version_publish(policy=source)
    draft = policy_version_create_draft(source=source)
    assert draft.number == source.number + 1
    assert list(draft.sections.values_list("heading", flat=True)) == ["H"]
    source.summary = "changed"
    with pytest.raises(Exception, match="cannot be edited"):
        source.save()
    assert TierVersion.objects.count() == 0
