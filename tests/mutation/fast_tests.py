"""The pytest plugin `make mutate` loads (`-p tests.mutation.fast_tests`): a mutation run
tries each mutant against the tests that reach its function, so those tests must be fast
and certain. It keeps only tests that need no database, browser or live server, and makes
hypothesis deterministic, so a mutant is killed or not, never killed by luck."""

from __future__ import annotations

import pytest
from hypothesis import settings

# Fixtures that mean a database, a browser or a server: such a test is not a unit test
# of a pure module, whatever it reaches.
SLOW_FIXTURES = frozenset(
    {
        "db",
        "transactional_db",
        "django_db_reset_sequences",
        "django_db_serialized_rollback",
        "live_server",
        "client",
        "admin_client",
        "page",
        "browser",
        "context",
    }
)

settings.register_profile("mutation", derandomize=True, database=None, deadline=None)
settings.load_profile("mutation")


def is_fast(item: pytest.Item) -> bool:
    if item.get_closest_marker("django_db"):
        return False
    return not SLOW_FIXTURES & set(getattr(item, "fixturenames", ()))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    slow = [item for item in items if not is_fast(item)]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if is_fast(item)]
