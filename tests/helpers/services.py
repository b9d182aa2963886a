"""Which real services a run must have, and where the browser is."""

import os

import pytest
from django.conf import settings
from django.db import connection

# In CI (CI or TIERWISE_REAL_SERVICES set) a skipped test counts as a failure: the real
# services, the worker, SMTP and Chromium must all be there, and nothing may quietly not run.
REAL_SERVICES_REQUIRED = bool(os.environ.get("CI") or os.environ.get("TIERWISE_REAL_SERVICES"))
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


# For tests that only mean something on PostgreSQL (row locks, triggers); in CI, where a
# skip fails, they must run there.
NEEDS_POSTGRESQL = pytest.mark.skipif(
    connection.vendor != "postgresql" and not REAL_SERVICES_REQUIRED,
    reason="needs PostgreSQL (set DATABASE_URL=postgres://…)",
)

# For tests that only mean something with the Redis broker (unacknowledged messages
# handed back after their visibility timeout); in CI the broker is Redis.
NEEDS_REDIS_BROKER = pytest.mark.skipif(
    not settings.CELERY_BROKER_URL.startswith("redis://") and not REAL_SERVICES_REQUIRED,
    reason="needs the Redis broker (set CELERY_BROKER_URL=redis://…)",
)
