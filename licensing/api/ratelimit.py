"""A fixed-window rate limiter on Django's cache (Redis in production, so the count is
shared by every web worker). One counter per bucket and window; on Redis, the increment,
its expiry and any other reads the caller needs go in one round trip. Windows follow
business time (portal.clock), so the test clock moves them too."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

from licensing.api import fastcache
from portal import clock


@dataclass(frozen=True)
class Decision:
    allowed: bool
    remaining: int
    retry_after: int  # seconds until the window resets


# On Redis, the increment, its expiry and the reads are one server-side script: one
# command, one round trip, one reply to parse. With ARGV[2] = "1" the counter moves only
# when the first key read (KEYS[2]) exists: requests with a token nobody has seen are not
# counted per token, so random tokens do not each leave a key behind.
INCREMENT_AND_GET = """
local values = {}
if #KEYS > 1 then values = redis.call('MGET', unpack(KEYS, 2)) end
local count = 0
if ARGV[2] ~= '1' or values[1] then
    count = redis.call('INCR', KEYS[1])
    if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
end
local reply = {count}
for index = 1, #KEYS - 1 do reply[index + 1] = values[index] end
return reply
"""

_scripts: dict[object, object] = {}


def _script(backend: RedisCache):
    redis_client = fastcache.client(backend)
    script = _scripts.get(redis_client)
    if script is None:
        script = _scripts[redis_client] = redis_client.register_script(INCREMENT_AND_GET)
    return script


def _increment_and_get(
    key: str, window: int, reads: list[str], *, guarded: bool
) -> tuple[int, dict]:
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        names = [backend.make_and_validate_key(name) for name in (key, *reads)]
        count, *values = _script(backend)(keys=names, args=[window + 1, "1" if guarded else "0"])
        # MGET's misses are false in Lua, and come back as None.
        found = {
            read: fastcache.loads(backend, value)
            for read, value in zip(reads, values, strict=True)
            if value is not None
        }
        return int(count), found
    found = backend.get_many(reads) if reads else {}
    if guarded and reads[0] not in found:
        return 0, found
    backend.add(key, 0, window + 1)
    try:
        count = backend.incr(key)
    except ValueError:  # expired between add and incr
        backend.add(key, 1, window + 1)
        count = 1
    return count, found


def window_key(bucket: str, *, window: int = 60, now: float | None = None) -> str:
    """The cache key that counts `bucket` in the window `now` falls in."""
    now = clock.timestamp() if now is None else now
    return f"rl:{bucket}:{int(now // window) * window}"


def _retry_after(window: int, now: float) -> int:
    return max(1, int(now // window) * window + window - int(now))


def decide(count: int, *, limit: int, window: int = 60, now: float | None = None) -> Decision:
    """The decision for a bucket that has counted `count` hits in the current window."""
    now = clock.timestamp() if now is None else now
    return Decision(count <= limit, max(limit - count, 0), _retry_after(window, now))


def hit_and_get(
    bucket: str,
    reads: list[str],
    *,
    limit: int,
    window: int = 60,
    now: float | None = None,
    only_if_first_read: bool = False,
) -> tuple[Decision | None, dict]:
    """Count a hit on `bucket` and read the cache keys `reads` in the same round trip.
    With `only_if_first_read`, the hit counts only when reads[0] is in the cache; the
    decision is None when it did not count."""
    now = clock.timestamp() if now is None else now
    count, found = _increment_and_get(
        window_key(bucket, window=window, now=now), window, reads, guarded=only_if_first_read
    )
    if only_if_first_read and reads[0] not in found:
        return None, found
    return decide(count, limit=limit, window=window, now=now), found


def hit(bucket: str, *, limit: int, window: int = 60, now: float | None = None) -> Decision:
    decision, _ = hit_and_get(bucket, [], limit=limit, window=window, now=now)
    return decision
