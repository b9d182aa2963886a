"""The demo licenses: different tiers, one grandfathered, a sustained need that gets a
suggestion and a passing spike that does not; building twice changes nothing."""

from licensing.demo.catalog import build_catalog
from licensing.demo.licenses import build_licenses
from licensing.models import License, LicenseEvent, UsageRecord
from portal import demo
from portal.models import User


def test_it_builds_the_demo_licenses_idempotently(db, client, now):
    demo.build_people()
    build_catalog()
    first = build_licenses()
    counts = (License.objects.count(), UsageRecord.objects.count(), LicenseEvent.objects.count())
    second = build_licenses()

    assert counts == (
        License.objects.count(),
        UsageRecord.objects.count(),
        LicenseEvent.objects.count(),
    )
    assert all(" key TW-" in line for line in first)
    assert all("key unchanged" in line for line in second)
    tiers = {(lic.organization.slug, lic.version.tier.slug) for lic in License.objects.all()}
    assert tiers == {
        ("northwind-analytics", "team"),
        ("acme-robotics", "team"),
        ("globex-health", "business"),
        ("vandelay-industries", "team"),  # until it accepts its proposal (billing's demo)
    }

    client.force_login(User.objects.get(email="mia@northwind.test"))
    northwind = client.get("/app/northwind-analytics/").content.decode()
    assert "Business fits how you work" in northwind

    client.force_login(User.objects.get(email="sam@acme.test"))
    acme = client.get("/app/acme-robotics/").content.decode()
    assert "Legacy" in acme and "Your legacy plan beside today" in acme
    assert "fits how you work" not in acme
