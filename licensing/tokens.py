"""Per-organization API tokens: created and revoked by owners in the portal, shown once,
stored as a hash with a public prefix for lookup. The API identifies a token from the
cache; revoking retires the cached entry on commit."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from licensing import keys
from licensing.license_models import ApiToken

IDENTITY_TIMEOUT = 300
MAX_ACTIVE_TOKENS = 20


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown once, never stored


@dataclass(frozen=True)
class TokenIdentity:
    token_id: int
    organization_id: int
    name: str
    prefix: str

    @property
    def label(self) -> str:
        return f"API token {self.name} ({keys.TOKEN_PREFIX}{self.prefix}…)"


def token_cache_key(prefix: str) -> str:
    return f"tok:{prefix}"


def rate_limit_bucket(secret: str) -> str:
    """Requests are counted per token. The bucket is named after the hash of what was
    presented, so it can be counted before the token is checked (in the same round trip
    as the other reads), and someone who knows only a token's public prefix cannot use
    up its allowance."""
    return f"token:{keys.hash_secret(secret)[:32]}"


@transaction.atomic
def api_token_create(*, organization, name: str, created_by) -> IssuedToken:
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Name the token after what will use it."})
    active = ApiToken.objects.filter(organization=organization, revoked_at__isnull=True)
    if active.count() >= MAX_ACTIVE_TOKENS:
        raise ValidationError(f"At most {MAX_ACTIVE_TOKENS} tokens; revoke one you no longer use.")
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
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    transaction.on_commit(lambda: cache.delete(token_cache_key(token.prefix)))
    return token


def api_token_identify(secret: str, entry: list | None = None) -> TokenIdentity | None:
    """The token's identity, or None. Read from the cache (`entry` when the caller already
    fetched tok:<prefix> along with other keys); a database read refreshes it (and
    last_used_at, so that column is accurate to IDENTITY_TIMEOUT). Revoking deletes the
    entry, so a revoked token fails on its next request."""
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
        cache.set(token_cache_key(prefix), entry, IDENTITY_TIMEOUT)
    token_id, organization_id, name, token_hash = entry
    if not keys.same_hash(secret, token_hash):
        return None
    return TokenIdentity(token_id, organization_id, name, prefix)
