from django.core.management import call_command

from licensing.catalog.publishing import tier_version_problems
from licensing.models import (
    ChangelogEntry,
    Feature,
    LimitMetric,
    PolicyVersion,
    TierVersion,
    TierVersionPrice,
    VersionStatus,
)


def _counts() -> tuple[int, ...]:
    return tuple(
        model.objects.count()
        for model in (TierVersion, TierVersionPrice, ChangelogEntry, PolicyVersion, Feature)
    )


def test_it_builds_a_complete_demo_catalog_once(db, client):
    call_command("demo", force=True, verbosity=0)
    first = _counts()
    call_command("demo", force=True, verbosity=0)
    assert _counts() == first

    assert Feature.objects.count() == 15
    assert set(Feature.objects.values_list("category", flat=True)) == {
        "core",
        "extended",
        "premium",
    }
    assert LimitMetric.objects.count() >= 4
    published = TierVersion.objects.filter(status=VersionStatus.PUBLISHED)
    assert [v.tier.name for v in published.order_by("tier__order")] == [
        "Starter",
        "Team",
        "Business",
        "Enterprise",
    ]
    retired = TierVersion.objects.get(status=VersionStatus.RETIRED)
    assert (retired.tier.name, retired.successor.number) == ("Team", 2)
    for version in published:
        version.status = VersionStatus.DRAFT  # in memory only: check it would pass today
        assert tier_version_problems(version) == []

    html = client.get("/pricing/?currency=GBP&cycle=annual").content.decode()
    assert "Enterprise" in html and "£" in html
    assert client.get("/policy/upgrades/").status_code == 200
    assert "Team v2" in client.get("/changelog/").content.decode()
