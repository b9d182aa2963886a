"""Test overrides: fast hashing, outbox email, eager nothing. Real services come from
the same environment variables as everywhere else (DATABASE_URL, CELERY_BROKER_URL)."""

import os
import uuid

os.environ.setdefault("DEBUG", "true")

from portal.settings import *  # noqa: F403
from portal.settings import DATABASES, VAR_DIR

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
STATIC_ROOT = VAR_DIR / "test-static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
TIERWISE_STAFF_REQUIRE_MFA = False
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Tasks sent by unit tests run in-process; the integration tests start a real worker on
# a queue of this run's own, so a developer's running worker never steals their tasks.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# This run's name, exported so that the worker a test starts listens on the same queue.
# Each pytest-xdist worker (gw0, gw1…) adds its own id: a Celery worker one of its tests
# starts never takes another xdist worker's tasks, and its Redis keys are its own.
_RUN = os.environ.setdefault("CELERY_QUEUE", f"tierwise-test-{uuid.uuid4().hex[:8]}")
_XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER")
TIERWISE_TEST_RUN = f"{_RUN}-{_XDIST_WORKER}" if _XDIST_WORKER else _RUN
CELERY_TASK_DEFAULT_QUEUE = TIERWISE_TEST_RUN
SITE_URL = "http://testserver"
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so a worker process can open the same test database.
    # One file per run, so two runs side by side never share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Tests open and close connections freely; a pool would outlive the test database.
    DATABASES["default"]["OPTIONS"].pop("pool", None)
