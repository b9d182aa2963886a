"""A fixed-window rate limiter on Django's cache (Redis in production, so the count is
shared by every web worker). One counter per bucket and window; on Redis, the increment,
its expiry and any other reads the caller needs go in one round trip."""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache


@dataclass(frozen=True)
class Decision:
    allowed: bool
    remaining: int
    retry_after: int  # seconds until the window resets


# Django's Redis backend builds a new redis.Redis object around its pool on every call,
# which cost more than the round trip itself on the validation hot path; one per pool.
_clients: dict[object, object] = {}


def _redis_client(backend: RedisCache):
    cache_client = backend._cache
    pool = cache_client._get_connection_pool(cache_client._get_connection_pool_index(True))
    client = _clients.get(pool)
    if client is None:
        client = _clients[pool] = cache_client._client(connection_pool=pool)
    return client


def _increment_and_get(key: str, window: int, reads: list[str]) -> tuple[int, dict]:
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        full_key = backend.make_and_validate_key(key)
        pipe = _redis_client(backend).pipeline(transaction=False)
        pipe.incr(full_key)
        pipe.expire(full_key, window + 1, nx=True)
        for read in reads:
            pipe.get(backend.make_and_validate_key(read))
        count, _, *values = pipe.execute()
        loads = backend._cache._serializer.loads
        found = {
            read: loads(value)
            for read, value in zip(reads, values, strict=True)
            if value is not None
        }
        return int(count), found
    backend.add(key, 0, window + 1)
    try:
        count = backend.incr(key)
    except ValueError:  # expired between add and incr
        backend.add(key, 1, window + 1)
        count = 1
    return count, backend.get_many(reads) if reads else {}


def hit_and_get(
    bucket: str, reads: list[str], *, limit: int, window: int = 60, now: float | None = None
) -> tuple[Decision, dict]:
    """Count a hit on `bucket` and read the cache keys `reads` in the same round trip."""
    now = time.time() if now is None else now
    start = int(now // window) * window
    count, found = _increment_and_get(f"rl:{bucket}:{start}", window, reads)
    retry_after = max(1, start + window - int(now))
    return Decision(count <= limit, max(limit - count, 0), retry_after), found


def hit(bucket: str, *, limit: int, window: int = 60, now: float | None = None) -> Decision:
    return hit_and_get(bucket, [], limit=limit, window=window, now=now)[0]
