"""The pricing page is cached per currency, cycle and locale. Rather than find every
key to delete, each key carries the catalog's generation; a change starts a new one and
the old entries simply age out."""

import hashlib
import logging
from uuid import uuid4

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from portal.unavailable import CACHE_ERRORS

logger = logging.getLogger(__name__)

GENERATION_KEY = "catalog:generation"
PAGE_TIMEOUT = 60 * 60
RELEASE_SOURCES = ("portal", "licensing", "billing", "templates", "static")
RELEASE_SUFFIXES = {".py", ".html", ".txt", ".css", ".js", ".svg"}


def _release_fingerprint() -> str:
    """A digest of the code, templates and assets this process runs. Cached pages carry
    it in their keys, so a deploy never serves pages rendered by the release before it;
    the same files give the same digest on every machine of a fleet."""
    digest = hashlib.sha256()
    for name in RELEASE_SOURCES:
        for path in sorted((settings.BASE_DIR / name).rglob("*")):
            if path.suffix in RELEASE_SUFFIXES and path.is_file():
                digest.update(str(path.relative_to(settings.BASE_DIR)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


RELEASE = _release_fingerprint()


def current_generation(key: str) -> str:
    """The generation stored under `key`, starting one if there is none. `add` lets only
    the first of two concurrent starters win, so both read back the same value."""
    generation = cache.get(key)
    if generation is None:
        cache.add(key, uuid4().hex, None)
        generation = cache.get(key)
    return generation


def catalog_generation() -> str:
    return current_generation(GENERATION_KEY)


def _new_generation() -> None:
    cache.set(GENERATION_KEY, uuid4().hex, None)


def _new_generation_after_commit() -> None:
    try:
        _new_generation()
    except CACHE_ERRORS as exc:
        logger.error("The catalog changed but the cache could not be told: %r", exc)


def catalog_changed() -> None:
    """Called inside the publishing transaction: a cache that cannot be told rolls the
    change back. Once more after the commit, because a page rendered between the two
    showed the catalog as it was, under the new generation."""
    _new_generation()
    transaction.on_commit(_new_generation_after_commit)
