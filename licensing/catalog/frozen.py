"""The catalog as this process last read it, for the pages that read it on every request
(the checkout preview above all): tier versions with their tier, features, limits and
prices, which tiers are on offer, and the enabled currencies.

A published or retired version never changes (FrozenVersionError), and publishing or
retiring one starts a new catalog generation (licensing.catalog.cache), as does saving a
tier, product, feature, limit metric or currency (licensing.catalog.signals). So all of
it is held under the generation it was read in: each use asks the cache for the current
generation (one round trip, as the pricing page does) and the first use after a change
reads the database again. A draft is never held. Without a cache nothing is held.

The objects are shared by every request this process serves: read them, never change
them.
"""

from __future__ import annotations

import logging
from threading import Lock

from licensing.api import fastcache
from licensing.catalog.cache import GENERATION_KEY, catalog_generation
from licensing.catalog.selectors import enabled_currencies, versions_with_parts
from licensing.models import Tier, TierVersion, VersionStatus
from portal.unavailable import CACHE_ERRORS

logger = logging.getLogger(__name__)


class FrozenCatalog:
    """One generation's reads. A new generation gets a new object, so a reader never
    mixes two generations' entries; take one per request (frozen_catalog) and ask it
    everything."""

    def __init__(self, generation: str | None) -> None:
        self.generation = generation
        self._versions: dict[int, TierVersion] = {}
        self._published: dict[tuple[str, int | None], int] = {}
        self._tiers: dict[int | None, list[Tier]] = {}
        self._currencies: list[str] | None = None

    @property
    def holds(self) -> bool:
        return self.generation is not None

    def _hold(self, version: TierVersion) -> TierVersion:
        if self.holds and version.status != VersionStatus.DRAFT:
            self._versions[version.pk] = version
        return version

    def version(self, pk: int) -> TierVersion:
        """The version `pk` with its tier, product and parts (versions_with_parts).
        Raises TierVersion.DoesNotExist."""
        version = self._versions.get(pk)
        if version is None:
            version = self._hold(versions_with_parts().get(pk=pk))
        return version

    def held_version(self, pk: int) -> TierVersion | None:
        """`version(pk)` when this catalog holds versions; None without a cache (the
        caller reads only the rows it needs instead)."""
        return self.version(pk) if self.holds else None

    def published_version(self, tier_slug: str, product_id: int | None = None):
        """The published version of the public tier `tier_slug` (of `product_id` when
        given), with its parts, or None."""
        key = (tier_slug, product_id)
        if key in self._published:
            return self.version(self._published[key])
        versions = versions_with_parts().filter(
            tier__slug=tier_slug, tier__is_public=True, status=VersionStatus.PUBLISHED
        )
        if product_id is not None:
            versions = versions.filter(tier__product_id=product_id)
        version = versions.first()
        if version is None:
            # Not remembered: the slug comes from the request, and junk must not fill
            # this process's memory.
            return None
        if self.holds:
            self._published[key] = version.pk
        return self._hold(version)

    def tiers_on_offer(self, product_id: int | None = None) -> list[Tier]:
        """The public tiers with a published version (of `product_id` when given), in
        the pricing page's order."""
        tiers = self._tiers.get(product_id)
        if tiers is None:
            query = Tier.objects.filter(is_public=True, versions__status=VersionStatus.PUBLISHED)
            if product_id is not None:
                query = query.filter(product_id=product_id)
            tiers = list(
                query.distinct().select_related("product").order_by("product__order", "order")
            )
            if self.holds:
                self._tiers[product_id] = tiers
        return list(tiers)

    def currencies_on_offer(self) -> list[str]:
        if self._currencies is None:
            currencies = enabled_currencies()
            if not self.holds:
                return currencies
            self._currencies = currencies
        return list(self._currencies)


_held = FrozenCatalog(None)
_lock = Lock()


def _generation() -> str | None:
    try:
        return fastcache.get(GENERATION_KEY) or catalog_generation()
    except CACHE_ERRORS as exc:
        # Only slower without the cache: every read goes to the database.
        logger.warning("Catalog read without the cache: %r", exc)
        return None


def frozen_catalog() -> FrozenCatalog:
    """The catalog of the current generation (one round trip to the cache)."""
    global _held
    generation = _generation()
    if generation is None:
        return FrozenCatalog(None)
    with _lock:
        if _held.generation != generation:
            _held = FrozenCatalog(generation)
        return _held
