"""A trial in force, everywhere the license is read: the resolver, the signed license
file (its `trial` object) and the API's answer (the trial's tier and end), and the fall
back at `ends_at` with no job run (a late job changes nothing the customer sees)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from licensing.licenses import signing
from licensing.licenses.entitlements import license_entitlements, licenses_entitlements
from licensing.licenses.services import Actor, license_file_payload, license_latest_file
from licensing.models import Tier
from licensing.trials.services import trial_end, trial_revert, trial_start
from tests.factories import OrganizationFactory
from tests.helpers.licenses import issue

END = datetime(2026, 3, 28, tzinfo=UTC)


@pytest.fixture
def started(issued, catalog):
    business = Tier.objects.get(slug="business")
    return trial_start(
        organization=issued.license.organization, tier=business, actor=Actor(label="owner")
    )


def test_the_trial_tiers_features_and_limits_apply_until_its_end(issued, started, now):
    license = issued.license
    during = license_entitlements(license=license, at=now)
    assert during.has("audit-log") and during.limit("api-calls") == 1_000_000
    assert during.features["audit-log"].until == END
    assert during.features["coupons"].until is None  # Team has it: it stays after
    last = license_entitlements(license=license, at=END - timedelta(microseconds=1))
    assert last.has("audit-log")
    after = license_entitlements(license=license, at=END)  # no job has run
    assert not after.has("audit-log") and after.limit("api-calls") == 100_000
    assert started.trial.status == "running"


def test_a_trial_not_started_yet_or_closed_lends_nothing(issued, started, now):
    license = issued.license
    before = license_entitlements(license=license, at=now - timedelta(seconds=1))
    assert not before.has("audit-log")
    trial_end(trial=started.trial, actor=Actor(label="owner"))
    assert not license_entitlements(license=license, at=now).has("audit-log")


def test_a_batch_resolves_each_license_with_its_own_trial(issued, started, now, catalog):
    other = issue(OrganizationFactory(name="Contoso", slug="contoso"), catalog, "team")
    found = licenses_entitlements(licenses=[issued.license, other.license], at=now)
    assert found[issued.license.pk].has("audit-log")
    assert not found[other.license.pk].has("audit-log")
    assert found[other.license.pk] == license_entitlements(license=other.license, at=now)


def _signed(license) -> dict:
    return signing.verify(license_latest_file(license).body, signing.public_key_pem())


def test_the_license_file_names_the_trial_until_the_revert(issued, started, now):
    license = issued.license
    payload = license_file_payload(license=license, at=now)
    assert payload["trial"] == {
        "tier": {"slug": "business", "name": "Business"},
        "version": started.trial.version.number,
        "ends_at": END.isoformat(),
    }
    # The plan underneath, which the file falls back to by itself offline.
    assert payload["tier"]["slug"] == "team"
    assert payload["entitlements"]["feature_until"]["audit-log"] == END.isoformat()
    assert "audit-log" in payload["entitlements"]["features"]

    assert _signed(license)["trial"] == payload["trial"]  # the file issued at the start

    assert "trial" not in license_file_payload(license=license, at=END)
    trial_revert(trial=started.trial, at=END)
    latest = license_latest_file(license)
    assert latest.issued_at == END
    assert "trial" not in _signed(license)


def test_without_a_trial_the_file_has_no_trial_object(issued, now):
    assert "trial" not in license_file_payload(license=issued.license, at=now)


def test_the_api_answers_with_the_trial_tier_and_its_end(api, issued, started):
    body = api("licenses/validate", {"key": issued.key}).json()
    assert (body["valid"], body["code"]) == (True, "valid")
    assert body["license"]["tier"] == "business"
    assert body["license"]["version"] == started.trial.version.number
    assert body["trial"] == {
        "tier": {"slug": "business", "name": "Business"},
        "version": started.trial.version.number,
        "ends_at": END.isoformat(),
    }
    assert "audit-log" in body["entitlements"]["features"]


def test_the_cached_answer_falls_back_at_the_end_with_no_job(api, issued, started):
    """The answer cached during the trial is not served past its end: it expires then,
    and the next answer is Team's, while the trial row still says running."""
    api("licenses/validate", {"key": issued.key})  # cached now, during the trial
    with time_machine.travel(END - timedelta(seconds=1), tick=False):
        body = api("licenses/validate", {"key": issued.key}).json()
        assert body["license"]["tier"] == "business"
    with time_machine.travel(END, tick=False):
        body = api("licenses/validate", {"key": issued.key}).json()
    assert body["license"]["tier"] == "team" and body["trial"] is None
    assert "audit-log" not in body["entitlements"]["features"]
    started.trial.refresh_from_db()
    assert started.trial.status == "running"


def test_a_trial_license_is_told_as_trialing_then_expired(api, organization, catalog):
    business = Tier.objects.get(slug="business")
    started = trial_start(organization=organization, tier=business, actor=Actor(label="owner"))
    body = api("licenses/validate", {"key": started.key}).json()
    assert (body["valid"], body["code"], body["license"]["tier"]) == (True, "trialing", "business")
    with time_machine.travel(END, tick=False):
        body = api("licenses/validate", {"key": started.key}).json()
    assert (body["valid"], body["code"], body["trial"]) == (False, "expired", None)
