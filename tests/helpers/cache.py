"""A local-memory cache that records the calls made to it, so a test can count the work
a request does (counted, never timed); a real Redis cache of this test run's own."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import redis
from django.conf import settings
from django.core.cache.backends.locmem import LocMemCache
from django.test import override_settings

RECORDED = ("get", "get_many", "set", "add", "incr", "delete", "set_many", "delete_many")


class CountingLocMemCache(LocMemCache):
    """Each outermost call is recorded as (method, first key or keys) in `calls`; calls a
    method makes to another (get_many to get) are not counted twice."""

    def __init__(self, name, params):
        super().__init__(name, params)
        self.calls: list[tuple[str, object]] = []
        self._depth = 0

    def __getattribute__(self, name):
        attribute = super().__getattribute__(name)
        if name not in RECORDED:
            return attribute

        def recorded(*args, **kwargs):
            if self._depth == 0:
                self.calls.append((name, args[0] if args else None))
            self._depth += 1
            try:
                return attribute(*args, **kwargs)
            finally:
                self._depth -= 1

        return recorded


COUNTING_CACHES = {
    "default": {"BACKEND": "tests.helpers.cache.CountingLocMemCache", "LOCATION": "counting"}
}


def redis_cache(url: str, prefix: str) -> dict:
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": prefix,
            "OPTIONS": {"socket_connect_timeout": 10, "socket_timeout": 10},
        }
    }


@contextmanager
def redis_cache_of_this_run(url: str, name: str) -> Iterator[None]:
    """The default cache on the real Redis database at `url` (skipped without it), under
    a key prefix of this run and pytest-xdist worker's own, with none of its keys before
    or after. Its keys are deleted one by one: clearing the cache would empty the whole
    database, under another xdist worker or another run on the same machine."""
    client = redis.Redis.from_url(url, socket_connect_timeout=10)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip(f"needs Redis at {url}")
    prefix = f"tierwise-test-{name}-{settings.TIERWISE_TEST_RUN}"

    def delete_keys() -> None:
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)

    delete_keys()
    with override_settings(CACHES=redis_cache(url, prefix)):
        try:
            yield
        finally:
            delete_keys()
