"""The entitlement rule with a trial in force (licensing.licenses.grants.resolve): the
plan's features and the trial's, each limit the larger of the two; what the trial grants
beyond the own plan ends at the trial's end and a raised limit says what it falls back to
(`then`); what the own plan grants as much of stays the tier's; a trial never lowers the
plan; add-ons and overrides apply on top. No database (make mutate runs these)."""

from datetime import UTC, datetime

import pytest
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


def test_the_trial_adds_its_extras_until_its_end_and_says_what_they_fall_back_to():
    found = resolved()
    assert found.features == {
        "keys": FeatureGrant(KEYS, "tier"),
        "old": FeatureGrant(OLD, "tier"),
        "sso": FeatureGrant(SSO, "trial: Business", ENDS),
    }
    assert found.limits == {
        "seats": LimitGrant(SEATS, 15, (80, 100), 10, ("tier",)),
        "api-calls": LimitGrant(CALLS, 100_000, (80, 100), 10, SOURCE, ENDS, 50_000),
        "storage": LimitGrant(STORAGE, 50, (80, 100), 10, SOURCE, ENDS, 0),
    }
    assert found.earliest_end() == ENDS
    data = found.as_data()
    assert data["feature_until"] == {"sso": ENDS.isoformat()}
    assert data["limits"]["api-calls"]["then"] == 50_000
    assert data["limits"]["storage"]["then"] == 0
    assert "then" not in data["limits"]["seats"]


ENTERPRISE = FeatureInfo("sandbox", "Sandbox", "premium")


def test_a_trial_below_the_plan_bought_takes_nothing_away():
    """Bought Enterprise (unlimited calls, more seats, SSO and a sandbox), trialing
    Business: the plan's grants stand, only what the trial adds beyond them is lent."""
    found = resolve(
        tier_features=[KEYS, SSO, ENTERPRISE],
        tier_limits=[TierLimit(SEATS, 100), TierLimit(CALLS, None)],
        addons=[],
        overrides=[],
        at=AT,
        trial=TrialPart(
            "Business",
            ENDS,
            (KEYS, OLD),
            (TierLimit(SEATS, 50), TierLimit(CALLS, 1_000_000), TierLimit(STORAGE, 50)),
        ),
    )
    assert found.features == {
        "keys": FeatureGrant(KEYS, "tier"),
        "sso": FeatureGrant(SSO, "tier"),
        "sandbox": FeatureGrant(ENTERPRISE, "tier"),
        "old": FeatureGrant(OLD, "trial: Business", ENDS),
    }
    assert found.limits == {
        "seats": LimitGrant(SEATS, 100, (80, 100), 10, ("tier",)),
        "api-calls": LimitGrant(CALLS, None, (80, 100), 10, ("tier",)),
        "storage": LimitGrant(STORAGE, 50, (80, 100), 10, SOURCE, ENDS, 0),
    }


@pytest.mark.parametrize(
    "own, lent, expected",
    [
        # (own limit, trial's limit) -> (value, until, then); None is unlimited.
        (None, 1_000_000, (None, None, None)),
        (None, None, (None, None, None)),
        (100, None, (None, ENDS, 100)),
        (100, 101, (101, ENDS, 100)),
        (100, 100, (100, None, None)),
        (100, 99, (100, None, None)),
        (0, 1, (1, ENDS, 0)),
        (0, 0, (0, None, None)),
    ],
)
def test_each_limit_is_the_larger_of_the_plans_and_the_trials(own, lent, expected):
    found = resolve(
        tier_features=[],
        tier_limits=[TierLimit(CALLS, own, (70,), 5)],
        addons=[],
        overrides=[],
        at=AT,
        trial=TrialPart("Business", ENDS, (), (TierLimit(CALLS, lent, (90,), 0),)),
    )
    _value, until, then = expected
    grant = found.limits["api-calls"]
    assert (grant.value, grant.until, grant.then) == expected
    raised = until is not None
    assert grant.thresholds == ((90,) if raised else (70,))
    assert grant.grace_percent == (0 if raised else 5)
    assert grant.sources == (SOURCE if raised else ("tier",))
    assert found.as_data()["limits"]["api-calls"].get("then", "absent") == (
        then if raised else "absent"
    )


def test_a_metric_the_plan_does_not_limit_is_lent_and_falls_back_to_none():
    trial = TrialPart("Business", ENDS, (), (TierLimit(STORAGE, None),))
    assert resolved(trial).limits["storage"] == LimitGrant(
        STORAGE, None, (80, 100), 10, SOURCE, ENDS, 0
    )
    assert (
        resolved(TrialPart("Business", ENDS, (), (TierLimit(STORAGE, 0),))).limits.get("storage")
        is None
    )


def test_what_the_plan_grants_and_the_trial_does_not_stays():
    found = resolved(TrialPart("Business", ENDS, (SSO,), (TierLimit(STORAGE, 50),)))
    assert found.features["keys"] == FeatureGrant(KEYS, "tier")
    assert found.features["old"] == FeatureGrant(OLD, "tier")
    assert found.limits["seats"] == LimitGrant(SEATS, 15, (80, 100), 10, ("tier",))
    assert found.limits["api-calls"] == LimitGrant(CALLS, 50_000, (80, 100), 10, ("tier",))


def test_a_limit_alike_but_for_its_warnings_stays_the_plans():
    trial = TrialPart("Business", ENDS, (), (TierLimit(SEATS, 15, (90,), 0),))
    assert resolved(trial).limits["seats"] == LimitGrant(SEATS, 15, (80, 100), 10, ("tier",))


def test_without_a_trial_the_own_plan_is_the_base():
    found = resolved(trial=None)
    assert set(found.features) == {"keys", "old"}
    assert found.limits["api-calls"] == LimitGrant(CALLS, 50_000, (80, 100), 10, ("tier",))
    assert found.earliest_end() is None


def test_add_ons_add_on_top_of_the_trial_and_of_what_it_falls_back_to():
    pack = AddonPart("pack", "Call pack", 2, features=(OLD,), extras=((CALLS, 10_000),))
    found = resolved(addons=[pack])
    assert found.limits["api-calls"] == LimitGrant(
        CALLS, 120_000, (80, 100), 10, (*SOURCE, "add-on: Call pack"), ENDS, 70_000
    )
    assert found.features["old"] == FeatureGrant(OLD, "tier")
    seats = AddonPart("seats", "Seat pack", 3, extras=((SEATS, 5),))
    assert resolved(addons=[seats]).limits["seats"] == LimitGrant(
        SEATS, 30, (80, 100), 10, ("tier", "add-on: Seat pack")
    )


def test_an_add_on_on_an_unlimited_trial_limit_raises_only_the_fallback():
    trial = TrialPart("Business", ENDS, (), (TierLimit(CALLS, None),))
    pack = AddonPart("pack", "Call pack", 2, extras=((CALLS, 10_000),))
    assert resolved(trial, addons=[pack]).limits["api-calls"] == LimitGrant(
        CALLS, None, (80, 100), 10, (*SOURCE, "add-on: Call pack"), ENDS, 70_000
    )


def test_an_override_applies_on_top_with_its_own_end_and_what_follows_it():
    override = OverridePart(reason="Pilot.", starts_at=AT, metric=CALLS, value=500_000)
    found = resolved(overrides=[override])
    assert found.limits["api-calls"] == LimitGrant(
        CALLS, 500_000, (80, 100), 10, (*SOURCE, "override"), None, None
    )
    assert "then" not in found.as_data()["limits"]["api-calls"]
    ending = OverridePart(reason="Pilot.", starts_at=AT, ends_at=ENDS, metric=CALLS, value=500_000)
    # Ending with the trial, it falls back to the plan's own limit, not the trial's.
    assert resolved(overrides=[ending]).limits["api-calls"] == LimitGrant(
        CALLS, 500_000, (80, 100), 10, (*SOURCE, "override"), ENDS, 50_000
    )
    # Ending after the trial: the same; ending before it, to the trial's raise.
    later = OverridePart(
        reason="Pilot.", starts_at=AT, ends_at=ENDS + (ENDS - AT), metric=CALLS, value=500_000
    )
    assert resolved(overrides=[later]).limits["api-calls"].then == 50_000
    sooner = OverridePart(
        reason="Pilot.", starts_at=AT, ends_at=AT + (ENDS - AT) / 2, metric=CALLS, value=500_000
    )
    # Ending before the trial: one step of fallback is all a file says, so never more
    # than the lasting grant (the plan's), never the trial's past its end.
    assert resolved(overrides=[sooner]).limits["api-calls"].then == 50_000
    # Below the trial's raise, for a while, it changes nothing; for good, it is what
    # follows the trial (attacker: the file fell back to the plan's 50,000).
    small = OverridePart(reason="Pilot.", starts_at=AT, ends_at=ENDS, metric=CALLS, value=60_000)
    assert resolved(overrides=[small]).limits["api-calls"] == resolved().limits["api-calls"]
    lasting = OverridePart(reason="Pilot.", starts_at=AT, metric=CALLS, value=60_000)
    assert resolved(overrides=[lasting]).limits["api-calls"] == LimitGrant(
        CALLS, 100_000, (80, 100), 10, (*SOURCE, "override"), ENDS, 60_000
    )
    below = OverridePart(reason="Pilot.", starts_at=AT, metric=CALLS, value=40_000)
    assert resolved(overrides=[below]).limits["api-calls"] == resolved().limits["api-calls"]


@pytest.mark.parametrize(
    "bought, value, until, then",
    [
        (25, 20, ENDS, 10),
        (15, 15, ENDS, 10),
        (11, 11, ENDS, 10),
        # The seats bought fit the plan's maximum: the trial changes no seat, nothing ends.
        (10, 10, None, None),
        (5, 5, None, None),
    ],
)
def test_the_seats_told_and_their_fallback_are_capped_by_the_seats_bought(
    bought, value, until, then
):
    own = [TierLimit(SEATS, 10)]
    trial = TrialPart("Business", ENDS, (), (TierLimit(SEATS, 20),))
    found = resolve(
        tier_features=[], tier_limits=own, addons=[], overrides=[], at=AT, trial=trial
    ).for_seats_bought(bought)
    grant = found.limits["seats"]
    assert (grant.value, grant.until, grant.then) == (value, until, then)
    data = found.as_data()["limits"]["seats"]
    assert (data["until"], data.get("then")) == (until and until.isoformat(), then)


def test_seats_without_a_fallback_keep_none():
    found = resolved(trial=None).for_seats_bought(5)
    assert found.limits["seats"] == LimitGrant(SEATS, 5, (80, 100), 10, ("tier",))


@given(st.sets(st.sampled_from([KEYS, SSO, OLD])), st.sets(st.sampled_from([KEYS, SSO, OLD])))
def test_the_trial_grants_the_plans_features_and_its_own_until_the_end(own, lent):
    found = resolve(
        tier_features=sorted(own, key=lambda f: f.key),
        tier_limits=[],
        addons=[],
        overrides=[],
        at=AT,
        trial=TrialPart("Business", ENDS, tuple(sorted(lent, key=lambda f: f.key))),
    )
    assert set(found.features) == {f.key for f in own | lent}
    for feature in own | lent:
        grant = found.features[feature.key]
        assert grant.until == (None if feature in own else ENDS)
        assert grant.source == ("tier" if feature in own else "trial: Business")


LIMIT = st.one_of(st.none(), st.integers(min_value=0, max_value=1_000))


def _allows(value):
    return float("inf") if value is None else value


@given(LIMIT, LIMIT)
def test_a_trial_never_lowers_a_limit_and_falls_back_to_the_plans(own, lent):
    found = resolve(
        tier_features=[],
        tier_limits=[TierLimit(CALLS, own)],
        addons=[],
        overrides=[],
        at=AT,
        trial=TrialPart("Business", ENDS, (), (TierLimit(CALLS, lent),)),
    )
    grant = found.limits["api-calls"]
    assert _allows(grant.value) == max(_allows(own), _allows(lent))
    raised = _allows(lent) > _allows(own)
    assert grant.until == (ENDS if raised else None)
    assert grant.then == (own if raised else None)


def test_a_trial_of_what_the_own_plan_grants_changes_nothing():
    same = TrialPart("Team", ENDS, tuple(OWN_FEATURES), tuple(OWN_LIMITS))
    assert resolved(same) == resolved(trial=None)
