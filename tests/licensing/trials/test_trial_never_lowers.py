"""A trial in force never gives less than the plan paid for, everywhere the license is
read (the resolver, the signed license file, the API's answer), and a limit the trial
raises carries the plan's own value (`then`), so software reading it offline falls back
at the trial's end by itself."""

from datetime import UTC, datetime

import pytest

from licensing.licenses.entitlements import license_entitlements
from licensing.licenses.services import Actor, license_file_payload
from licensing.models import Tier
from licensing.trials.services import trial_start
from tests.helpers.licenses import issue
from tests.helpers.trials import running_trial

END = datetime(2026, 3, 28, tzinfo=UTC)
ENTERPRISE_ONLY = ("sso", "sandbox", "proposals", "custom-contracts")


@pytest.fixture
def enterprise_trialing_business(organization, catalog):
    """Bought Enterprise while a Business trial runs on the license."""
    issued = issue(organization, catalog, "enterprise", seats=30)
    running_trial(issued.license, "business")
    return issued


def test_a_plan_above_the_trial_keeps_all_it_paid_for(enterprise_trialing_business, now):
    found = license_entitlements(license=enterprise_trialing_business.license, at=now)
    for key in ENTERPRISE_ONLY:
        assert found.features[key].source == "tier" and found.features[key].until is None
    assert found.limit("api-calls") is None and found.limits["api-calls"].until is None
    assert found.limit("seats") is None and found.limit("integrations") is None
    assert found.limit("storage") == 2_000
    assert found.earliest_end() is None
    assert found == license_entitlements(
        license=enterprise_trialing_business.license, at=now, with_trial=False
    )


def test_its_file_and_answer_say_the_plans_grants_with_nothing_ending(
    enterprise_trialing_business, api, now
):
    license = enterprise_trialing_business.license
    payload = license_file_payload(license=license, at=now)["entitlements"]
    body = api("licenses/validate", {"key": enterprise_trialing_business.key}).json()
    for data in (payload, body["entitlements"]):
        assert set(ENTERPRISE_ONLY) <= set(data["features"])
        assert data["feature_until"] == {}
        assert data["limits"]["api-calls"]["value"] is None
        assert data["limits"]["storage"]["value"] == 2_000
        assert all(limit["until"] is None for limit in data["limits"].values())
        assert all("then" not in limit for limit in data["limits"].values())


@pytest.fixture
def started(issued, catalog):
    """Northwind on Team v2 (5 seats) trialing Business."""
    business = Tier.objects.get(slug="business")
    return trial_start(
        organization=issued.license.organization, tier=business, actor=Actor(label="owner")
    )


def test_a_raised_limit_says_the_plans_value_to_fall_back_to(issued, started, api, now):
    payload = license_file_payload(license=issued.license, at=now)["entitlements"]
    body = api("licenses/validate", {"key": issued.key}).json()
    assert payload == body["entitlements"]
    calls = payload["limits"]["api-calls"]
    assert (calls["value"], calls["until"], calls["then"]) == (
        1_000_000,
        END.isoformat(),
        100_000,
    )
    # The seats told are the seats bought, during the trial and after it: the trial does
    # not change them, so they are not marked as ending (only raised limits are).
    seats = payload["limits"]["seats"]
    assert (seats["value"], seats["until"], "then" in seats) == (5, None, False)
    assert payload["feature_until"]["audit-log"] == END.isoformat()
    assert "coupons" not in payload["feature_until"]  # Team has it: it stays after
    entitlements = api("licenses/entitlements", {"key": issued.key}).json()["entitlements"]
    assert entitlements["limits"]["api-calls"]["then"] == 100_000
