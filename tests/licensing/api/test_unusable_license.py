"""A license that may not be used — suspended, revoked (canceled), or expired by the clock
with the job that closes it not run yet — is told nothing to grant: validate says valid
false with its code and empty entitlements, licenses/entitlements says its status with
empty entitlements and no meters, and licenses/usage still takes the report but answers
no meter. A usable license is answered as before. The suite's now is 14 March 2026."""

from datetime import UTC, date, datetime

import pytest
import time_machine

from licensing.licenses.services import license_revoke, license_suspend
from licensing.models import LicenseStatus, UsageRecord
from tests.helpers.licenses import SYSTEM, issue

NOTHING = {"features": [], "limits": {}, "feature_until": {}}
# Northwind's quarter (term to 31 March, renewing) is valid through its renewal grace, to
# the end of 7 April, and expired by the clock from 8 April.
LAST_GRACE_MOMENT = datetime(2026, 4, 7, 23, 59, 59, tzinfo=UTC)
EXPIRED_BY_CLOCK = datetime(2026, 4, 8, tzinfo=UTC)


def report(api, key, idempotency_key="k1"):
    record = {"metric": "api-calls", "quantity": 40, "idempotency_key": idempotency_key}
    return api("licenses/usage", {"key": key, "records": [record]})


def test_it_answers_a_usable_license_with_its_entitlements_and_meters(api, issued):
    report(api, issued.key)

    validate = api("licenses/validate", {"key": issued.key}).json()
    body = api("licenses/entitlements", {"key": issued.key}).json()

    assert (validate["valid"], validate["code"]) == (True, "valid")
    assert "coupons" in validate["entitlements"]["features"]
    assert validate["entitlements"]["limits"]["seats"]["value"] == 5
    assert body["license"]["status"] == "active"
    assert body["entitlements"] == validate["entitlements"]
    calls = next(meter for meter in body["usage"] if meter["metric"] == "api-calls")
    assert (calls["used"], calls["limit"]) == (40, 100_000)


@pytest.mark.parametrize(
    "close, code",
    [(license_suspend, "suspended"), (license_revoke, "canceled")],
    ids=["suspended", "revoked"],
)
def test_it_tells_a_suspended_or_revoked_license_nothing_to_grant(api, issued, close, code):
    report(api, issued.key)
    close(license=issued.license, actor=SYSTEM, reason="Unpaid.")

    validate = api("licenses/validate", {"key": issued.key})
    entitlements = api("licenses/entitlements", {"key": issued.key})
    usage = report(api, issued.key, "k2")

    assert validate.status_code == entitlements.status_code == usage.status_code == 200
    body = validate.json()
    assert (body["valid"], body["code"], body["license"]["status"]) == (False, code, code)
    assert body["entitlements"] == NOTHING
    assert entitlements.json()["license"]["status"] == code
    assert entitlements.json()["entitlements"] == NOTHING
    assert entitlements.json()["usage"] == []
    # The report is still taken (it may be for the time the license ran); no meter.
    assert (usage.json()["accepted"], usage.json()["usage"]) == (1, [])
    assert UsageRecord.objects.filter(license=issued.license).count() == 2


def test_it_tells_a_license_expired_by_the_clock_nothing_to_grant(api, organization, catalog):
    quarter = issue(organization, catalog, term_start=date(2026, 1, 1), term_end=date(2026, 3, 31))
    report(api, quarter.key)
    with time_machine.travel(LAST_GRACE_MOMENT, tick=False):
        in_grace = api("licenses/entitlements", {"key": quarter.key}).json()

    with time_machine.travel(EXPIRED_BY_CLOCK, tick=False):
        validate = api("licenses/validate", {"key": quarter.key}).json()
        entitlements = api("licenses/entitlements", {"key": quarter.key}).json()
        usage = report(api, quarter.key, "k2").json()

    assert in_grace["license"]["status"] == "active"
    assert {meter["metric"] for meter in in_grace["usage"]} >= {"api-calls", "seats"}
    # The job that closes it has not run: stored, it is still active.
    quarter.license.refresh_from_db()
    assert quarter.license.status == LicenseStatus.ACTIVE
    assert (validate["valid"], validate["code"]) == (False, "expired")
    assert validate["entitlements"] == NOTHING
    assert entitlements["license"]["status"] == "expired"
    assert entitlements["entitlements"] == NOTHING
    assert entitlements["usage"] == []
    assert (usage["accepted"], usage["usage"]) == (1, [])
