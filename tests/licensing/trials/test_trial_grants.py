"""The entitlement rule with a trial in force (licensing.licenses.grants.resolve): the
trial's version is the base, what it grants beyond the own plan ends at the trial's end,
what the own plan grants alike stays the tier's; add-ons and overrides apply on top. No
database (make mutate runs these)."""

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from licensing.licenses.grants import (
    AddonPart,
    FeatureGrant,
    FeatureInfo,
    LimitGrant,
    MetricInfo,
    OverridePart,
    TierLimit,
    TrialPart,
    resolve,
)

AT = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
ENDS = datetime(2026, 3, 28, tzinfo=UTC)
KEYS = FeatureInfo("keys", "License keys", "core")
SSO = FeatureInfo("sso", "Single sign-on", "premium")
OLD = FeatureInfo("old", "Legacy export", "core")
SEATS = MetricInfo("seats", "Seats", "seats", is_level=True, order=1)
CALLS = MetricInfo("api-calls", "API calls", "calls", is_level=False, order=2)
STORAGE = MetricInfo("storage", "Storage", "GB", is_level=True, order=3)

OWN_FEATURES = [KEYS, OLD]
OWN_LIMITS = [TierLimit(SEATS, 15), TierLimit(CALLS, 50_000)]
TRIAL = TrialPart(
    tier="Business",
    ends_at=ENDS,
    features=(KEYS, SSO),
    limits=(TierLimit(SEATS, 15), TierLimit(CALLS, 100_000), TierLimit(STORAGE, 50)),
)
SOURCE = ("trial: Business",)


def resolved(trial=TRIAL, addons=(), overrides=()):
    return resolve(
        tier_features=OWN_FEATURES,
        tier_limits=OWN_LIMITS,
        addons=list(addons),
        overrides=list(overrides),
        at=AT,
        trial=trial,
    )


def test_the_trials_version_is_the_base_and_its_extras_end_with_it():
    found = resolved()
    assert found.features == {
        "keys": FeatureGrant(KEYS, "tier"),
        "sso": FeatureGrant(SSO, "trial: Business", ENDS),
    }
    assert found.limits == {
        "seats": LimitGrant(SEATS, 15, (80, 100), 10, ("tier",)),
        "api-calls": LimitGrant(CALLS, 100_000, (80, 100), 10, SOURCE, ENDS),
        "storage": LimitGrant(STORAGE, 50, (80, 100), 10, SOURCE, ENDS),
    }
    assert found.earliest_end() == ENDS
    assert found.as_data()["feature_until"] == {"sso": ENDS.isoformat()}


def test_a_limit_alike_but_for_its_warnings_is_the_trials():
    trial = TrialPart("Business", ENDS, (), (TierLimit(SEATS, 15, (90,)),))
    assert resolved(trial).limits["seats"] == LimitGrant(SEATS, 15, (90,), 10, SOURCE, ENDS)
    trial = TrialPart("Business", ENDS, (), (TierLimit(SEATS, 15, grace_percent=0),))
    assert resolved(trial).limits["seats"] == LimitGrant(SEATS, 15, (80, 100), 0, SOURCE, ENDS)


def test_without_a_trial_the_own_plan_is_the_base():
    found = resolved(trial=None)
    assert set(found.features) == {"keys", "old"}
    assert found.limits["api-calls"] == LimitGrant(CALLS, 50_000, (80, 100), 10, ("tier",))
    assert found.earliest_end() is None


def test_add_ons_add_on_top_of_the_trial_and_keep_its_end():
    pack = AddonPart("pack", "Call pack", 2, features=(OLD,), extras=((CALLS, 10_000),))
    found = resolved(addons=[pack])
    assert found.limits["api-calls"] == LimitGrant(
        CALLS, 120_000, (80, 100), 10, (*SOURCE, "add-on: Call pack"), ENDS
    )
    assert found.features["old"] == FeatureGrant(OLD, "add-on: Call pack")


def test_an_override_applies_on_top_with_its_own_end():
    override = OverridePart(reason="Pilot.", starts_at=AT, metric=CALLS, value=500_000)
    found = resolved(overrides=[override])
    assert found.limits["api-calls"] == LimitGrant(
        CALLS, 500_000, (80, 100), 10, (*SOURCE, "override"), None
    )


@given(st.sets(st.sampled_from([KEYS, SSO, OLD])), st.sets(st.sampled_from([KEYS, SSO, OLD])))
def test_the_trial_grants_exactly_its_features_its_extras_until_the_end(own, lent):
    found = resolve(
        tier_features=sorted(own, key=lambda f: f.key),
        tier_limits=[],
        addons=[],
        overrides=[],
        at=AT,
        trial=TrialPart("Business", ENDS, tuple(sorted(lent, key=lambda f: f.key))),
    )
    assert set(found.features) == {f.key for f in lent}
    for feature in lent:
        grant = found.features[feature.key]
        assert grant.until == (None if feature in own else ENDS)
        assert grant.source == ("tier" if feature in own else "trial: Business")


def test_a_trial_of_what_the_own_plan_grants_changes_nothing():
    same = TrialPart("Team", ENDS, tuple(OWN_FEATURES), tuple(OWN_LIMITS))
    assert resolved(same) == resolved(trial=None)
