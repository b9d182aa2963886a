"""The entitlement rule, whole values compared: where each grant comes from, its
thresholds and grace, until when it holds, the order of the limits, and the plain form
the API and license files carry. No database (make mutate runs these)."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from licensing.licenses.grants import (
    AddonPart,
    Entitlements,
    FeatureGrant,
    FeatureInfo,
    LimitGrant,
    MetricInfo,
    OverridePart,
    TierLimit,
    resolve,
)

AT = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
DAY = timedelta(days=1)
KEYS = FeatureInfo("keys", "License keys", "core")
SSO = FeatureInfo("sso", "Single sign-on", "premium")
AUDIT = FeatureInfo("audit", "Audit log", "premium")
CALLS = MetricInfo("api-calls", "API calls", "calls", is_level=False, order=2)
SEATS = MetricInfo("seats", "Seats", "seats", is_level=True, order=1)
STORAGE = MetricInfo("storage", "Storage", "GB", is_level=True, order=1)
PROJECTS = MetricInfo("projects", "Projects", "projects", is_level=True, order=3)


def window(start_days: int, end_days: int | None = None, **parts) -> OverridePart:
    return OverridePart(
        reason="Goodwill.",
        starts_at=AT + start_days * DAY,
        ends_at=None if end_days is None else AT + end_days * DAY,
        **parts,
    )


@pytest.mark.parametrize(
    "override, in_force",
    [
        (window(0), True),  # starts exactly now
        (window(1), False),  # starts tomorrow
        (window(-1, 0), False),  # ends exactly now
        (window(-1, 1), True),
        (window(-1, None, revoked=True), False),
        (window(-1, 1, revoked=True), False),
    ],
    ids=["starts-now", "starts-later", "ends-now", "running", "revoked-open", "revoked-ending"],
)
def test_it_says_when_an_override_is_in_force(override, in_force):
    assert override.in_force(AT) is in_force


def test_it_resolves_a_tier_alone_with_its_sources_thresholds_and_order():
    resolved = resolve(
        tier_features=[KEYS, SSO],
        tier_limits=[TierLimit(CALLS, 10_000, (50, 90), 5), TierLimit(SEATS, None)],
        addons=[],
        overrides=[],
        at=AT,
    )
    assert resolved == Entitlements(
        features={"keys": FeatureGrant(KEYS, "tier"), "sso": FeatureGrant(SSO, "tier")},
        limits={
            "seats": LimitGrant(SEATS, None, (80, 100), 10, ("tier",)),
            "api-calls": LimitGrant(CALLS, 10_000, (50, 90), 5, ("tier",)),
        },
    )
    # Ordered by the metric's order, then its key.
    assert list(resolved.limits) == ["seats", "api-calls"]


def test_it_orders_limits_of_equal_order_by_key():
    resolved = resolve(
        tier_features=[],
        tier_limits=[TierLimit(STORAGE, 5), TierLimit(PROJECTS, 3), TierLimit(SEATS, 2)],
        addons=[],
        overrides=[],
        at=AT,
    )
    assert list(resolved.limits) == ["seats", "storage", "projects"]


def test_it_adds_add_ons_per_unit_and_names_each_source():
    calls_pack = AddonPart("calls", "Call pack", 3, features=(AUDIT, KEYS), extras=((CALLS, 500),))
    seat_pack = AddonPart("seats", "Seat pack", 2, extras=((SEATS, 10), (CALLS, 7)))
    resolved = resolve(
        tier_features=[KEYS],
        tier_limits=[TierLimit(CALLS, 1_000, (70, 100), 20)],
        addons=[calls_pack, seat_pack],
        overrides=[],
        at=AT,
    )
    assert resolved == Entitlements(
        features={
            # The tier's own feature keeps the tier as its source.
            "keys": FeatureGrant(KEYS, "tier"),
            "audit": FeatureGrant(AUDIT, "add-on: Call pack"),
        },
        limits={
            # A metric the tier does not limit starts from 0 with the default warnings.
            "seats": LimitGrant(SEATS, 20, (80, 100), 10, ("add-on: Seat pack",)),
            "api-calls": LimitGrant(
                CALLS,
                1_000 + 3 * 500 + 2 * 7,
                (70, 100),
                20,
                ("tier", "add-on: Call pack", "add-on: Seat pack"),
            ),
        },
    )


def test_the_first_add_on_to_grant_a_feature_is_its_source():
    first = AddonPart("a", "First", 1, features=(AUDIT,))
    second = AddonPart("b", "Second", 1, features=(AUDIT,))
    resolved = resolve(
        tier_features=[], tier_limits=[], addons=[first, second], overrides=[], at=AT
    )
    assert resolved.features == {"audit": FeatureGrant(AUDIT, "add-on: First")}


def test_an_add_on_on_an_unlimited_limit_leaves_it_unlimited():
    resolved = resolve(
        tier_features=[],
        tier_limits=[TierLimit(SEATS, None)],
        addons=[AddonPart("seats", "Seat pack", 4, extras=((SEATS, 10),))],
        overrides=[],
        at=AT,
    )
    assert resolved.limits["seats"] == LimitGrant(
        SEATS, None, (80, 100), 10, ("tier", "add-on: Seat pack")
    )


def test_overrides_apply_in_the_order_they_start_whatever_order_they_come_in():
    later = window(-2, 10, metric=CALLS, value=30_000)
    earlier = window(-5, 20, metric=CALLS, value=20_000)
    resolved = resolve(
        tier_features=[],
        tier_limits=[TierLimit(CALLS, 10_000, (60, 100), 15)],
        addons=[],
        overrides=[later, earlier],
        at=AT,
    )
    # The larger holds until it ends (day 10). One step of fallback is all a license
    # file says, so it says the lasting grant (the tier's 10,000), never a raise for a
    # while past its own end: offline it under-grants from day 10 to 20, never over.
    assert resolved.limits["api-calls"] == LimitGrant(
        CALLS, 30_000, (60, 100), 15, ("tier", "override", "override"), AT + 10 * DAY, 10_000
    )


def test_an_override_on_an_ungranted_metric_starts_from_the_defaults():
    resolved = resolve(
        tier_features=[],
        tier_limits=[],
        addons=[],
        overrides=[window(-1, None, metric=PROJECTS, value=None)],
        at=AT,
    )
    assert resolved.limits == {
        "projects": LimitGrant(PROJECTS, None, (80, 100), 10, ("override",), None)
    }


def test_an_override_grants_a_feature_until_it_ends_and_a_later_one_replaces_it():
    resolved = resolve(
        tier_features=[],
        tier_limits=[],
        addons=[],
        overrides=[window(-1, 5, feature=SSO), window(-3, 30, feature=SSO)],
        at=AT,
    )
    assert resolved.features == {"sso": FeatureGrant(SSO, "override", AT + 5 * DAY)}


def test_an_override_does_not_replace_a_feature_the_tier_or_an_add_on_grants():
    resolved = resolve(
        tier_features=[KEYS],
        tier_limits=[],
        addons=[AddonPart("audit", "Audit pack", 1, features=(AUDIT,))],
        overrides=[window(-1, 5, feature=KEYS), window(-1, 5, feature=AUDIT)],
        at=AT,
    )
    assert resolved.features == {
        "keys": FeatureGrant(KEYS, "tier"),
        "audit": FeatureGrant(AUDIT, "add-on: Audit pack"),
    }


def test_an_override_out_of_force_changes_nothing():
    resolved = resolve(
        tier_features=[],
        tier_limits=[TierLimit(CALLS, 10)],
        addons=[],
        overrides=[
            window(1, None, metric=CALLS, value=99, feature=SSO),
            window(-1, 1, metric=CALLS, value=98, feature=AUDIT, revoked=True),
        ],
        at=AT,
    )
    assert resolved == Entitlements(
        limits={"api-calls": LimitGrant(CALLS, 10, (80, 100), 10, ("tier",))}
    )


def test_an_override_out_of_force_does_not_stop_the_ones_after_it():
    resolved = resolve(
        tier_features=[],
        tier_limits=[TierLimit(CALLS, 10)],
        addons=[],
        overrides=[
            window(-5, None, metric=CALLS, value=1, revoked=True),
            window(-9, -4, feature=AUDIT),
            window(-1, None, metric=CALLS, value=70, feature=SSO),
        ],
        at=AT,
    )
    assert resolved == Entitlements(
        features={"sso": FeatureGrant(SSO, "override")},
        limits={"api-calls": LimitGrant(CALLS, 70, (80, 100), 10, ("tier", "override"))},
    )


def test_it_answers_has_and_limit():
    entitlements = Entitlements(
        features={"keys": FeatureGrant(KEYS, "tier")},
        limits={
            "seats": LimitGrant(SEATS, None, (80, 100), 10, ("tier",)),
            "api-calls": LimitGrant(CALLS, 7, (80, 100), 10, ("tier",)),
        },
    )
    assert entitlements.has("keys") is True
    assert entitlements.has("sso") is False
    assert entitlements.limit("seats") is None  # unlimited
    assert entitlements.limit("api-calls") == 7
    assert entitlements.limit("storage") == 0  # not granted at all


@pytest.mark.parametrize(
    "tier_seats, bought, allowed",
    [
        (None, 40, 40),  # no maximum: the seats bought
        (15, 12, 12),  # fewer bought than the tier allows
        (15, 15, 15),
        (15, 20, 15),  # the tier's maximum caps them
        ("not granted", 5, 0),  # a tier without seats allows none
    ],
)
def test_seats_allowed_are_those_bought_up_to_the_tiers_maximum(tier_seats, bought, allowed):
    limits = {}
    if tier_seats != "not granted":
        limits["seats"] = LimitGrant(SEATS, tier_seats, (80, 100), 10, ("tier",))
    assert Entitlements(limits=limits).seats_allowed(bought) == allowed


def test_the_software_is_told_the_seats_bought_and_nothing_else_changes():
    calls = LimitGrant(CALLS, 7, (80, 100), 10, ("tier",))
    seats = LimitGrant(SEATS, 15, (80, 100), 10, ("tier", "override"))
    entitlements = Entitlements(
        features={"keys": FeatureGrant(KEYS, "tier")}, limits={"seats": seats, "api-calls": calls}
    )
    told = entitlements.for_seats_bought(12)
    assert told.limits["seats"] == LimitGrant(SEATS, 12, (80, 100), 10, ("tier", "override"))
    assert told.limits["api-calls"] is calls and told.features == entitlements.features
    assert list(told.limits) == ["seats", "api-calls"]
    assert entitlements.for_seats_bought(20).limits["seats"].value == 15
    assert entitlements.limits["seats"].value == 15  # the original is left as it was
    without_seats = Entitlements(limits={"api-calls": calls})
    assert without_seats.for_seats_bought(12) == without_seats


def test_it_gives_the_plain_form_and_the_earliest_end():
    entitlements = Entitlements(
        features={
            "sso": FeatureGrant(SSO, "override", AT + 9 * DAY),
            "keys": FeatureGrant(KEYS, "tier"),
        },
        limits={
            "seats": LimitGrant(SEATS, None, (80, 100), 10, ("tier",)),
            "api-calls": LimitGrant(CALLS, 5_000, (50, 75, 100), 15, ("override",), AT + 3 * DAY),
        },
    )
    assert entitlements.as_data() == {
        "features": ["keys", "sso"],
        "limits": {
            "api-calls": {
                "value": 5_000,
                "unit": "calls",
                "warning_thresholds": [50, 75, 100],
                "grace_percent": 15,
                "until": "2026-03-17T09:30:00+00:00",
            },
            "seats": {
                "value": None,
                "unit": "seats",
                "warning_thresholds": [80, 100],
                "grace_percent": 10,
                "until": None,
            },
        },
        "feature_until": {"sso": "2026-03-23T09:30:00+00:00"},
    }
    assert list(entitlements.as_data()["limits"]) == ["api-calls", "seats"]
    assert entitlements.earliest_end() == AT + 3 * DAY


@pytest.mark.parametrize(
    "feature_until, limit_until, earliest",
    [(None, None, None), (2, None, 2), (None, 4, 4), (6, 4, 4), (3, 8, 3)],
    ids=["none", "feature-only", "limit-only", "limit-first", "feature-first"],
)
def test_the_earliest_end_is_the_first_grant_to_end(feature_until, limit_until, earliest):
    def moment(days):
        return None if days is None else AT + days * DAY

    entitlements = Entitlements(
        features={
            "keys": FeatureGrant(KEYS, "tier"),
            "sso": FeatureGrant(SSO, "override", moment(feature_until)),
        },
        limits={
            "seats": LimitGrant(SEATS, 3, (80, 100), 10, ("tier",)),
            "api-calls": LimitGrant(CALLS, 5, (80, 100), 10, ("override",), moment(limit_until)),
        },
    )
    assert entitlements.earliest_end() == moment(earliest)


LIMITED = st.lists(
    st.tuples(st.integers(0, 3), st.sampled_from("abcdefgh"), st.integers(0, 10**6)),
    unique_by=lambda row: row[1],
    max_size=6,
)
PACKS = st.lists(st.tuples(st.integers(1, 5), st.integers(0, 1_000)), max_size=3)


@settings(max_examples=60)
@given(limited=LIMITED, packs=PACKS, shuffle=st.randoms(use_true_random=False))
def test_limits_are_ordered_and_add_ons_add_up_whatever_the_order_given(limited, packs, shuffle):
    metrics = [MetricInfo(key, key.upper(), "units", False, order) for order, key, _ in limited]
    rows = [
        TierLimit(metric, value) for metric, (_, _, value) in zip(metrics, limited, strict=True)
    ]
    addons = [
        AddonPart(f"pack-{n}", f"Pack {n}", quantity, extras=tuple((m, extra) for m in metrics))
        for n, (quantity, extra) in enumerate(packs)
    ]
    shuffled = rows[:]
    shuffle.shuffle(shuffled)
    resolved = resolve(tier_features=[], tier_limits=shuffled, addons=addons, overrides=[], at=AT)

    assert list(resolved.limits) == [m.key for m in sorted(metrics, key=lambda m: (m.order, m.key))]
    added = sum(quantity * extra for quantity, extra in packs)
    for row in rows:
        assert resolved.limit(row.metric.key) == row.value + added
        assert resolved.limits[row.metric.key].sources == (
            "tier",
            *(f"add-on: {addon.name}" for addon in addons),
        )
