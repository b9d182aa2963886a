"""Validating a license key: the API's hot path, answered from the cache.

Three entries, none of which ever needs deleting:
- lic:key:<key hash> → (license id, organization id), or a short-lived "no such key";
- lic:ver:<license id> → the license's cache generation, replaced on every change (the
  services call license_changed on commit);
- lic:ans:<license id>:<generation> → what a validation says, built from the database
  once per generation and lasting until the next expiry that could change it.
A reader that built an answer from the old state just before a change files it under
the old generation, where nobody looks any more.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, time, timedelta
from uuid import uuid4

from django.core.cache import cache
from django.utils import timezone

from licensing.license_models import License, LicenseStatus

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


def _version_key(license_id: int) -> str:
    return f"lic:ver:{license_id}"


def license_changed(license_id: int) -> None:
    cache.set(_version_key(license_id), uuid4().hex, None)


def fingerprint_digest(fingerprint: str) -> str:
    return hashlib.sha256(fingerprint.encode()).hexdigest()[:32]


def _generation(license_id: int) -> str:
    generation = cache.get(_version_key(license_id))
    if generation is None:
        cache.add(_version_key(license_id), uuid4().hex, None)
        generation = cache.get(_version_key(license_id))
    return generation


def key_lookup(key_hash: str, cached: object = None) -> tuple[int, int] | None:
    """(license id, organization id) for a key hash, or None. `cached` is the entry when
    the caller already fetched it along with others."""
    entry = cached if cached is not None else cache.get(f"lic:key:{key_hash}")
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
    from licensing.entitlements import license_entitlements

    license = License.objects.select_related("version", "version__tier", "product").get(
        pk=license_id
    )
    entitlements = license_entitlements(license=license, at=at)
    status = license.status
    term_over = at >= datetime.combine(license.term_end + timedelta(days=1), time(), tzinfo=UTC)
    code = {
        LicenseStatus.ACTIVE: "valid",
        LicenseStatus.TRIALING: "trialing",
        LicenseStatus.PAST_DUE: "past_due",
    }.get(status, status)
    if code in ("valid", "trialing", "past_due") and term_over:
        code = "expired"
    expires_at = datetime.combine(license.term_end + timedelta(days=1), time(), tzinfo=UTC)
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
            for fp in license.machines.filter(deactivated_at__isnull=True).values_list(
                "fingerprint", flat=True
            )
        ),
    }
    # The answer can change by itself when the term or an override ends: keep it no longer.
    ends = [moment for moment in (entitlements.earliest_end(), expires_at) if moment]
    until_change = min(int((moment - at).total_seconds()) for moment in ends)
    return answer, max(1, min(ANSWER_TIMEOUT, until_change))


def license_answer(license_id: int, at: datetime | None = None) -> dict:
    generation = _generation(license_id)
    key = f"lic:ans:{license_id}:{generation}"
    answer = cache.get(key)
    if answer is None:
        answer, timeout = _answer_from_database(license_id, at or timezone.now())
        cache.set(key, answer, timeout)
    return answer


def validation_result(answer: dict, *, key_hash: str, fingerprint: str | None) -> dict:
    """What the API says, from a cached answer: valid, code, detail, entitlements, expiry."""
    if answer["key_hash"] != key_hash:
        return {}
    code = answer["code"]
    if (
        fingerprint is not None
        and code in ("valid", "trialing", "past_due")
        and fingerprint_digest(fingerprint) not in answer["machines"]
    ):
        code = "machine_not_activated"
    return {
        "valid": code in ("valid", "trialing", "past_due"),
        "code": code,
        "detail": CODES[code],
        "license": answer["license"],
        "entitlements": answer["entitlements"],
        "expires_at": answer["expires_at"],
    }
