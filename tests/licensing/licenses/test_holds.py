"""Holds through the license services: each source holds and lifts its own; the license
stays suspended while any source holds it; every status change follows the rules."""

import pytest
from django.core.exceptions import ValidationError

from licensing.licenses.services import (
    license_hold,
    license_reinstate,
    license_release_hold,
    license_revoke,
    license_set_status,
    license_suspend,
)
from licensing.models import HoldSource, LicenseHold, LicenseStatus
from tests.helpers.licenses import SYSTEM

pytestmark = pytest.mark.django_db


def hold(license, source, reason="Unpaid invoice."):
    return license_hold(license=license, source=source, actor=SYSTEM, reason=reason)


def release(license, source, reason="Paid."):
    return license_release_hold(license=license, source=source, actor=SYSTEM, reason=reason)


def written(license) -> tuple[int, int, str]:
    license.refresh_from_db()
    return license.events.count(), LicenseHold.objects.count(), license.status


def test_lifting_one_sources_hold_never_lifts_anothers(issued, now):
    license = issued.license
    hold(license, HoldSource.DUNNING)
    license_suspend(license=license, actor=SYSTEM, reason="Abuse report.")

    license = license_reinstate(license=license, actor=SYSTEM, reason="Report was mistaken.")
    assert license.status == LicenseStatus.SUSPENDED
    assert set(license.holds.filter(lifted_at=None).values_list("source", flat=True)) == {
        HoldSource.DUNNING
    }

    license = release(license, HoldSource.DUNNING)
    assert license.status == LicenseStatus.ACTIVE
    lifted = license.holds.get(source=HoldSource.DUNNING)
    assert (lifted.lifted_at, lifted.lift_reason, lifted.lifted_by) == (now, "Paid.", SYSTEM.label)
    statuses = list(license.events.values_list("before__status", "after__status"))
    assert statuses[:2] == [("suspended", "active"), ("active", "suspended")]


def test_the_last_hold_lifted_returns_a_past_due_license_to_active(issued):
    license_set_status(
        license=issued.license, status=LicenseStatus.PAST_DUE, actor=SYSTEM, reason="Declined."
    )
    hold(issued.license, HoldSource.DUNNING)
    assert release(issued.license, HoldSource.DUNNING).status == LicenseStatus.ACTIVE


def test_a_trial_license_returns_to_its_trial(issued):
    license_set_status(
        license=issued.license, status=LicenseStatus.CANCELED, actor=SYSTEM, reason="x"
    )
    license_set_status(
        license=issued.license, status=LicenseStatus.TRIALING, actor=SYSTEM, reason="Trial."
    )
    hold(issued.license, HoldSource.ADMIN, reason="Abuse report.")
    hold(issued.license, HoldSource.TRIAL, reason="Trial paused.")
    assert release(issued.license, HoldSource.ADMIN).status == LicenseStatus.SUSPENDED
    assert release(issued.license, HoldSource.TRIAL).status == LicenseStatus.TRIALING


@pytest.mark.parametrize(
    ("act", "message"),
    [
        (lambda lic: release(lic, HoldSource.DUNNING), "The license has no dunning hold to lift."),
        (lambda lic: hold(lic, HoldSource.ADMIN), r"already on hold \(staff\)"),
        (lambda lic: hold(lic, "bank"), "'bank' is not a hold source."),
        (
            lambda lic: license_set_status(
                license=lic, status=LicenseStatus.ACTIVE, actor=SYSTEM, reason="Sneaky."
            ),
            r"on hold \(staff\); lift the hold first",
        ),
        (
            lambda lic: license_set_status(
                license=lic, status=LicenseStatus.PAST_DUE, actor=SYSTEM, reason="x"
            ),
            "cannot go from suspended to past due",
        ),
        (lambda lic: release(lic, HoldSource.ADMIN, reason=" "), "Say why"),
    ],
)
def test_a_refused_change_writes_nothing(issued, act, message):
    license_suspend(license=issued.license, actor=SYSTEM, reason="Abuse report.")
    before = written(issued.license)

    with pytest.raises(ValidationError, match=message):
        act(issued.license)

    assert written(issued.license) == before


def test_suspension_is_only_ever_a_hold(issued):
    before = written(issued.license)
    with pytest.raises(ValidationError, match="suspended by a hold"):
        license_set_status(
            license=issued.license, status=LicenseStatus.SUSPENDED, actor=SYSTEM, reason="x"
        )
    assert written(issued.license) == before


@pytest.mark.parametrize("closed", [LicenseStatus.CANCELED, LicenseStatus.EXPIRED])
def test_a_closed_license_cannot_be_held(issued, closed):
    license_set_status(license=issued.license, status=closed, actor=SYSTEM, reason="Ended.")
    before = written(issued.license)
    with pytest.raises(ValidationError, match="cannot be put on hold"):
        hold(issued.license, HoldSource.DUNNING)
    assert written(issued.license) == before


def test_a_revocation_reversed_comes_back_on_hold_while_held(issued):
    hold(issued.license, HoldSource.DUNNING)
    license_revoke(license=issued.license, actor=SYSTEM, reason="Chargeback.")

    license = license_reinstate(license=issued.license, actor=SYSTEM, reason="Chargeback won.")
    assert license.status == LicenseStatus.SUSPENDED

    license_revoke(license=license, actor=SYSTEM, reason="Chargeback again.")
    release(license, HoldSource.DUNNING)
    license = license_reinstate(license=license, actor=SYSTEM, reason="Won again.")
    assert license.status == LicenseStatus.ACTIVE


def test_a_held_license_cannot_run_again_from_canceled_or_expired(issued):
    hold(issued.license, HoldSource.DUNNING)
    for closed in (LicenseStatus.CANCELED, LicenseStatus.EXPIRED):
        license_set_status(license=issued.license, status=closed, actor=SYSTEM, reason="x")
        with pytest.raises(ValidationError, match="lift the hold first"):
            license_set_status(
                license=issued.license, status=LicenseStatus.ACTIVE, actor=SYSTEM, reason="y"
            )
        issued.license.refresh_from_db()
        assert issued.license.status == closed
        if closed == LicenseStatus.CANCELED:
            license_reinstate(license=issued.license, actor=SYSTEM, reason="Back on hold.")


def test_a_trial_revoked_while_held_comes_back_to_its_trial(issued):
    license_set_status(
        license=issued.license, status=LicenseStatus.CANCELED, actor=SYSTEM, reason="x"
    )
    license_set_status(
        license=issued.license, status=LicenseStatus.TRIALING, actor=SYSTEM, reason="Trial."
    )
    hold(issued.license, HoldSource.DUNNING)
    license_revoke(license=issued.license, actor=SYSTEM, reason="Chargeback.")
    release(issued.license, HoldSource.DUNNING)

    license = license_reinstate(license=issued.license, actor=SYSTEM, reason="Won.")

    assert license.status == LicenseStatus.TRIALING
