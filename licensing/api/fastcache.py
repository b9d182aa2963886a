"""Reads from Django's default cache for the hot paths (license validation, the cached
pricing page), without the backend's per-call overhead.

Django's Redis backend builds a new redis.Redis object around its connection pool on
every call, which on those paths cost more than the round trip itself; here each process
keeps one client per pool. Keys and values are Django's own (same prefix, same
serializer), so everything else may keep using django.core.cache. With another backend
(tests, development) these are plain cache calls.
"""

from __future__ import annotations

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

_clients: dict[object, object] = {}


def redis_backend() -> RedisCache | None:
    backend = caches["default"]
    return backend if isinstance(backend, RedisCache) else None


def client(backend: RedisCache):
    """The redis.Redis client for the backend's primary (the one that takes writes)."""
    cache_client = backend._cache
    pool = cache_client._get_connection_pool(cache_client._get_connection_pool_index(True))
    found = _clients.get(pool)
    if found is None:
        found = _clients[pool] = cache_client._client(connection_pool=pool)
    return found


def loads(backend: RedisCache, value: bytes | None):
    return None if value is None else backend._cache._serializer.loads(value)


def get(key: str):
    backend = redis_backend()
    if backend is None:
        return caches["default"].get(key)
    return loads(backend, client(backend).get(backend.make_and_validate_key(key)))


def get_many(keys: list[str]) -> dict:
    backend = redis_backend()
    if backend is None:
        return caches["default"].get_many(keys)
    values = client(backend).mget([backend.make_and_validate_key(key) for key in keys])
    return {
        key: loads(backend, value)
        for key, value in zip(keys, values, strict=True)
        if value is not None
    }
