"""The pricing page is cached per currency, cycle and locale. Rather than find every
key to delete, each key carries the catalog's generation; a change starts a new one and
the old entries simply age out."""

import hashlib
from uuid import uuid4

from django.conf import settings
from django.core.cache import cache

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


def catalog_changed() -> None:
    cache.set(GENERATION_KEY, uuid4().hex, None)

