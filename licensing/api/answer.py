"""What a license validation says, pure: the code for a license's status and term, the
answer built from a license's figures, how long it may be cached, whether a cached one is
still current, and the API's result for a caller's key and machine.
licensing.api.validation loads the figures and caches the answers. `make mutate` mutates
this module against its fast tests."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from licensing.licenses.grants import Entitlements

ANSWER_TIMEOUT = 300

CODES = {
    "valid": "The license is valid.",
    "trialing": "The license is valid: a trial.",
    "past_due": "The license is valid, but payment is past due.",
    "suspended": "The license is suspended.",
    "canceled": "The license was revoked or canceled.",
    "expired": "The license term has ended.",
    "machine_not_activated": "This machine is not activated on the license.",
}
VALID_CODES = ("valid", "trialing", "past_due")
# A license's status → its code, where they differ; the others are their own code.
STATUS_CODES = {"active": "valid"}


def fingerprint_digest(fingerprint: str) -> str:
    return hashlib.sha256(fingerprint.encode()).hexdigest()[:32]


def expiry(renews_on: date) -> datetime:
    """A term ends at the start of its renewal day, UTC."""
    return datetime.combine(renews_on, time(), tzinfo=UTC)


def valid_until(*, renews_on: date, grace_until: date | None) -> datetime:
    """The moment a usable license stops being valid: the end of its renewal grace's last
    day when it has one (licensing.licenses.status.grace_until), else its term's end."""
    return expiry(grace_until + timedelta(days=1)) if grace_until else expiry(renews_on)


def status_at(status: str, *, valid_until: datetime, at: datetime) -> str:
    """A license's status at `at` by the clock alone: a usable license past its term (and
    its renewal grace, if any) is "expired", whatever its stored status says (the job
    that closes it may be late)."""
    if STATUS_CODES.get(status, status) in VALID_CODES and at >= valid_until:
        return "expired"
    return status


def answer_code(status: str, *, valid_until: datetime, at: datetime) -> str:
    """The code for the license's status at `at` (status_at)."""
    status = status_at(status, valid_until=valid_until, at=at)
    return STATUS_CODES.get(status, status)


def answer_timeout(*, at: datetime, ends: Iterable[datetime | None]) -> int:
    """Seconds the answer may be kept: until the first moment that could change it, at
    least 1 and at most ANSWER_TIMEOUT."""
    until_change = min(int((moment - at).total_seconds()) for moment in ends if moment)
    return max(1, min(ANSWER_TIMEOUT, until_change))


def license_answer(
    *,
    revision: int,
    key_hash: str,
    status: str,
    license: dict,
    entitlements: Entitlements,
    renews_on: date,
    grace_until: date | None,
    fingerprints: Iterable[str],
    at: datetime,
    retiring: dict[str, datetime] | None = None,
    trial: dict | None = None,
    trial_ends_at: datetime | None = None,
) -> tuple[dict, int]:
    """The answer for a license at `at`, and how many seconds it holds. `grace_until` is
    the last day of its renewal grace, or None. `retiring`: the hashes of its earlier
    keys still accepted after a rotation, each with the moment it stops. `trial`: the
    trial in force (tier, version, end), which ends at `trial_ends_at`."""
    retiring = {key: until for key, until in (retiring or {}).items() if until > at}
    ends_at = valid_until(renews_on=renews_on, grace_until=grace_until)
    answer = {
        "revision": revision,
        "key_hash": key_hash,
        "code": answer_code(status, valid_until=ends_at, at=at),
        "license": license,
        "entitlements": entitlements.as_data(),
        "expires_at": expiry(renews_on).isoformat(),
        "grace_until": ends_at.isoformat() if grace_until else None,
        "machines": sorted(fingerprint_digest(fp) for fp in fingerprints),
        "retiring": retiring,
        "trial": trial,
    }
    # The answer can change by itself when the license stops being valid, an override
    # or a trial ends or an old key stops being accepted: keep it no longer.
    ends = (entitlements.earliest_end(), ends_at, trial_ends_at, *retiring.values())
    return answer, answer_timeout(at=at, ends=ends)


@dataclass(frozen=True)
class CachedAnswer:
    revision: int  # the license's revision the answer was built from
    answer: dict
    body: bytes  # the JSON response without a fingerprint, prebuilt


def is_current(stored: object, revision: int | None) -> bool:
    """A stored answer counts only while its revision is the license's current one."""
    return revision is not None and isinstance(stored, CachedAnswer) and stored.revision == revision


def as_json(data: dict) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()


def key_retires_at(answer: dict, key_hash: str, at: datetime | None) -> datetime | None:
    """When `key_hash`, one of the license's earlier keys, stops being accepted; None when
    it is not one, or no longer at `at` (by the clock, whatever the cache still holds)."""
    # Every answer has "retiring": cached answers are keyed by release, so none from
    # before it was added is ever read.
    until = answer["retiring"].get(key_hash)
    if until is None or at is None or at >= until:
        return None
    return until


def validation_result(
    answer: dict, key_hash: str, fingerprint: str | None, at: datetime | None = None
) -> dict:
    """What the API says, from a cached answer: valid, code, detail, entitlements, expiry,
    renewal grace, and whether the key is the current one or being retired (an earlier
    key is accepted until its overlap ends at `at`; without `at`, never)."""
    retires_at = None
    if answer["key_hash"] != key_hash:
        retires_at = key_retires_at(answer, key_hash, at)
        if retires_at is None:
            return {}
    code = answer["code"]
    if (
        fingerprint is not None
        and code in VALID_CODES
        and fingerprint_digest(fingerprint) not in answer["machines"]
    ):
        code = "machine_not_activated"
    detail = CODES[code]
    if retires_at is not None:
        detail += (
            f" This key is being retired: it stops working at {retires_at.isoformat()}. "
            "Use the license's new key."
        )
    return {
        "valid": code in VALID_CODES,
        "code": code,
        "detail": detail,
        "license": answer["license"],
        "entitlements": answer["entitlements"],
        "expires_at": answer["expires_at"],
        "grace_until": answer["grace_until"],
        "trial": answer["trial"],
        "key": {
            "status": "retiring" if retires_at else "current",
            "retires_at": retires_at.isoformat() if retires_at else None,
        },
    }
