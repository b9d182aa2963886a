"""Validating a license key: the API's hot path, answered from the cache.

Three entries, none of which ever needs deleting:
- lic:key:<key hash> → (license id, organization id), or a short-lived "no such key".
  A key hash never moves to another license, so each process also keeps the ones it
  has seen;
- lic:ver:<license id> → the license's cache generation, replaced on every change (the
  services call license_changed on commit);
- lic:ans:<license id> → (generation, answer): what a validation says, built from the
  database and lasting until the next expiry that could change it, with the response
  body prebuilt. It counts only while its generation is the current one, and both are
  read together. A reader that built an answer from the old state just before a change
  stores it under the old generation, and the next reader rebuilds it.

A warm validation is one round trip to Redis: the token, the generation, the answer and
the rate-limit increment in one pipeline (see validate_key).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, time
from uuid import uuid4

from django.core.cache import cache
from django.utils import timezone

from licensing import fastcache, keys, ratelimit
from licensing.cache import current_generation
from licensing.entitlements import license_entitlements
from licensing.license_models import License, LicenseStatus
from licensing.tokens import api_token_identify, rate_limit_bucket, token_cache_key

ANSWER_TIMEOUT = 300
MISSING = "missing"
MISSING_TIMEOUT = 30

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


def _version_key(license_id: int) -> str:
    return f"lic:ver:{license_id}"


def license_changed(license_id: int) -> None:
    cache.set(_version_key(license_id), uuid4().hex, None)


def fingerprint_digest(fingerprint: str) -> str:
    return hashlib.sha256(fingerprint.encode()).hexdigest()[:32]


def key_lookup(key_hash: str) -> tuple[int, int] | None:
    """(license id, organization id) for a key hash, or None."""
    entry = cache.get(f"lic:key:{key_hash}")
    if entry == MISSING:
        return None
    if entry is not None:
        return tuple(entry)
    row = License.objects.filter(key_hash=key_hash).values_list("pk", "organization_id").first()
    cache.set(
        f"lic:key:{key_hash}", list(row) if row else MISSING, None if row else MISSING_TIMEOUT
    )
    return row


def _answer_from_database(license_id: int, at: datetime) -> tuple[dict, int]:
    license = License.objects.select_related("version", "version__tier", "product").get(
        pk=license_id
    )
    entitlements = license_entitlements(license=license, at=at)
    status = license.status
    expires_at = datetime.combine(license.renews_on, time(), tzinfo=UTC)
    code = {
        LicenseStatus.ACTIVE: "valid",
        LicenseStatus.TRIALING: "trialing",
        LicenseStatus.PAST_DUE: "past_due",
    }.get(status, status)
    if code in VALID_CODES and at >= expires_at:
        code = "expired"
    answer = {
        "key_hash": license.key_hash,
        "code": code,
        "license": {
            "id": license.pk,
            "product": license.product.slug,
            "tier": license.version.tier.slug,
            "version": license.version.number,
            "status": status,
            "seats": license.seats,
            "key_prefix": license.key_prefix,
        },
        "entitlements": entitlements.as_data(),
        "expires_at": expires_at.isoformat(),
        "machines": sorted(
            fingerprint_digest(fp)
            for fp in license.machines.active().values_list("fingerprint", flat=True)
        ),
    }
    # The answer can change by itself when the term or an override ends: keep it no longer.
    ends = [moment for moment in (entitlements.earliest_end(), expires_at) if moment]
    until_change = min(int((moment - at).total_seconds()) for moment in ends)
    return answer, max(1, min(ANSWER_TIMEOUT, until_change))


def _answer_key(license_id: int) -> str:
    return f"lic:ans:{license_id}"


@dataclass(frozen=True)
class CachedAnswer:
    generation: str
    answer: dict
    body: bytes  # the JSON response without a fingerprint, prebuilt


def _build(license_id: int, generation: str) -> CachedAnswer:
    answer, timeout = _answer_from_database(license_id, timezone.now())
    key_hash = answer["key_hash"]
    cached = CachedAnswer(generation, answer, _json(validation_result(answer, key_hash, None)))
    cache.set(_answer_key(license_id), cached, timeout)
    return cached


def _current(license_id: int, generation: str | None, stored) -> CachedAnswer:
    if generation is None:
        generation = current_generation(_version_key(license_id))
    if isinstance(stored, CachedAnswer) and stored.generation == generation:
        return stored
    return _build(license_id, generation)


def _json(data: dict) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()


def validation_result(answer: dict, key_hash: str, fingerprint: str | None) -> dict:
    """What the API says, from a cached answer: valid, code, detail, entitlements, expiry."""
    if answer["key_hash"] != key_hash:
        return {}
    code = answer["code"]
    if (
        fingerprint is not None
        and code in VALID_CODES
        and fingerprint_digest(fingerprint) not in answer["machines"]
    ):
        code = "machine_not_activated"
    return {
        "valid": code in VALID_CODES,
        "code": code,
        "detail": CODES[code],
        "license": answer["license"],
        "entitlements": answer["entitlements"],
        "expires_at": answer["expires_at"],
    }


# --- The hot path -----------------------------------------------------------------------

# key hash → (license id, organization id), for the keys this process has seen. Bounded
# by starting over: it is only a shortcut to lic:key:<hash>.
_known_keys: dict[str, tuple[int, int]] = {}
KNOWN_KEYS_MAX = 50_000


def _known_key(key_hash: str) -> tuple[int, int] | None:
    found = _known_keys.get(key_hash)
    if found is None:
        found = key_lookup(key_hash)
        if found is not None:
            if len(_known_keys) >= KNOWN_KEYS_MAX:
                _known_keys.clear()
            _known_keys[key_hash] = found
    return found


@dataclass(frozen=True)
class Validation:
    """The outcome of a validation request: `body` is the JSON to send when `status` is
    200; otherwise `status` says which error (401, 404 or 429)."""

    status: int
    body: bytes = b""
    retry_after: int = 0


UNAUTHENTICATED = Validation(401)
NOT_FOUND = Validation(404)


def validate_key(*, secret: str, key_hash: str, fingerprint: str | None, limit: int) -> Validation:
    """Check the token, count the request against its rate limit and answer for the key
    with the token's organization, in one round trip to the cache once warm. The token's
    entry is read on every request, so a revoked token fails at once."""
    prefix = keys.token_prefix(secret)
    if prefix is None:
        return UNAUTHENTICATED
    # A key this process knows costs nothing to place; an unknown one is looked up only
    # for a caller whose token is good, below.
    known = _known_keys.get(key_hash)
    reads = [token_cache_key(prefix)]
    if known is not None:
        reads += [_version_key(known[0]), _answer_key(known[0])]
    decision, found = ratelimit.hit_and_get(rate_limit_bucket(secret), reads, limit=limit)
    identity = api_token_identify(secret, found.get(token_cache_key(prefix)))
    if identity is None:
        return UNAUTHENTICATED
    if not decision.allowed:
        return Validation(429, retry_after=decision.retry_after)
    if known is None:
        known = _known_key(key_hash)
        if known is not None:
            found = fastcache.get_many([_version_key(known[0]), _answer_key(known[0])])
    if known is None or known[1] != identity.organization_id:
        return NOT_FOUND
    license_id = known[0]
    cached = _current(
        license_id, found.get(_version_key(license_id)), found.get(_answer_key(license_id))
    )
    if cached.answer["key_hash"] != key_hash:  # a rotated key
        return NOT_FOUND
    if fingerprint is None:
        return Validation(200, cached.body)
    return Validation(200, _json(validation_result(cached.answer, key_hash, fingerprint)))
