"""Sessions kept in the database and read through the cache (Django's cached_db), except
that a cache that cannot be reached only makes a session read slower: the session comes
from the database, as it did before the cache held sessions. Ending a session still
needs the cache (Django's delete raises): a logout, or a new key at sign-in, that cannot
reach Redis is the 503 and its transaction rolls the database's deletion back, so a
session ended in the database is never left alive in the cache."""

from __future__ import annotations

import logging

from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBStore

from portal.unavailable import CACHE_ERRORS

logger = logging.getLogger(__name__)


class SessionStore(CachedDBStore):
    def load(self) -> dict:
        try:
            data = self._cache.get(self.cache_key)
        except Exception:  # as Django's: an invalid key or an unreachable cache
            data = None
        if data is not None:
            return data
        stored = self._get_session_from_db()
        if stored is None:
            return {}
        data = self.decode(stored.session_data)
        try:
            self._cache.set(self.cache_key, data, self.get_expiry_age(expiry=stored.expire_date))
        except CACHE_ERRORS as exc:
            logger.warning("Session read from the database, the cache unreachable: %r", exc)
        return data
