"""Per-organization API tokens: created and revoked by owners in the portal, shown once,
stored as a hash with a public prefix for lookup.

The API identifies a token from the cache. Readers only ever *add* an entry; revoking
*sets* a "revoked" marker inside the revoking transaction. So a revocation either reaches
every web process at once or, when the cache cannot be written, fails with nothing
changed; and a reader that looked the token up just before the revocation committed
cannot put it back (its add finds the marker).

Failed authentication is limited per client address (AUTH_FAILURE_LIMIT a minute): past
it, a request whose token the cache does not vouch for is refused before any database
lookup, and nothing is written per random token."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from licensing.api import ratelimit
from licensing.api.identity import (
    AUTH_FAILURE_WINDOW,
    TokenIdentity,
    check_failures,
    check_room,
    failure_bucket,
    failure_key,
    identity_from_entry,
    token_cache_key,
    token_name,
)
from licensing.licenses import keys
from licensing.models import ApiToken

IDENTITY_TIMEOUT = 300
REVOKED = "revoked"


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown once, never stored


@transaction.atomic
def api_token_create(*, organization, name: str, created_by) -> IssuedToken:
    name = token_name(name)
    check_room(ApiToken.objects.filter(organization=organization, revoked_at__isnull=True).count())
    secret, prefix = keys.generate_token()
    token = ApiToken(
        organization=organization,
        name=name,
        prefix=prefix,
        token_hash=keys.hash_secret(secret),
        created_by=created_by,
    )
    token.full_clean()
    token.save()
    return IssuedToken(token, secret)


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> ApiToken:
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        raise ValidationError("This token is already revoked.")
    # Real time, not the business clock: a revocation is a security act, on record when
    # it really happened, whatever the test clock says.
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    # Before the commit, so that a cache we cannot write rolls the revocation back; set,
    # not delete, so a concurrent reader cannot cache the token as still good.
    cache.set(token_cache_key(token.prefix), REVOKED, IDENTITY_TIMEOUT)
    return token


def api_token_identify(secret: str, entry: list | str | None = None) -> TokenIdentity | None:
    """The token's identity, or None. Read from the cache (`entry` when the caller already
    fetched tok:<prefix> along with other keys); a database read refreshes it (and
    last_used_at, so that column is accurate to IDENTITY_TIMEOUT). A revoked token finds
    the REVOKED marker, or no row."""
    prefix = keys.token_prefix(secret)
    if prefix is None:
        return None
    if entry is None:
        entry = cache.get(token_cache_key(prefix))
    if entry is None:
        token = ApiToken.objects.filter(prefix=prefix, revoked_at__isnull=True).first()
        if token is None:
            return None
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        entry = [token.pk, token.organization_id, token.name, token.token_hash]
        cache.add(token_cache_key(prefix), entry, IDENTITY_TIMEOUT)
    return identity_from_entry(secret, prefix, entry)


UNREAD = object()


def api_token_authenticate(
    secret: str, *, client: str, entry=UNREAD, failures: int | None = None
) -> TokenIdentity | None:
    """The token's identity or None, counting a failure against `client`. A token the
    cache vouches for passes at once; anything else needs the database, which a client
    past AUTH_FAILURE_LIMIT failures this window is refused (TooManyFailures). `entry`
    and `failures` are the cached token entry (None: absent) and the window's count when
    the caller already read them."""
    prefix = keys.token_prefix(secret)
    if prefix and entry is UNREAD:
        entry = cache.get(token_cache_key(prefix))
    identity = identity_from_entry(secret, prefix, entry) if prefix else None
    if identity is not None:
        return identity
    if failures is None:
        failures = cache.get(failure_key(client)) or 0
    limit = settings.LICENSING_API_AUTH_FAILURE_LIMIT
    check_failures(failures, limit=limit)
    identity = api_token_identify(secret, entry) if prefix else None
    if identity is None:
        ratelimit.hit(failure_bucket(client), limit=limit, window=AUTH_FAILURE_WINDOW)
    return identity
