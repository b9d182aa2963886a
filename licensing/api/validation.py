"""Validating a license key: the API's hot path, answered from the cache.

Three entries:
- lic:key:<organization id>:<key hash> → the license id, or a short-lived "no such key".
  Looked up only within the calling token's organization, so another organization's
  real key costs exactly what a random key costs (the same reads, the same query) and
  the time taken tells nothing. A key hash never moves to another license, so each
  process also keeps the ones it has answered for;
- lic:ver:<license id> → the license's revision (License.revision), set by every change
  inside its transaction (license_changed): when the cache cannot be written the change
  rolls back, so a change reaches every process at once or does not happen;
- lic:ans:<license id> → (revision, answer): what a validation says, built from the
  database and tagged with the revision it was built from, lasting until the next expiry
  that could change it, with the response body prebuilt. It counts only while its
  revision is the current one. A reader that builds from the database while a change is
  being committed gets the old revision, which no longer matches, so nobody keeps it.
  The answer names the catalog too (a tier's name, a limit's unit, the features of the
  versions it reads): it is tagged with the catalog generation read before the database
  (licensing.catalog.cache), and counts only while that generation is the current one,
  so a catalog change is seen by the next answer, as by the pages.

A warm validation is one round trip to Redis: the token, the client's failed-auth count,
the revision, the catalog generation, the answer and the rate-limit increment in one
script (see validate_key).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.db.models import Q

from licensing.api import fastcache, ratelimit
from licensing.api.answer import (
    ANSWER_TIMEOUT,
    CachedAnswer,
    as_json,
    is_current,
    license_answer,
    status_at,
    valid_until,
    validation_result,
)
from licensing.api.identity import (
    TooManyFailures,
    failure_key,
    rate_limit_bucket,
    token_cache_key,
)
from licensing.api.tokens import api_token_authenticate
from licensing.catalog.cache import GENERATION_KEY, RELEASE, catalog_generation
from licensing.licenses import keys
from licensing.licenses.entitlements import trial_data, usable_entitlements, usable_trial
from licensing.models import License, RetiringKey
from portal import clock

MISSING = "missing"
MISSING_TIMEOUT = 30
# The answer's entry for the catalog generation it was built under (never sent).
CATALOG = "catalog"


def _version_key(license_id: int) -> str:
    return f"lic:ver:{license_id}"


def license_changed(license_id: int, revision: int) -> None:
    """Called by every change to a license, inside its transaction: the cached answer
    stops counting for every process at once, or the change fails with the cache."""
    cache.set(_version_key(license_id), revision, ANSWER_TIMEOUT)


def licenses_changed(revisions: dict[int, int]) -> None:
    """license_changed for many licenses (license id -> revision) in one round trip."""
    if revisions:
        cache.set_many(
            {_version_key(pk): revision for pk, revision in revisions.items()}, ANSWER_TIMEOUT
        )


def key_matches(key_hash: str, at: datetime) -> Q:
    """Licenses whose key this is: their current key, or an earlier one still in its
    overlap after a rotation at `at`. One query for any key, whether it is current, old,
    another organization's or random, so what a key costs tells nothing."""
    retiring = RetiringKey.objects.filter(key_hash=key_hash, valid_until__gt=at)
    return Q(key_hash=key_hash) | Q(pk__in=retiring.values("license_id"))


def key_lookup(organization_id: int, key_hash: str) -> int | None:
    """The id of the organization's license with this key hash, or None."""
    cache_key = f"lic:key:{organization_id}:{key_hash}"
    entry = cache.get(cache_key)
    if entry == MISSING:
        return None
    if entry is not None:
        return entry
    license_id = (
        License.objects.filter(organization_id=organization_id)
        .filter(key_matches(key_hash, clock.now()))
        .values_list("pk", flat=True)
        .first()
    )
    cache.set(cache_key, license_id or MISSING, None if license_id else MISSING_TIMEOUT)
    return license_id


def license_data(license: License, *, status: str, trial) -> dict:
    """The license as every API answer names it: its status by the clock, and while a
    trial is in force (usable_trial) the trial's tier and version, which the software
    runs on (validate and entitlements say the same)."""
    shown = trial.version if trial else license.version
    return {
        "id": license.pk,
        "product": license.product.slug,
        "tier": shown.tier.slug,
        "version": shown.number,
        "status": status,
        "seats": license.seats,
        "key_prefix": license.key_prefix,
    }


def _answer_from_database(license_id: int, at: datetime) -> tuple[dict, int]:
    license = License.objects.select_related("version", "version__tier", "product").get(
        pk=license_id
    )
    # Its status by the clock, as the code says (a license past its grace whose closing
    # job has not run yet is expired here too); the answer is kept no longer than that.
    # A license that may not be used (suspended, canceled, expired) is told nothing to
    # grant: its answer says valid false and why, and names no trial.
    ends_at = valid_until(renews_on=license.renews_on, grace_until=license.grace_until)
    status = status_at(license.status, valid_until=ends_at, at=at)
    # While a trial is in force, the software runs on its tier: the answer shows it.
    trial = usable_trial(license=license, status=status, at=at)
    return license_answer(
        revision=license.revision,
        key_hash=license.key_hash,
        status=license.status,
        license=license_data(license, status=status, trial=trial),
        entitlements=usable_entitlements(license=license, status=status, at=at).for_seats_bought(
            license.seats
        ),
        renews_on=license.renews_on,
        grace_until=license.grace_until,
        fingerprints=license.machines.active().values_list("fingerprint", flat=True),
        at=at,
        retiring=dict(
            license.retiring_keys.filter(valid_until__gt=at).values_list("key_hash", "valid_until")
        ),
        trial=trial_data(trial) if trial else None,
        trial_ends_at=trial.ends_at if trial else None,
    )


def _answer_key(license_id: int) -> str:
    """Keyed by release too: the answer is pickled, and a deploy that moves its class must
    not read the previous release's pickles; and by the test clock's offset, so moving the
    clock retires every answer built for the site's earlier time (none when it is off)."""
    shift = clock.offset()
    if shift:
        return f"lic:ans:{RELEASE}:{license_id}:{int(shift.total_seconds())}"
    return f"lic:ans:{RELEASE}:{license_id}"


def _build(license_id: int) -> CachedAnswer:
    # Read before the database: a catalog change committed meanwhile starts a newer
    # generation (catalog_changed sets one inside its transaction and once more after
    # it), so an answer built from the catalog as it was never counts under it.
    generation = catalog_generation()
    answer, timeout = _answer_from_database(license_id, clock.now())
    answer[CATALOG] = generation
    key_hash = answer["key_hash"]
    cached = CachedAnswer(
        answer["revision"], answer, as_json(validation_result(answer, key_hash, None))
    )
    cache.set(_answer_key(license_id), cached, timeout)
    return cached


def _current(license_id: int, revision: int | None, stored, generation: str | None) -> CachedAnswer:
    """The stored answer while it is the current revision's and was built under the
    current catalog generation; else one from the database. With no revision in the cache
    (evicted, or never set), the database's is recorded: `add`, so it never overwrites
    the revision a change is about to commit."""
    if (
        is_current(stored, revision)
        and generation is not None
        and stored.answer.get(CATALOG) == generation
    ):
        return stored
    cached = _build(license_id)
    if revision is None:
        cache.add(_version_key(license_id), cached.revision, ANSWER_TIMEOUT)
    return cached


def _answer_reads(license_id: int) -> list[str]:
    """What telling whether the stored answer is current takes, read in one go."""
    return [_version_key(license_id), _answer_key(license_id), GENERATION_KEY]


# --- The hot path -----------------------------------------------------------------------

# (token prefix, key hash) → license id, for the keys this process has answered for. A
# token belongs to one organization, so an entry only ever serves that organization's
# callers. Bounded by starting over: it is only a shortcut to lic:key:….
_known_keys: dict[tuple[str, str], int] = {}
KNOWN_KEYS_MAX = 50_000


def _remember(prefix: str, key_hash: str, license_id: int) -> None:
    if len(_known_keys) >= KNOWN_KEYS_MAX:
        _known_keys.clear()
    _known_keys[(prefix, key_hash)] = license_id


@dataclass(frozen=True)
class Validation:
    """The outcome of a validation request: `body` is the JSON to send when `status` is
    200; otherwise `status` says which error (401, 404 or 429), and for a 429 `reason`
    says which limit ("token" or "failures")."""

    status: int
    body: bytes = b""
    retry_after: int = 0
    reason: str = ""


UNAUTHENTICATED = Validation(401)
NOT_FOUND = Validation(404)


def validate_key(
    *, secret: str, key_hash: str, fingerprint: str | None, limit: int, client: str
) -> Validation:
    """Check the token, count the request against its rate limit and answer for the key
    within the token's organization, in one round trip to the cache once warm. The token's
    entry is read on every request, so a revoked token fails at once. `client` is the
    caller's address, for the limit on failed authentication."""
    prefix = keys.token_prefix(secret)
    if prefix is None:
        return UNAUTHENTICATED
    known = _known_keys.get((prefix, key_hash))
    token_key, failures_key = token_cache_key(prefix), failure_key(client)
    reads = [token_key, failures_key]
    if known is not None:
        reads += _answer_reads(known)
    # Counted against the token only when the cache knows the token (a random one is
    # counted against the client's failures instead).
    decision, found = ratelimit.hit_and_get(
        rate_limit_bucket(secret), reads, limit=limit, only_if_first_read=True
    )
    try:
        identity = api_token_authenticate(
            secret,
            client=client,
            entry=found.get(token_key),
            failures=found.get(failures_key, 0),
        )
    except TooManyFailures as exc:
        return Validation(429, retry_after=exc.retry_after, reason="failures")
    if identity is None:
        return UNAUTHENTICATED
    if decision is None:  # the token came from the database: count it now
        decision = ratelimit.hit(rate_limit_bucket(secret), limit=limit)
    if not decision.allowed:
        return Validation(429, retry_after=decision.retry_after, reason="token")
    if known is None:
        known = key_lookup(identity.organization_id, key_hash)
        if known is None:
            return NOT_FOUND
        found = fastcache.get_many(_answer_reads(known))
    cached = _current(
        known,
        found.get(_version_key(known)),
        found.get(_answer_key(known)),
        found.get(GENERATION_KEY),
    )
    if cached.answer["key_hash"] != key_hash:
        # A rotated key: accepted, and told so, until its overlap ends by the clock.
        result = validation_result(cached.answer, key_hash, fingerprint, clock.now())
        if not result:
            return NOT_FOUND
        _remember(prefix, key_hash, known)
        return Validation(200, as_json(result))
    _remember(prefix, key_hash, known)
    if fingerprint is None:
        return Validation(200, cached.body)
    return Validation(200, as_json(validation_result(cached.answer, key_hash, fingerprint)))
