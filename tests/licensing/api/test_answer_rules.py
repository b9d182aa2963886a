"""The validation answer's rules: the code for each status and term (and renewal grace),
the answer and how long it is cached, when a cached answer still counts, and the result
for a caller's key and machine. No database (make mutate runs these)."""

import hashlib
import json
from datetime import UTC, date, datetime, timedelta

import pytest

from licensing.api.answer import (
    CODES,
    CachedAnswer,
    answer_code,
    answer_timeout,
    as_json,
    expiry,
    fingerprint_digest,
    is_current,
    license_answer,
    valid_until,
    validation_result,
)
from licensing.licenses.grants import (
    Entitlements,
    FeatureGrant,
    FeatureInfo,
    LimitGrant,
    MetricInfo,
)

AT = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
ENDS = datetime(2026, 4, 1, tzinfo=UTC)
SECOND = timedelta(seconds=1)
KEYS = FeatureInfo("keys", "License keys", "core")
CALLS = MetricInfo("api-calls", "API calls", "calls", is_level=False)
LICENSE = {"id": 7, "product": "relay", "tier": "team", "version": 2, "status": "active"}


def test_a_fingerprint_digest_is_the_first_half_of_its_sha256():
    assert fingerprint_digest("machine-1") == hashlib.sha256(b"machine-1").hexdigest()[:32]
    assert fingerprint_digest("machine-1") == "f7a7266df8b420793d51b92561955db2"


def test_a_term_ends_at_the_start_of_its_renewal_day_utc():
    assert expiry(date(2026, 4, 1)) == ENDS


@pytest.mark.parametrize(
    "status, at, code",
    [
        ("active", AT, "valid"),
        ("trialing", AT, "trialing"),
        ("past_due", AT, "past_due"),
        ("suspended", AT, "suspended"),
        ("canceled", AT, "canceled"),
        ("expired", AT, "expired"),
        ("active", ENDS - SECOND, "valid"),
        ("active", ENDS, "expired"),
        ("trialing", ENDS, "expired"),
        ("past_due", ENDS + SECOND, "expired"),
        ("suspended", ENDS, "suspended"),
        ("canceled", ENDS, "canceled"),
    ],
    ids=lambda value: value.isoformat() if isinstance(value, datetime) else value,
)
def test_the_code_follows_the_status_and_a_usable_license_expires_with_its_term(status, at, code):
    assert answer_code(status, valid_until=ENDS, at=at) == code


def test_a_license_is_valid_until_its_term_ends_or_until_its_grace_ends():
    assert valid_until(renews_on=date(2026, 4, 1), grace_until=None) == ENDS
    # The grace's last day is 7 April: valid until the start of the 8th, UTC.
    assert valid_until(renews_on=date(2026, 4, 1), grace_until=date(2026, 4, 7)) == datetime(
        2026, 4, 8, tzinfo=UTC
    )


@pytest.mark.parametrize(
    "ends, seconds",
    [
        ([ENDS], 300),  # far away: the longest
        ([AT + 299 * SECOND], 299),
        ([AT + 301 * SECOND], 300),
        ([AT + 1500 * timedelta(milliseconds=1)], 1),
        ([AT + 500 * timedelta(milliseconds=1)], 1),  # less than a second: still one
        ([AT - SECOND], 1),  # already past: one
        ([None, AT + 42 * SECOND], 42),
        ([AT + 60 * SECOND, ENDS], 60),
        ([ENDS, AT + 61 * SECOND], 61),
    ],
    ids=["far", "299", "301", "1.5s", "half-a-second", "past", "none-first", "first", "second"],
)
def test_an_answer_is_kept_until_the_first_moment_that_could_change_it(ends, seconds):
    assert answer_timeout(at=AT, ends=ends) == seconds


def entitlements(until=None):
    return Entitlements(
        features={"keys": FeatureGrant(KEYS, "tier")},
        limits={"api-calls": LimitGrant(CALLS, 100, (80, 100), 10, ("tier",), until)},
    )


def test_the_answer_carries_the_license_its_entitlements_term_and_machines_in_order():
    answer, timeout = license_answer(
        revision=4,
        key_hash="abc",
        status="active",
        license=LICENSE,
        entitlements=entitlements(),
        renews_on=date(2026, 4, 1),
        grace_until=None,
        fingerprints=iter(["machine-b", "machine-a", "machine-c"]),
        at=AT,
    )
    assert answer == {
        "revision": 4,
        "key_hash": "abc",
        "code": "valid",
        "license": LICENSE,
        "entitlements": entitlements().as_data(),
        "expires_at": "2026-04-01T00:00:00+00:00",
        "grace_until": None,
        "machines": sorted(fingerprint_digest(f) for f in ["machine-a", "machine-b", "machine-c"]),
        "retiring": {},
        "trial": None,
    }
    assert timeout == 300


def active_answer(renews_on, grace_until, *, until=None, at=AT):
    """The answer for an active license with no machines."""
    return license_answer(
        revision=1,
        key_hash="abc",
        status="active",
        license=LICENSE,
        entitlements=entitlements(until),
        renews_on=renews_on,
        grace_until=grace_until,
        fingerprints=[],
        at=at,
    )


@pytest.mark.parametrize(
    "renews_on, grace_until, until, code, timeout",
    [
        (date(2026, 3, 14), None, None, "expired", 1),
        (date(2026, 3, 15), None, AT + 90 * SECOND, "valid", 90),
        (date(2026, 3, 15), None, None, "valid", 300),
        # The term ended yesterday; in its grace until the end of 14 March.
        (date(2026, 3, 14), date(2026, 3, 14), None, "valid", 300),
        (date(2026, 3, 8), date(2026, 3, 14), AT + 90 * SECOND, "valid", 90),
        # The grace's last day was yesterday.
        (date(2026, 3, 7), date(2026, 3, 13), None, "expired", 1),
    ],
    ids=[
        "ended-today",
        "an-override-ends",
        "nothing-ends-soon",
        "in-grace",
        "in-grace-override-ends",
        "grace-over",
    ],
)
def test_the_answer_expires_with_the_term_or_its_grace_and_is_kept_until_an_override_ends(
    renews_on, grace_until, until, code, timeout
):
    answer, seconds = active_answer(renews_on, grace_until, until=until)
    assert (answer["code"], answer["machines"], seconds) == (code, [], timeout)
    assert answer["expires_at"] == expiry(renews_on).isoformat()
    assert answer["grace_until"] == (
        valid_until(renews_on=renews_on, grace_until=grace_until).isoformat()
        if grace_until
        else None
    )


def test_an_answer_in_grace_is_kept_no_longer_than_the_grace():
    answer, seconds = active_answer(
        date(2026, 3, 1),
        date(2026, 3, 13),
        at=datetime(2026, 3, 13, 23, 58, tzinfo=UTC),  # two minutes before the grace ends
    )
    assert answer["code"] == "valid"
    assert answer["grace_until"] == "2026-03-14T00:00:00+00:00"
    assert seconds == 120


@pytest.mark.parametrize(
    "stored, revision, current",
    [
        (CachedAnswer(3, {}, b""), 3, True),
        (CachedAnswer(3, {}, b""), 4, False),
        (CachedAnswer(3, {}, b""), None, False),
        ({"revision": 3}, 3, False),
        (None, 3, False),
    ],
    ids=["same-revision", "older-revision", "no-revision", "not-an-answer", "nothing-stored"],
)
def test_a_cached_answer_counts_only_at_the_current_revision(stored, revision, current):
    assert is_current(stored, revision) is current


def test_json_is_compact():
    assert as_json({"a": [1, 2], "b": None}) == b'{"a":[1,2],"b":null}'
    assert json.loads(as_json({"valid": True})) == {"valid": True}


def cached(code="valid", machines=("machine-1",)):
    return {
        "revision": 1,
        "key_hash": "abc",
        "code": code,
        "license": LICENSE,
        "entitlements": {"features": ["keys"]},
        "expires_at": "2026-04-01T00:00:00+00:00",
        "grace_until": "2026-04-08T00:00:00+00:00",
        "machines": [fingerprint_digest(m) for m in machines],
        "retiring": {"old": AT + 60 * SECOND},
        "trial": None,
    }


@pytest.mark.parametrize(
    "code, fingerprint, valid, said",
    [
        ("valid", None, True, "valid"),
        ("valid", "machine-1", True, "valid"),
        ("valid", "machine-2", False, "machine_not_activated"),
        ("trialing", "machine-2", False, "machine_not_activated"),
        ("past_due", "machine-1", True, "past_due"),
        ("trialing", None, True, "trialing"),
        ("suspended", "machine-2", False, "suspended"),
        ("expired", "machine-1", False, "expired"),
        ("canceled", None, False, "canceled"),
    ],
    ids=lambda value: str(value),
)
def test_the_result_says_valid_only_for_a_usable_license_on_an_activated_machine(
    code, fingerprint, valid, said
):
    assert validation_result(cached(code), "abc", fingerprint) == {
        "valid": valid,
        "code": said,
        "detail": CODES[said],
        "license": LICENSE,
        "entitlements": {"features": ["keys"]},
        "expires_at": "2026-04-01T00:00:00+00:00",
        "grace_until": "2026-04-08T00:00:00+00:00",
        "trial": None,
        "key": {"status": "current", "retires_at": None},
    }


def test_the_details_say_each_code_in_words():
    assert validation_result(cached("valid"), "abc", "machine-9")["detail"] == (
        "This machine is not activated on the license."
    )
    assert CODES["past_due"] == "The license is valid, but payment is past due."


def test_another_key_gets_no_result():
    assert validation_result(cached(), "abd", None) == {}


def test_a_retiring_key_is_accepted_until_its_overlap_ends_and_says_so():
    result = validation_result(cached(), "old", None, AT + 59 * SECOND)
    assert (result["valid"], result["code"]) == (True, "valid")
    assert result["key"] == {"status": "retiring", "retires_at": "2026-03-14T09:31:00+00:00"}
    assert result["detail"] == (
        "The license is valid. This key is being retired: it stops working at "
        "2026-03-14T09:31:00+00:00. Use the license's new key."
    )
    # A retiring key on an unactivated machine is still told which key it is.
    elsewhere = validation_result(cached(), "old", "machine-9", AT)
    assert (elsewhere["code"], elsewhere["key"]["status"]) == ("machine_not_activated", "retiring")


@pytest.mark.parametrize("at", [AT + 60 * SECOND, AT + 61 * SECOND, None])
def test_a_retiring_key_is_refused_from_the_moment_its_overlap_ends(at):
    assert validation_result(cached(), "old", None, at) == {}


def test_the_current_key_never_reads_as_retiring_even_with_a_time():
    assert validation_result(cached(), "abc", None, AT)["key"]["status"] == "current"


def test_an_old_key_keeps_the_answer_no_longer_than_its_overlap():
    answer, timeout = license_answer(
        revision=2,
        key_hash="abc",
        status="active",
        license=LICENSE,
        entitlements=entitlements(),
        renews_on=date(2026, 4, 1),
        grace_until=None,
        fingerprints=[],
        at=AT,
        retiring={"old": AT + 45 * SECOND, "older": AT, "oldest": AT - SECOND},
    )
    # Keys already past their overlap are left out; the answer lasts until the next end.
    assert answer["retiring"] == {"old": AT + 45 * SECOND}
    assert timeout == 45
