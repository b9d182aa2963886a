"""The rules of API tokens, pure (licensing.api.tokens does the reads and writes): the
cache keys and rate-limit buckets a token and a client are counted under, who a cached
entry says the token is, a token's name, how many an organization may hold, and when a
client has failed to authenticate too often. `make mutate` mutates this module against
its fast tests."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError

from licensing.api import ratelimit
from licensing.licenses import keys

MAX_ACTIVE_TOKENS = 20
AUTH_FAILURE_WINDOW = 60


class TooManyFailures(Exception):
    """This client address has failed to authenticate too often in the current window."""

    def __init__(self, retry_after: int):
        super().__init__(retry_after)
        self.retry_after = retry_after


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


def failure_bucket(client: str) -> str:
    """Failed authentications are counted per client address (hashed: any text fits)."""
    return f"authfail:{keys.hash_secret(client)[:32]}"


def failure_key(client: str, *, now: float | None = None) -> str:
    """The cache key holding this window's failure count for `client`, for callers that
    read it along with other keys."""
    return ratelimit.window_key(failure_bucket(client), window=AUTH_FAILURE_WINDOW, now=now)


def identity_from_entry(secret: str, prefix: str, entry) -> TokenIdentity | None:
    """Who the cached entry [id, organization id, name, hash] says `secret` is: None
    when there is no entry (or only the revoked marker) or the secret does not match."""
    if not isinstance(entry, list):
        return None
    token_id, organization_id, name, token_hash = entry
    if not keys.same_hash(secret, token_hash):
        return None
    return TokenIdentity(token_id, organization_id, name, prefix)


def token_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Name the token after what will use it."})
    return name


def check_room(active: int) -> None:
    """An organization holds at most MAX_ACTIVE_TOKENS tokens that are not revoked."""
    if active >= MAX_ACTIVE_TOKENS:
        raise ValidationError(f"At most {MAX_ACTIVE_TOKENS} tokens; revoke one you no longer use.")


def check_failures(failures: int, *, limit: int, now: float | None = None) -> None:
    """A client with `limit` failures or more this window may not try the database."""
    if failures >= limit:
        decision = ratelimit.decide(failures, limit=limit, window=AUTH_FAILURE_WINDOW, now=now)
        raise TooManyFailures(decision.retry_after)
