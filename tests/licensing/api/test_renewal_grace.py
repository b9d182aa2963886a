"""Nothing expires by surprise: through the API and the signed file, a usable license
stays valid RENEWAL_GRACE_DAYS after its term (while its renewal runs, or until one
renewed by hand is renewed or set expired), says until when (grace_until), and expires
the moment the grace ends; one its customer canceled ends with its term. Time is pinned at each
boundary; the cached answer is warm across them."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.test import override_settings

from licensing.licenses import signing
from licensing.licenses.services import license_latest_file, license_set_auto_renew, license_suspend
from licensing.models import UsageRecord
from tests.helpers.licenses import SYSTEM, issue

TERM_END = date(2026, 3, 31)  # the term's last day
GRACE_ENDS = "2026-04-08T00:00:00+00:00"  # after the last grace day, 7 April
SECOND = timedelta(seconds=1)


def at(year, month, day, hour=0, minute=0, second=0):
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


# (moment, valid with the grace, valid once canceled)
BOUNDARIES = [
    pytest.param(at(2026, 3, 31, 23, 59, 59), True, True, id="last-term-day"),
    pytest.param(at(2026, 4, 1), True, False, id="first-grace-day"),
    pytest.param(at(2026, 4, 7, 23, 59, 59), True, False, id="last-grace-day"),
    pytest.param(at(2026, 4, 8), False, False, id="day-after-grace"),
]


@pytest.fixture
def quarter(organization, catalog):
    """Northwind on Team from January to the end of March, renewing by itself."""
    return issue(organization, catalog, term_start=date(2026, 1, 1), term_end=TERM_END)


def validate(api, issued, moment):
    with time_machine.travel(moment, tick=False):
        response = api("licenses/validate", {"key": issued.key})
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize("moment, valid_with_auto_renew, valid_without", BOUNDARIES)
def test_an_auto_renewing_license_stays_valid_through_its_grace(
    api, quarter, moment, valid_with_auto_renew, valid_without
):
    body = validate(api, quarter, moment)
    assert (body["valid"], body["code"]) == (
        (True, "valid") if valid_with_auto_renew else (False, "expired")
    )
    # The license's own status says the same as the code, as licenses/entitlements does.
    assert body["license"]["status"] == ("active" if valid_with_auto_renew else "expired")
    assert body["expires_at"] == "2026-04-01T00:00:00+00:00"
    assert body["grace_until"] == GRACE_ENDS


@pytest.mark.parametrize("moment, valid_with_auto_renew, valid_without", BOUNDARIES)
def test_renewed_by_hand_it_keeps_the_grace_until_it_is_set_expired(
    api, quarter, moment, valid_with_auto_renew, valid_without
):
    license_set_auto_renew(
        license=quarter.license, auto_renew=False, actor=SYSTEM, reason="Renewed by hand."
    )
    body = validate(api, quarter, moment)
    assert (body["valid"], body["code"]) == (
        (True, "valid") if valid_with_auto_renew else (False, "expired")
    )
    assert body["grace_until"] == GRACE_ENDS


@pytest.mark.parametrize("moment, valid_with_auto_renew, valid_without", BOUNDARIES)
def test_canceled_by_its_customer_it_expires_with_its_term(
    api, quarter, moment, valid_with_auto_renew, valid_without
):
    license_set_auto_renew(
        license=quarter.license,
        auto_renew=False,
        actor=SYSTEM,
        reason="Canceled.",
        ends_with_term=True,
    )
    body = validate(api, quarter, moment)
    assert (body["valid"], body["code"]) == (
        (True, "valid") if valid_without else (False, "expired")
    )
    assert body["grace_until"] is None


@pytest.mark.parametrize("moment, valid_with_auto_renew, valid_without", BOUNDARIES)
def test_a_suspended_license_has_no_grace(
    api, quarter, moment, valid_with_auto_renew, valid_without
):
    license_suspend(license=quarter.license, actor=SYSTEM, reason="Fraud check.")
    body = validate(api, quarter, moment)
    assert (body["valid"], body["code"], body["grace_until"]) == (False, "suspended", None)


def test_the_warm_answer_expires_the_moment_the_grace_ends(api, quarter):
    assert validate(api, quarter, at(2026, 4, 7, 23, 59, 58))["valid"] is True
    assert validate(api, quarter, at(2026, 4, 7, 23, 59, 59))["valid"] is True  # from the cache
    assert validate(api, quarter, at(2026, 4, 8))["code"] == "expired"


@pytest.mark.parametrize(
    "days, last_valid, grace_until",
    [
        (3, at(2026, 4, 3, 23, 59, 59), "2026-04-04T00:00:00+00:00"),
        (0, at(2026, 3, 31, 23, 59, 59), None),
    ],
    ids=["three-days", "none"],
)
def test_the_grace_is_the_setting_s_days(api, quarter, days, last_valid, grace_until):
    with override_settings(RENEWAL_GRACE_DAYS=days):
        assert validate(api, quarter, last_valid)["grace_until"] == grace_until
        assert validate(api, quarter, last_valid)["valid"] is True
        assert validate(api, quarter, last_valid + SECOND)["code"] == "expired"


def test_the_signed_file_says_until_when_it_holds(organization, catalog):
    license = issue(organization, catalog).license  # 2026, renewing by itself
    payload = signing.verify(license_latest_file(license).body, signing.public_key_pem())
    assert (payload["expires_on"], payload["grace_until"]) == ("2026-12-31", "2027-01-07")

    license_set_auto_renew(
        license=license, auto_renew=False, actor=SYSTEM, reason="Ends.", ends_with_term=True
    )
    payload = signing.verify(license_latest_file(license).body, signing.public_key_pem())
    assert (payload["expires_on"], payload["grace_until"]) == ("2026-12-31", None)


def test_a_suspended_license_s_file_has_no_grace(organization, catalog):
    license = issue(organization, catalog).license
    license_suspend(license=license, actor=SYSTEM, reason="Fraud check.")
    payload = signing.verify(license_latest_file(license).body, signing.public_key_pem())
    assert (payload["status"], payload["grace_until"]) == ("suspended", None)


@pytest.mark.parametrize(
    "moment, taken",
    [
        pytest.param(at(2026, 4, 7, 23, 59, 59), True, id="last-grace-day"),
        pytest.param(at(2026, 4, 8), False, id="day-after-grace"),
    ],
)
def test_past_its_grace_it_takes_no_activation_before_the_job_runs(api, quarter, moment, taken):
    """The term-end job has not run: the stored status is still active, but validate
    already answers "expired" after the grace, and so does activate. Usage is still
    taken: a report may come late for what was used while the license was valid."""
    body = {"key": quarter.key}
    usage = body | {"records": [{"metric": "api-calls", "quantity": 5, "idempotency_key": "u1"}]}
    with time_machine.travel(moment, tick=False):
        code = api("licenses/validate", body).json()["code"]
        activated = api("machines/activate", body | {"fingerprint": "build-1"})
        reported = api("licenses/usage", usage)
    quarter.license.refresh_from_db()
    assert quarter.license.status == "active"
    assert reported.status_code == 200
    assert UsageRecord.objects.filter(license=quarter.license).count() == 1
    if taken:
        assert code == "valid"
        assert activated.status_code == 201
        return
    assert code == "expired"
    assert (activated.status_code, activated.json()) == (
        409,
        {"code": "activation_refused", "detail": "The license is expired."},
    )
    assert not quarter.license.machines.exists()


def test_a_license_set_expired_refuses_an_activation_in_the_same_words(api, organization, catalog):
    expired = issue(organization, catalog, status="expired")
    refused = api("machines/activate", {"key": expired.key, "fingerprint": "build-1"})
    assert (refused.status_code, refused.json()) == (
        409,
        {"code": "activation_refused", "detail": "The license is expired."},
    )
