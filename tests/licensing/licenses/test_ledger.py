"""Every change to a license goes through a service and leaves an append-only record:
who, when, why, before and after. Suspensions and revocations can be reversed."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from licensing.licenses import keys
from licensing.licenses.services import (
    Actor,
    license_change_seats,
    license_change_version,
    license_reinstate,
    license_revoke,
    license_rotate_key,
    license_set_status,
    license_suspend,
)
from licensing.models import (
    AppendOnlyError,
    EventKind,
    LicenseEvent,
    LicenseStatus,
)
from tests.helpers.licenses import SYSTEM, issue


def test_it_records_who_when_why_before_and_after(issued, owner, now):
    license = license_change_seats(
        license=issued.license, seats=8, actor=Actor.of(owner, "owner"), reason="Three hires."
    )
    event = license.events.first()
    assert event.kind == EventKind.SEATS
    assert (event.actor, event.actor_label) == (owner, f"{owner.email} (owner)")
    assert event.happened_at == now
    assert event.reason == "Three hires."
    assert (event.before["seats"], event.after["seats"]) == (5, 8)
    assert event.revision == license.revision == 2


def test_it_refuses_a_change_without_a_reason(issued):
    with pytest.raises(ValidationError, match="why"):
        license_change_seats(license=issued.license, seats=6, actor=SYSTEM, reason="  ")
    assert issued.license.events.count() == 1


def test_it_keeps_seats_within_the_tier(issued):
    with pytest.raises(ValidationError, match="at most 15 seats"):
        license_change_seats(license=issued.license, seats=16, actor=SYSTEM, reason="Growth.")


def test_it_never_changes_or_deletes_a_ledger_entry(issued):
    event = issued.license.events.get()
    event.reason = "Rewritten history."
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        LicenseEvent.objects.filter(pk=event.pk).update(reason="Rewritten.")
    with pytest.raises(AppendOnlyError):
        LicenseEvent.objects.all().delete()


@pytest.mark.parametrize("start", [LicenseStatus.ACTIVE, LicenseStatus.PAST_DUE])
def test_reinstating_lifts_the_suspension_back_to_active(issued, start):
    license = issued.license
    if start != license.status:
        license_set_status(license=license, status=start, actor=SYSTEM, reason="Card declined.")
    license_suspend(license=license, actor=SYSTEM, reason="Abuse report.")
    license = license_reinstate(license=license, actor=SYSTEM, reason="Report was mistaken.")
    assert license.status == LicenseStatus.ACTIVE
    kinds = list(license.events.values_list("before__status", "after__status"))
    assert kinds[:2] == [("suspended", "active"), (start, "suspended")]


def test_it_reverses_a_revocation(issued):
    license_revoke(license=issued.license, actor=SYSTEM, reason="Chargeback.")
    license = license_reinstate(license=issued.license, actor=SYSTEM, reason="Chargeback won.")
    assert license.status == LicenseStatus.ACTIVE


def test_it_only_reinstates_what_was_suspended_or_revoked(issued):
    with pytest.raises(ValidationError, match="Only a suspended or revoked"):
        license_reinstate(license=issued.license, actor=SYSTEM, reason="Why not.")


def test_it_rotates_the_key_so_only_the_new_one_matches(issued):
    rotated = license_rotate_key(license=issued.license, actor=SYSTEM, reason="Leaked in a log.")
    assert rotated.key != issued.key
    assert rotated.license.key_hash == keys.hash_secret(rotated.key)
    assert rotated.license.key_prefix == rotated.key[:8]
    event = rotated.license.events.first()
    assert event.before["key_prefix"] == issued.key[:8]
    assert issued.key not in str(event.before) + str(event.after)


def test_it_moves_a_grandfathered_license_to_todays_version(organization, catalog):
    legacy = issue(organization, catalog, "team", number=1).license
    assert legacy.is_grandfathered
    moved = license_change_version(
        license=legacy, version=catalog.version("team"), actor=SYSTEM, reason="Moved to v2."
    )
    assert not moved.is_grandfathered
    assert moved.events.first().before["version"] == 1


def test_it_allows_one_open_license_per_product(issued, organization, catalog):
    with pytest.raises(ValidationError):
        issue(organization, catalog, "business")
    license_revoke(license=issued.license, actor=SYSTEM, reason="Replaced.")
    assert issue(organization, catalog, "business", term_end=date(2027, 1, 31)).license.pk
