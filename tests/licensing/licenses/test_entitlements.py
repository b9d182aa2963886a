"""Entitlement resolution: tier, plus add-ons, plus overrides in force."""

from datetime import UTC, datetime, timedelta

import pytest

from licensing.licenses.entitlements import license_entitlements
from licensing.licenses.grants import (
    AddonPart,
    FeatureInfo,
    MetricInfo,
    OverridePart,
    TierLimit,
    resolve,
)
from licensing.licenses.services import entitlement_override_grant, license_set_addon
from licensing.models import Addon, AddonLimit
from tests.helpers.licenses import SYSTEM

AT = datetime(2026, 3, 14, tzinfo=UTC)
KEYS = FeatureInfo("keys", "License keys", "core")
SSO = FeatureInfo("sso", "Single sign-on", "premium")
AUDIT = FeatureInfo("audit", "Audit log", "premium")
CALLS = MetricInfo("api-calls", "API calls", "calls", is_level=False)
SEATS = MetricInfo("seats", "Seats", "seats", is_level=True)
TIER_FEATURES = [KEYS]
TIER_LIMITS = [TierLimit(CALLS, 10_000, (80, 100), 10), TierLimit(SEATS, None)]
EXTRA_CALLS = AddonPart("calls-pack", "Call pack", 2, features=(AUDIT,), extras=((CALLS, 5_000),))
EXTRA_SEATS = AddonPart("seat-pack", "Seat pack", 3, extras=((SEATS, 10),))


def override(*, feature=None, metric=None, value=None, days=(-1, None), revoked=False):
    start, end = days
    return OverridePart(
        reason="Goodwill.",
        starts_at=AT + timedelta(days=start),
        ends_at=None if end is None else AT + timedelta(days=end),
        revoked=revoked,
        feature=feature,
        metric=metric,
        value=value,
    )


CASES = [
    # name, add-ons, overrides, expected features, expected {metric: limit}
    ("tier alone", [], [], {"keys"}, {"api-calls": 10_000, "seats": None}),
    (
        "add-on adds features and room",
        [EXTRA_CALLS],
        [],
        {"keys", "audit"},
        {"api-calls": 20_000, "seats": None},
    ),
    (
        "add-on on unlimited stays unlimited",
        [EXTRA_SEATS],
        [],
        {"keys"},
        {"api-calls": 10_000, "seats": None},
    ),
    (
        "override raises a limit",
        [],
        [override(metric=CALLS, value=50_000)],
        {"keys"},
        {"api-calls": 50_000, "seats": None},
    ),
    (
        "override above the add-on total raises it",
        [EXTRA_CALLS],
        [override(metric=CALLS, value=25_000)],
        {"keys", "audit"},
        {"api-calls": 25_000, "seats": None},
    ),
    (
        # A raise given on a lower plan never caps what was bought since.
        "override below the add-on total lowers nothing",
        [EXTRA_CALLS],
        [override(metric=CALLS, value=12_000)],
        {"keys", "audit"},
        {"api-calls": 20_000, "seats": None},
    ),
    (
        "override below the tier lowers nothing",
        [],
        [override(metric=CALLS, value=1)],
        {"keys"},
        {"api-calls": 10_000, "seats": None},
    ),
    (
        "override to unlimited",
        [],
        [override(metric=CALLS, value=None)],
        {"keys"},
        {"api-calls": None, "seats": None},
    ),
    (
        "override grants a feature",
        [],
        [override(feature=SSO, days=(-1, 30))],
        {"keys", "sso"},
        {"api-calls": 10_000, "seats": None},
    ),
    (
        "expired override counts for nothing",
        [],
        [
            override(metric=CALLS, value=50_000, days=(-30, -1)),
            override(feature=SSO, days=(-30, 0)),
        ],
        {"keys"},
        {"api-calls": 10_000, "seats": None},
    ),
    (
        "future override not yet",
        [],
        [override(feature=SSO, days=(2, None))],
        {"keys"},
        {"api-calls": 10_000, "seats": None},
    ),
    (
        "revoked override counts for nothing",
        [],
        [override(metric=CALLS, value=1, revoked=True)],
        {"keys"},
        {"api-calls": 10_000, "seats": None},
    ),
    (
        "the larger of two overrides holds (the later)",
        [],
        [
            override(metric=CALLS, value=20_000, days=(-5, None)),
            override(metric=CALLS, value=30_000, days=(-2, None)),
        ],
        {"keys"},
        {"api-calls": 30_000, "seats": None},
    ),
    (
        "the larger of two overrides holds (the earlier)",
        [],
        [
            override(metric=CALLS, value=30_000, days=(-5, None)),
            override(metric=CALLS, value=20_000, days=(-2, None)),
        ],
        {"keys"},
        {"api-calls": 30_000, "seats": None},
    ),
]


@pytest.mark.parametrize(
    "name, addons, overrides, features, limits", CASES, ids=[c[0] for c in CASES]
)
def test_it_resolves_the_table(name, addons, overrides, features, limits):
    resolved = resolve(
        tier_features=TIER_FEATURES,
        tier_limits=TIER_LIMITS,
        addons=addons,
        overrides=overrides,
        at=AT,
    )
    assert set(resolved.features) == features
    assert {key: grant.value for key, grant in resolved.limits.items()} == limits


def test_it_keeps_the_tier_thresholds_and_grace_through_an_override():
    resolved = resolve(
        tier_features=[],
        tier_limits=TIER_LIMITS,
        addons=[],
        overrides=[override(metric=CALLS, value=100_000, days=(-1, 10))],
        at=AT,
    )
    grant = resolved.limits["api-calls"]
    assert (grant.thresholds, grant.grace_percent) == ((80, 100), 10)
    assert grant.until == AT + timedelta(days=10)
    assert grant.then == 10_000  # what holds once it ends
    assert grant.sources == ("tier", "override")


def test_it_resolves_a_real_license_through_its_rows(issued, catalog, now):
    license = issued.license
    pack = Addon.objects.create(product=license.product, key="calls-pack", name="Call pack")
    AddonLimit.objects.create(addon=pack, metric=catalog.metric("api-calls"), extra=25_000)
    license_set_addon(license=license, addon=pack, quantity=2, actor=SYSTEM, reason="Bought.")
    entitlement_override_grant(
        license=license,
        actor=SYSTEM,
        reason="Pilot of single sign-on.",
        feature=license.product.features.get(key="sso"),
        ends_at=now + timedelta(days=30),
    )

    today = license_entitlements(license=license)
    assert today.limit("api-calls") == 100_000 + 2 * 25_000
    assert today.has("sso") and today.has("coupons") and not today.has("audit-log")
    later = license_entitlements(license=license, at=now + timedelta(days=31))
    assert not later.has("sso")
    assert later.limit("api-calls") == 150_000


def test_many_licenses_at_once_resolve_as_each_alone(issued, catalog, now):
    """licenses_entitlements (a batch of reminders) gives each license what
    license_entitlements gives it, add-ons and overrides included, in five queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from licensing.licenses.entitlements import licenses_entitlements
    from tests.factories import OrganizationFactory
    from tests.helpers.licenses import issue

    license = issued.license
    pack = Addon.objects.create(product=license.product, key="calls-pack", name="Call pack")
    AddonLimit.objects.create(addon=pack, metric=catalog.metric("api-calls"), extra=25_000)
    license_set_addon(license=license, addon=pack, quantity=2, actor=SYSTEM, reason="Bought.")
    entitlement_override_grant(
        license=license,
        actor=SYSTEM,
        reason="Pilot of single sign-on.",
        feature=license.product.features.get(key="sso"),
        ends_at=now + timedelta(days=30),
    )
    other = OrganizationFactory(name="Contoso", slug="contoso")
    plain = issue(other, catalog, "starter", seats=3).license
    licenses = [license, plain]
    with CaptureQueriesContext(connection) as captured:
        many = licenses_entitlements(licenses=licenses, at=now)
    for one in licenses:
        assert many[one.pk] == license_entitlements(license=one, at=now)
    assert many[license.pk].limit("api-calls") == 150_000
    assert many[license.pk].has("sso") and not many[plain.pk].has("sso")
    # Five, and the add-ons' prefetches (features, limits, their metrics) as there are some.
    assert len(captured) <= 8


def test_a_license_reads_its_published_version_from_the_held_catalog(issued, catalog, now):
    """A published version never changes: once this process holds the catalog, a license's
    entitlements read only its own rows (trial, add-ons, overrides), not the version's."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    license = issued.license
    first = license_entitlements(license=license, at=now)  # the catalog is read and held
    with CaptureQueriesContext(connection) as captured:
        again = license_entitlements(license=license, at=now)
    assert again == first
    assert first.has("coupons") and first.limit("api-calls") == 100_000
    read = " ".join(query["sql"] for query in captured)
    assert "licensing_tierversionfeature" not in read
    assert "licensing_tierversionlimit" not in read
    assert len(captured) == 3  # its trial, add-ons and overrides


def test_a_renamed_feature_shows_at_once_in_the_entitlements(issued, catalog, now):
    """Features and metrics are not frozen: saving one starts a new catalog generation, so
    the held version is read again (licensing.catalog.signals)."""
    license = issued.license

    def named() -> str:
        return license_entitlements(license=license, at=now).features["coupons"].feature.name

    assert named() != "Vouchers"
    feature = license.product.features.get(key="coupons")
    feature.name = "Vouchers"
    feature.save()
    assert named() == "Vouchers"


def test_a_raise_given_on_a_lower_plan_never_caps_an_upgrade(issued, catalog, now):
    """Extra storage while a migration runs (200 GB on Team's 50, for 60 days), then an
    upgrade to Business (250 GB): the license has Business's 250, not the raise's 200
    (an override raises a limit, never lowers one); the raise says what follows it."""
    from licensing.licenses.services import license_change_version

    license = issued.license
    entitlement_override_grant(
        license=license,
        actor=SYSTEM,
        reason="Extra storage while their archive migration runs.",
        metric=catalog.metric("storage"),
        value=200,
        ends_at=now + timedelta(days=60),
    )
    raised = license_entitlements(license=license).limits["storage"]
    assert (raised.value, raised.until, raised.then) == (200, now + timedelta(days=60), 50)

    license = license_change_version(
        license=license, version=catalog.version("business"), actor=SYSTEM, reason="Upgrade."
    )
    storage = license_entitlements(license=license).limits["storage"]
    assert (storage.value, storage.sources, storage.until) == (250, ("tier",), None)


@pytest.mark.parametrize(
    ("value", "refusal"),
    [
        (50, "Storage: this license already allows 50 GB; an override raises a limit"),
        (10, "Enter more than 50."),
    ],
)
def test_an_override_that_would_raise_nothing_is_refused_in_words(
    issued, catalog, now, value, refusal
):
    from django.core.exceptions import ValidationError

    from licensing.models import EntitlementOverride

    with pytest.raises(ValidationError, match=refusal):
        entitlement_override_grant(
            license=issued.license,
            actor=SYSTEM,
            reason="Goodwill.",
            metric=catalog.metric("storage"),
            value=value,
        )
    assert not EntitlementOverride.objects.exists()


def test_a_lasting_raise_below_a_temporary_one_is_granted_and_follows_it(issued, catalog, now):
    """Storage raised to 500 GB for 10 days (a migration burst); a day later 100 GB for
    good (Team has 50): it raises the limit from day 10 on, so it is granted (attacker:
    refused as "already allows 500") and is what follows the burst."""
    license = issued.license
    storage = catalog.metric("storage")
    entitlement_override_grant(
        license=license,
        actor=SYSTEM,
        reason="Migration burst.",
        metric=storage,
        value=500,
        ends_at=now + timedelta(days=10),
    )
    a_day_later = now + timedelta(days=1)
    entitlement_override_grant(
        license=license,
        actor=SYSTEM,
        reason="Archive, for good.",
        metric=storage,
        value=100,
        at=a_day_later,
    )
    during = license_entitlements(license=license, at=a_day_later).limits["storage"]
    after = license_entitlements(license=license, at=now + timedelta(days=10, seconds=1))
    assert after.limits["storage"].value == 100
    assert (during.value, during.until, during.then) == (500, now + timedelta(days=10), 100)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="already allows 100 GB for good"):
        entitlement_override_grant(
            license=license,
            actor=SYSTEM,
            reason="Again.",
            metric=storage,
            value=80,
            at=a_day_later,
        )


def test_what_follows_a_trial_keeps_an_override_that_outlasts_it(issued, catalog, now):
    """Team (50 GB) trying Business (250 GB); storage raised to 100 GB for good: during
    the trial, 250 GB until its end, then 100 GB (attacker: the file said 50)."""
    from tests.helpers.trials import running_trial

    license = issued.license
    entitlement_override_grant(
        license=license,
        actor=SYSTEM,
        reason="Extra storage for their archive, for good.",
        metric=catalog.metric("storage"),
        value=100,
    )
    trial = running_trial(license, "business", days=14)
    during = license_entitlements(license=license, at=now).limits["storage"]
    assert (during.value, during.until, during.then) == (250, trial.ends_at, 100)
    after = license_entitlements(license=license, at=trial.ends_at + timedelta(seconds=1))
    assert after.limits["storage"].value == 100
