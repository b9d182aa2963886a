"""A local-memory cache that records the calls made to it, so a test can count the work
a request does (counted, never timed)."""

from __future__ import annotations

from django.core.cache.backends.locmem import LocMemCache

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
