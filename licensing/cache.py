"""The pricing page is cached per currency, cycle and locale. Rather than find every
key to delete, each key carries the catalog's generation; a change starts a new one and
the old entries simply age out."""

from uuid import uuid4

from django.core.cache import cache

GENERATION_KEY = "catalog:generation"
PAGE_TIMEOUT = 60 * 60


def catalog_generation() -> str:
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, uuid4().hex, None)
        generation = cache.get(GENERATION_KEY)
    return generation


def catalog_changed() -> None:
    cache.set(GENERATION_KEY, uuid4().hex, None)


def pricing_key(*, currency: str, cycle: str, locale: str) -> str:
    return f"pricing:{catalog_generation()}:{currency}:{cycle}:{locale}"
