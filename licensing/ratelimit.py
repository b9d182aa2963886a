"""A fixed-window rate limiter on Django's cache (Redis in production, so the count is
shared by every web worker). One counter per bucket and window; on Redis, the increment
and its expiry go in one round trip."""

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


def _increment(key: str, window: int) -> int:
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        full_key = backend.make_and_validate_key(key)
        client = backend._cache.get_client(full_key, write=True)
        pipe = client.pipeline(transaction=False)
        pipe.incr(full_key)
        pipe.expire(full_key, window + 1, nx=True)
        return int(pipe.execute()[0])
    backend.add(key, 0, window + 1)
    try:
        return backend.incr(key)
    except ValueError:  # expired between add and incr
        backend.add(key, 1, window + 1)
        return 1


def hit(bucket: str, *, limit: int, window: int = 60, now: float | None = None) -> Decision:
    now = time.time() if now is None else now
    start = int(now // window) * window
    count = _increment(f"rl:{bucket}:{start}", window)
    retry_after = max(1, start + window - int(now))
    return Decision(count <= limit, max(limit - count, 0), retry_after)
