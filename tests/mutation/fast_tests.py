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
    # pytest escapes a non-ASCII character in a test's id (→ becomes \u2192), and the
    # escaped id does not always name the test back: a mutant's run then finds no test.
    escaped = [item.nodeid for item in items if "\\" in item.nodeid]
    if escaped:
        raise pytest.UsageError(
            "give these tests ASCII ids (pytest.param(..., id=...) or ids=[...]): "
            + ", ".join(escaped)
        )
