"""Sessions are kept in the database and read through the cache (portal/sessions.py): a
signed-in page reads its session from the cache, and the database stays the record."""

from django.contrib.sessions.backends.cached_db import KEY_PREFIX
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext


def _session_reads(queries) -> int:
    return sum('FROM "django_session"' in q["sql"] for q in queries)


def test_it_reads_a_signed_in_session_from_the_cache(client, owner, organization):
    client.force_login(owner)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/app/{organization.slug}/")
    assert response.status_code == 200
    assert response.context["user"] == owner
    assert _session_reads(queries) == 0


def test_a_session_the_cache_lost_is_read_from_the_database(client, owner, organization):
    client.force_login(owner)
    cache.clear()  # evicted, or Redis restarted without its data
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/app/{organization.slug}/")
    assert response.status_code == 200
    assert response.context["user"] == owner
    assert _session_reads(queries) == 1
    # …and put back: the next page reads it from the cache again.
    with CaptureQueriesContext(connection) as queries:
        client.get(f"/app/{organization.slug}/")
    assert _session_reads(queries) == 0


def test_signing_out_ends_the_session_in_both(client, owner, organization):
    client.force_login(owner)
    key = client.session.session_key
    client.post("/accounts/logout/")
    assert client.get(f"/app/{organization.slug}/").status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    assert cache.get(f"{KEY_PREFIX}{key}") is None
