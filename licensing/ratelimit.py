"""A fixed-window rate limiter on Django's cache (Redis in production, so the count is
shared by every web worker). One counter per bucket and window; on Redis, the increment,
its expiry and any other reads the caller needs go in one round trip."""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

from licensing import fastcache


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

_scripts: dict[object, object] = {}


def _script(backend: RedisCache):
    redis_client = fastcache.client(backend)
    script = _scripts.get(redis_client)
    if script is None:
        script = _scripts[redis_client] = redis_client.register_script(INCREMENT_AND_GET)
    return script


def _increment_and_get(key: str, window: int, reads: list[str]) -> tuple[int, dict]:
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        names = [backend.make_and_validate_key(name) for name in (key, *reads)]
        count, *values = _script(backend)(keys=names, args=[window + 1])
        # MGET's misses are false in Lua, and come back as None.
        found = {
            read: fastcache.loads(backend, value)
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
