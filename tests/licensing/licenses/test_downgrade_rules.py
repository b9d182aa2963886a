"""The continuity check's rule: what exceeds a lower plan and what happens to it, word
for word as the checkout shows it. No database (make mutate runs these)."""

import pytest

from licensing.licenses.downgrade import ContinuityCheck, Excess, Usage, find_excesses
from licensing.licenses.grants import (
    Entitlements,
    FeatureGrant,
    FeatureInfo,
    LimitGrant,
    MetricInfo,
)

KEYS = FeatureInfo("keys", "License keys", "core")
SSO = FeatureInfo("sso", "Single sign-on", "premium")
AUDIT = FeatureInfo("audit", "Audit log", "premium")
SEATS = MetricInfo("seats", "Seats", "seats", is_level=True)
MACHINES = MetricInfo("machines", "Machines", "machines", is_level=True)
CALLS = MetricInfo("api-calls", "API calls", "calls", is_level=False)
PROJECTS = MetricInfo("projects", "Projects", "projects", is_level=True)
INTEGRATIONS = MetricInfo("integrations", "Integrations", "integrations", is_level=True)
STORAGE = MetricInfo("storage", "Storage", "GB", is_level=True)

USAGE_OUTCOME = (
    "Nothing recorded is removed. Usage over the new limit counts against the grace "
    "allowance, then new usage is refused until the next period."
)
LEVEL_OUTCOME = (
    "Nothing recorded is removed. What is over the new limit counts against the grace "
    "allowance, then more is refused until less is in use."
)


def plan(*features: FeatureInfo, **limits: int | None) -> Entitlements:
    metrics = {
        m.key.replace("-", "_"): m
        for m in (SEATS, MACHINES, CALLS, PROJECTS, INTEGRATIONS, STORAGE)
    }
    return Entitlements(
        features={f.key: FeatureGrant(f, "tier") for f in features},
        limits={
            metrics[name].key: LimitGrant(metrics[name], value, (80, 100), 10, ("tier",))
            for name, value in limits.items()
        },
    )


def check(*, target, seats=5, machines=0, usage=(), current=None):
    return find_excesses(
        current=current or plan(KEYS),
        target=target,
        seats=seats,
        active_machines=machines,
        usage=list(usage),
    )


def test_everything_fits_when_nothing_exceeds():
    result = check(
        target=plan(KEYS, api_calls=1_000, projects=None),
        machines=5,
        usage=[Usage(CALLS, 1_000), Usage(PROJECTS, 10**6)],
    )
    assert result == ContinuityCheck(
        excesses=[],
        features_lost=[],
        checked=["seats", "active machines", "api calls", "projects"],
    )
    assert result.fits is True


@pytest.mark.parametrize(
    "excesses, lost, fits",
    [([], [], True), ([Excess("a", "b", "c", "d")], [], False), ([], ["SSO"], False)],
    ids=["nothing", "an-excess", "a-lost-feature"],
)
def test_it_fits_only_with_no_excess_and_no_lost_feature(excesses, lost, fits):
    assert ContinuityCheck(excesses=excesses, features_lost=lost, checked=[]).fits is fits


@pytest.mark.parametrize(
    "limits, seats, allowed",
    [({"machines": 3}, 9, 3), ({"machines": None}, 9, None), ({}, 9, 9), ({"seats": 2}, 4, 4)],
    ids=["the-plan-limit", "unlimited", "one-per-seat", "seats-limit-is-not-machines"],
)
def test_the_machine_limit_is_the_plans_or_one_per_seat(limits, seats, allowed):
    assert plan(**limits).machine_limit(seats) == allowed


def test_machines_beyond_the_new_limit_stay_activated():
    result = check(target=plan(KEYS, machines=4), machines=7)
    assert result.excesses == [
        Excess(
            what="Active machines",
            now="7 active",
            allowed="4 on the new plan",
            outcome="All 7 stay activated and keep working. New activations are refused "
            "until fewer than 4 are active.",
        )
    ]


@pytest.mark.parametrize(
    "limits, seats, machines, exceeds",
    [
        ({"machines": 4}, 9, 4, False),  # exactly the limit fits
        ({"machines": 4}, 9, 5, True),
        ({"machines": None}, 1, 500, False),
        ({}, 3, 3, False),  # one machine per seat
        ({}, 3, 4, True),
    ],
    ids=["at-the-limit", "one-over", "unlimited", "at-one-per-seat", "over-one-per-seat"],
)
def test_machines_exceed_only_beyond_the_limit(limits, seats, machines, exceeds):
    result = check(target=plan(KEYS, **limits), seats=seats, machines=machines)
    assert [e.what for e in result.excesses] == (["Active machines"] if exceeds else [])


def test_usage_over_a_lower_limit_is_kept_against_the_grace_allowance():
    result = check(target=plan(KEYS, api_calls=10_000), usage=[Usage(CALLS, 12_345)])
    assert result.excesses == [
        Excess(
            what="API calls",
            now="12,345 calls this period",
            allowed="10,000 calls",
            outcome=USAGE_OUTCOME,
        )
    ]
    assert result.checked == ["seats", "active machines", "api calls"]


def test_a_level_is_in_use_and_a_metric_the_plan_lacks_allows_none():
    result = check(target=plan(KEYS), usage=[Usage(PROJECTS, 1_200)])
    assert result.excesses == [
        Excess(
            what="Projects",
            now="1,200 projects in use",
            allowed="0 projects",
            # Never "until the next period": a level does not start again.
            outcome=LEVEL_OUTCOME,
        )
    ]


@pytest.mark.parametrize(
    "limit, used, exceeds",
    [(10, 10, False), (10, 11, True), (None, 10**9, False), (0, 0, False), (0, 1, True)],
    ids=["at-the-limit", "one-over", "unlimited", "none-used-of-none", "one-used-of-none"],
)
def test_usage_exceeds_only_beyond_the_limit(limit, used, exceeds):
    result = check(target=plan(KEYS, api_calls=limit), usage=[Usage(CALLS, used)])
    assert len(result.excesses) == int(exceeds)


def test_seats_in_use_beyond_the_seats_bought_are_reported_not_removed():
    result = check(target=plan(KEYS, seats=None), seats=3, usage=[Usage(SEATS, 5)])
    assert result.excesses == [
        Excess(
            what="Seats",
            now="5 seats in use",
            allowed="3 seats",
            outcome="Nobody loses access. Your software will report 5 seats against 3, "
            "and new seats are refused until the count is under it.",
        )
    ]


@pytest.mark.parametrize(
    "limit, seats, used, allowed",
    [
        (None, 3, 5, "3 seats"),  # unlimited tier: the seats bought
        (2, 3, 5, "2 seats"),  # the tier's limit below the seats bought
        (4, 3, 5, "3 seats"),  # the seats bought below the tier's limit
        (6, 7, 5, None),  # within both
        (None, 5, 5, None),  # exactly the seats bought
    ],
    ids=["unlimited-tier", "tier-below-bought", "bought-below-tier", "within", "exactly"],
)
def test_seats_are_allowed_up_to_the_lower_of_the_tier_and_the_seats_bought(
    limit, seats, used, allowed
):
    result = check(target=plan(KEYS, seats=limit), seats=seats, usage=[Usage(SEATS, used)])
    assert [e.allowed for e in result.excesses] == ([allowed] if allowed else [])


@pytest.mark.parametrize(
    "metric, limit, used, now, allowed",
    [
        (INTEGRATIONS, 1, 3, "3 integrations in use", "1 integration"),
        (INTEGRATIONS, 0, 1, "1 integration in use", "0 integrations"),
        (INTEGRATIONS, 2, 5, "5 integrations in use", "2 integrations"),
        (CALLS, 1, 2, "2 calls this period", "1 call"),
        (STORAGE, 1, 2, "2 GB in use", "1 GB"),
        (SEATS, 1, 2, "2 seats in use", "1 seat"),
    ],
    ids=["one-allowed", "one-used-none-allowed", "two-allowed", "one-call", "gb", "one-seat"],
)
def test_the_unit_is_singular_for_one(metric, limit, used, now, allowed):
    result = check(
        target=plan(KEYS, **{metric.key.replace("-", "_"): limit}),
        usage=[Usage(metric, used)],
    )
    assert [(e.now, e.allowed) for e in result.excesses] == [(now, allowed)]


def test_nothing_exceeds_an_unlimited_limit():
    result = check(target=plan(KEYS, projects=None), usage=[Usage(PROJECTS, 5)])
    assert result.excesses == []


def test_features_lost_are_named_in_order_and_excesses_listed_machines_first():
    result = check(
        current=plan(KEYS, SSO, AUDIT),
        target=plan(KEYS, machines=1, api_calls=1),
        machines=2,
        usage=[Usage(CALLS, 2), Usage(PROJECTS, 3)],
    )
    assert result.features_lost == ["Audit log", "Single sign-on"]
    assert [e.what for e in result.excesses] == ["Active machines", "API calls", "Projects"]
    assert result.fits is False
