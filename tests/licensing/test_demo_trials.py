"""The demo trials: a paying Team organization in a Business trial with trial features
used, and a new organization trying Team on a license of its own; building twice
changes nothing."""

from billing.demo import build_subscriptions
from licensing.demo.catalog import build_catalog
from licensing.demo.licenses import build_licenses
from licensing.demo.trials import build_trials
from licensing.models import FeatureUse, LicenseStatus, Trial, TrialStatus
from portal import demo
from portal.models import User


def test_it_builds_the_demo_trials_idempotently(db, client, now):
    demo.build_people()
    build_catalog()
    build_licenses()
    build_subscriptions()
    first = build_trials()
    counts = (Trial.objects.count(), FeatureUse.objects.count())
    second = build_trials()
    assert (Trial.objects.count(), FeatureUse.objects.count()) == counts == (2, 8)
    assert ", key TW-" in first[1] and "key" not in second[1]

    acme = Trial.objects.get(organization__slug="acme-robotics")
    assert (acme.tier.slug, acme.status) == ("business", TrialStatus.RUNNING)
    assert acme.license.version.tier.slug == "team" and acme.license.subscription
    umbrella = Trial.objects.get(organization__slug="umbrella-labs")
    assert umbrella.tier.slug == "team"
    assert umbrella.license.status == LicenseStatus.TRIALING

    client.force_login(User.objects.get(email="alex@acme.test"))
    page = client.get("/app/acme-robotics/").content.decode()
    assert "Business trial" in page and "76 uses" in page  # webhooks: 14 + 22 + 9 + 31
    assert "Not used yet" in page  # Business's audit log and coupons
    client.force_login(User.objects.get(email="uma@umbrella.test"))
    page = client.get("/app/umbrella-labs/").content.decode()
    assert "Team trial" in page and "10 uses" in page
