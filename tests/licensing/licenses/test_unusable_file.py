"""A license file says what the licensing API says (licensing.licenses.entitlements.
usable_entitlements): a license that may not be used — suspended, revoked (canceled), or
expired by the clock with the job that closes it not run yet — has its status by the
clock and no entitlements in its file, so software reading the file offline grants
nothing either; reinstated, its file grants its plan again. The suite's now is
14 March 2026."""

from datetime import UTC, date, datetime

import pytest
import time_machine

from licensing.licenses import signing
from licensing.licenses.services import (
    license_latest_file,
    license_reinstate,
    license_revoke,
    license_suspend,
    machine_activate,
    machine_deactivate,
)
from licensing.models import LicenseStatus
from tests.helpers.licenses import SYSTEM, issue

NOTHING = {"features": [], "limits": {}, "feature_until": {}}
# Northwind's quarter (term to 31 March, renewing) is valid through its renewal grace, to
# the end of 7 April, and expired by the clock from 8 April.
EXPIRED_BY_CLOCK = datetime(2026, 4, 8, 9, 30, tzinfo=UTC)


def file_payload(license) -> dict:
    return signing.verify(license_latest_file(license).body, signing.public_key_pem())


@pytest.mark.parametrize(
    "close, status",
    [(license_suspend, "suspended"), (license_revoke, "canceled")],
    ids=["suspended", "revoked"],
)
def test_it_signs_a_suspended_or_revoked_license_with_nothing_to_grant(
    api, issued, close, status
):
    assert "coupons" in file_payload(issued.license)["entitlements"]["features"]

    close(license=issued.license, actor=SYSTEM, reason="Unpaid.")

    payload = file_payload(issued.license)
    validate = api("licenses/validate", {"key": issued.key}).json()
    assert payload["status"] == validate["license"]["status"] == status
    assert payload["entitlements"] == validate["entitlements"] == NOTHING
    assert "trial" not in payload


def test_it_grants_the_plan_again_once_reinstated(api, issued):
    license_suspend(license=issued.license, actor=SYSTEM, reason="Unpaid.")

    license_reinstate(license=issued.license, actor=SYSTEM, reason="Paid.")

    payload = file_payload(issued.license)
    validate = api("licenses/validate", {"key": issued.key}).json()
    assert payload["status"] == "active"
    assert "coupons" in payload["entitlements"]["features"]
    assert payload["entitlements"]["limits"]["seats"]["value"] == 5
    assert payload["entitlements"] == validate["entitlements"]


def test_it_signs_a_license_expired_by_the_clock_as_expired_with_nothing(
    api, organization, catalog
):
    quarter = issue(organization, catalog, term_start=date(2026, 1, 1), term_end=date(2026, 3, 31))
    machine_activate(license=quarter.license, fingerprint="m-1", actor=SYSTEM)

    with time_machine.travel(EXPIRED_BY_CLOCK, tick=False):
        machine_deactivate(license=quarter.license, fingerprint="m-1", actor=SYSTEM)
        validate = api("licenses/validate", {"key": quarter.key}).json()

    # The job that closes it has not run: stored, it is still active.
    quarter.license.refresh_from_db()
    assert quarter.license.status == LicenseStatus.ACTIVE
    payload = file_payload(quarter.license)
    assert payload["issued_at"].startswith("2026-04-08")
    assert payload["status"] == validate["license"]["status"] == "expired"
    assert payload["entitlements"] == validate["entitlements"] == NOTHING
