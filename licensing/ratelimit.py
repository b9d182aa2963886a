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


# On Redis, the increment, its expiry and the reads are one server-side script: one
# command, one round trip, one reply to parse.
INCREMENT_AND_GET = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
local values = {count}
if #KEYS > 1 then
    for index, value in ipairs(redis.call('MGET', unpack(KEYS, 2))) do
        values[index + 1] = value
    end
end
return values
"""

# Django's Redis backend builds a new redis.Redis object around its pool on every call,
# which cost more than the round trip itself on the validation hot path: one client
# (and its registered script) per pool.
_scripts: dict[object, object] = {}


def _script(backend: RedisCache):
    cache_client = backend._cache
    pool = cache_client._get_connection_pool(cache_client._get_connection_pool_index(True))
    script = _scripts.get(pool)
    if script is None:
        client = cache_client._client(connection_pool=pool)
        script = _scripts[pool] = client.register_script(INCREMENT_AND_GET)
    return script


def _increment_and_get(key: str, window: int, reads: list[str]) -> tuple[int, dict]:
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        names = [backend.make_and_validate_key(name) for name in (key, *reads)]
        count, *values = _script(backend)(keys=names, args=[window + 1])
        # MGET's misses are false in Lua, and come back as None.
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
