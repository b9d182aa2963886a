"""A rotation with an overlap: the old key keeps working through the API until the
overlap ends by the clock, says it is being retired and when, and is refused from that
moment, whatever the cache holds. Time is pinned at each boundary."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from licensing.licenses.services import (
    license_retiring_keys,
    license_rotate_key,
    rotation_token,
)
from licensing.models import LicenseEvent, RetiringKey
from tests.helpers.licenses import SYSTEM

ROTATED_AT = datetime(2026, 6, 10, 9, 0, tzinfo=UTC)
OVERLAP_ENDS = "2026-06-11T09:00:00+00:00"
SECOND = timedelta(seconds=1)


def _rotate(issued, overlap, at=ROTATED_AT, capture=None):
    with time_machine.travel(at, tick=False):
        return license_rotate_key(
            license=issued.license, actor=SYSTEM, reason="Routine rotation.", overlap=overlap, at=at
        )


def _validate(api, key, moment, **extra):
    with time_machine.travel(moment, tick=False):
        return api("licenses/validate", {"key": key, **extra})


@pytest.fixture
def rotated(api, issued, django_capture_on_commit_callbacks):
    """Northwind's key rotated on 10 June at 09:00 with the default 24 hours' overlap, the
    old key's answer warm in the cache before."""
    _validate(api, issued.key, ROTATED_AT - SECOND)
    with django_capture_on_commit_callbacks(execute=True):
        return _rotate(issued, timedelta(hours=24))


def test_the_old_key_works_through_its_overlap_and_says_it_is_being_retired(api, issued, rotated):
    for moment in (ROTATED_AT, ROTATED_AT + timedelta(hours=23, minutes=59, seconds=59)):
        response = _validate(api, issued.key, moment)
        body = response.json()
        assert response.status_code == 200
        assert (body["valid"], body["code"]) == (True, "valid")
        assert body["key"] == {"status": "retiring", "retires_at": OVERLAP_ENDS}
        assert f"stops working at {OVERLAP_ENDS}" in body["detail"]
    # The new key is the current one meanwhile.
    new = _validate(api, rotated.key, ROTATED_AT).json()
    assert new["valid"] is True and new["key"] == {"status": "current", "retires_at": None}


def test_the_old_key_is_refused_from_the_moment_its_overlap_ends(api, issued, rotated):
    # Warm: the cached answer that accepted it is not what decides after the end.
    assert _validate(api, issued.key, ROTATED_AT + timedelta(hours=23)).status_code == 200
    for moment in (ROTATED_AT + timedelta(hours=24), ROTATED_AT + timedelta(days=3)):
        refused = _validate(api, issued.key, moment)
        assert (refused.status_code, refused.json()["code"]) == (404, "license_not_found")
    assert _validate(api, rotated.key, ROTATED_AT + timedelta(days=3)).json()["valid"] is True


def test_the_fast_path_serves_the_old_key_from_the_cache_until_the_end(
    api, issued, rotated, django_assert_num_queries
):
    _validate(api, issued.key, ROTATED_AT + timedelta(hours=1))
    with django_assert_num_queries(0):
        warm = _validate(api, issued.key, ROTATED_AT + timedelta(hours=1, seconds=10))
    assert warm.json()["key"]["status"] == "retiring"
    _validate(api, issued.key, ROTATED_AT + timedelta(hours=24) - 10 * SECOND)
    with django_assert_num_queries(0):
        last = _validate(api, issued.key, ROTATED_AT + timedelta(hours=24) - SECOND)
    assert last.json()["valid"] is True
    refused = _validate(api, issued.key, ROTATED_AT + timedelta(hours=24))
    assert refused.status_code == 404


def test_the_cached_answer_never_outlives_the_old_keys_overlap(api, issued, rotated):
    from django.core.cache import cache

    from licensing.api.validation import _answer_key

    with time_machine.travel(ROTATED_AT + timedelta(hours=23, minutes=59), tick=False):
        api("licenses/validate", {"key": issued.key})
        stored = cache.get(_answer_key(issued.license.pk))
        assert stored.answer["retiring"]
    # Sixty seconds later the stored answer has expired with the overlap.
    with time_machine.travel(ROTATED_AT + timedelta(hours=24, seconds=1), tick=False):
        assert cache.get(_answer_key(issued.license.pk)) is None


def test_the_old_key_reaches_the_other_endpoints_until_the_end(api, issued, rotated):
    with time_machine.travel(ROTATED_AT + timedelta(hours=1), tick=False):
        assert api("licenses/entitlements", {"key": issued.key}).status_code == 200
        machine = {"key": issued.key, "fingerprint": "old-config-box"}
        assert api("machines/activate", machine).status_code == 201
    with time_machine.travel(ROTATED_AT + timedelta(hours=24), tick=False):
        assert api("licenses/entitlements", {"key": issued.key}).status_code == 404


def test_a_rotation_with_no_overlap_stops_the_old_key_at_once(
    api, issued, django_capture_on_commit_callbacks
):
    _validate(api, issued.key, ROTATED_AT - SECOND)
    with django_capture_on_commit_callbacks(execute=True):
        rotated = _rotate(issued, timedelta(0))
    refused = _validate(api, issued.key, ROTATED_AT)
    assert (refused.status_code, refused.json()["code"]) == (404, "license_not_found")
    assert _validate(api, rotated.key, ROTATED_AT).json()["valid"] is True
    assert not RetiringKey.objects.exists()
    event = LicenseEvent.objects.filter(kind="key_rotated").get()
    assert event.after["old_key_valid_until"] is None


def test_a_second_rotation_ends_the_first_overlap_now(api, issued, rotated):
    later = ROTATED_AT + timedelta(hours=2)
    third = _rotate(issued, timedelta(hours=1), at=later)
    # The first key stops now; the second (replaced just now) overlaps for an hour.
    assert _validate(api, issued.key, later).status_code == 404
    second = _validate(api, rotated.key, later).json()
    assert second["key"] == {"status": "retiring", "retires_at": "2026-06-10T12:00:00+00:00"}
    assert _validate(api, third.key, later).json()["key"]["status"] == "current"
    assert [k.key_prefix for k in license_retiring_keys(issued.license, later)] == [rotated.key[:8]]
    event = LicenseEvent.objects.filter(kind="key_rotated").first()
    assert event.before["overlapping_keys_ended"] == [issued.key[:8]]


def test_a_rotation_sent_twice_with_one_token_rotates_once(api, issued):
    """A form's token is the key it rotates: the second submission of it is refused, so
    the key the software uses keeps its overlap instead of being ended at once."""
    token = rotation_token(issued.license)
    with time_machine.travel(ROTATED_AT, tick=False):
        first = license_rotate_key(
            license=issued.license,
            actor=SYSTEM,
            reason="Routine rotation.",
            overlap=timedelta(hours=24),
            at=ROTATED_AT,
            token=token,
        )
    with pytest.raises(ValidationError) as refused:
        license_rotate_key(
            license=issued.license,
            actor=SYSTEM,
            reason="Routine rotation.",
            overlap=timedelta(hours=24),
            at=ROTATED_AT + SECOND,
            token=token,
        )
    assert refused.value.code == "already_rotated"
    assert "This key was already rotated" in refused.value.messages[0]
    assert LicenseEvent.objects.filter(kind="key_rotated").count() == 1
    assert _validate(api, first.key, ROTATED_AT + SECOND).json()["key"]["status"] == "current"
    old = _validate(api, issued.key, ROTATED_AT + SECOND).json()
    assert old["key"] == {"status": "retiring", "retires_at": OVERLAP_ENDS}
    # The new key's form has a token of its own.
    issued.license.refresh_from_db()
    assert rotation_token(issued.license) != token


def test_the_reason_and_the_overlap_are_on_record(issued, rotated):
    event = LicenseEvent.objects.filter(license=issued.license, kind="key_rotated").get()
    assert event.reason == "Routine rotation."
    assert event.before == {"key_prefix": issued.key[:8]}
    assert event.after == {"key_prefix": rotated.key[:8], "old_key_valid_until": OVERLAP_ENDS}


@pytest.mark.parametrize("overlap", [timedelta(days=7, seconds=1), -SECOND])
def test_an_overlap_longer_than_a_week_or_negative_is_refused(issued, overlap):
    with pytest.raises(ValidationError, match="at most 7 days"):
        _rotate(issued, overlap)
    issued.license.refresh_from_db()
    assert issued.license.key_prefix == issued.key[:8]


def test_another_organizations_token_never_reaches_an_old_key(api, issued, rotated, catalog):
    from licensing.api.tokens import api_token_create
    from tests.factories import MembershipFactory, OrganizationFactory

    rival = OrganizationFactory(slug="rival")
    owner = MembershipFactory(organization=rival, role="owner").user
    theirs = api_token_create(organization=rival, name="Rival", created_by=owner)
    with time_machine.travel(ROTATED_AT + SECOND, tick=False):
        response = api("licenses/validate", {"key": issued.key}, secret=theirs.secret)
    assert (response.status_code, response.json()["code"]) == (404, "license_not_found")
