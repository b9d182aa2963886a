"""The API tells nothing by timing, and bounds what unauthenticated traffic costs.

Another organization's real key must cost exactly what a random key costs: the same
cache calls and the same database queries, counted (never timed). Failed authentication
is limited per client address, with no cache key written per random token."""

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from licensing.api.tokens import api_token_create
from licensing.licenses import keys
from tests.factories import MembershipFactory, OrganizationFactory
from tests.helpers.cache import COUNTING_CACHES
from tests.helpers.licenses import issue

pytestmark = pytest.mark.usefixtures("now")


@pytest.fixture
def call(client, token):
    """call(secret, **meta): validate the organization's key from a given client address
    (REMOTE_ADDR, HTTP_X_FORWARDED_FOR) with the given token."""

    def post(path, key, secret, **meta):
        return client.post(
            f"/api/v1/{path}",
            {"key": key},
            content_type="application/json",
            headers={"Authorization": f"Bearer {secret}"},
            **meta,
        )

    return post


@pytest.fixture
def counting():
    with override_settings(CACHES=COUNTING_CACHES):
        backend = caches["default"]
        backend.clear()
        yield backend


@pytest.fixture
def elsewhere_key(catalog):
    """A real key of another organization."""
    other = OrganizationFactory(name="Globex", slug="globex")
    return issue(other, catalog).key


def _work(counting, api, key):
    """What validating `key` costs: the cache calls by method, and the SQL, with ids and
    hashes left out (they differ by nature, not by path)."""
    counting.calls.clear()
    with CaptureQueriesContext(connection) as queries:
        response = api("licenses/validate", {"key": key})
    cache_calls = [method for method, _ in counting.calls]
    statements = [query["sql"].split(" WHERE ")[0] for query in queries.captured_queries]
    return response, cache_calls, statements


def test_another_organizations_key_costs_what_a_random_key_costs(
    counting, api, issued, elsewhere_key
):
    random_key = keys.generate_key()
    api("licenses/validate", {"key": issued.key})  # the token is warm, as an attacker's is

    for attempt in ("first", "again"):
        real, real_cache, real_sql = _work(counting, api, elsewhere_key)
        fake, fake_cache, fake_sql = _work(counting, api, random_key)
        assert real.status_code == fake.status_code == 404, attempt
        assert (
            real.json()
            == fake.json()
            == {
                "code": "license_not_found",
                "detail": "No license of yours has this key.",
            }
        )
        assert real_cache == fake_cache, attempt
        assert real_sql == fake_sql, attempt
        if attempt == "first":  # one lookup, then the "no such key" is remembered
            assert len(real_sql) == 1
        else:
            assert real_sql == []


def test_a_key_is_looked_up_only_within_the_tokens_organization(api, issued, elsewhere_key):
    api("licenses/validate", {"key": issued.key})  # the token is warm
    with CaptureQueriesContext(connection) as queries:
        api("licenses/validate", {"key": elsewhere_key})
    (query,) = queries.captured_queries
    assert '"organization_id" = ' in query["sql"] and '"key_hash" = ' in query["sql"]


def _answer(response) -> tuple[int, str | None]:
    return response.status_code, response.json().get("code")


UNAUTHENTICATED, LIMITED = (401, "unauthenticated"), (429, "rate_limited")


def _random_token() -> str:
    secret, _ = keys.generate_token()
    return secret


@override_settings(LICENSING_API_AUTH_FAILURE_LIMIT=3)
@pytest.mark.parametrize("path", ["licenses/validate", "licenses/entitlements"])
def test_failed_authentication_is_limited_per_client_address(call, token, issued, path):
    assert call(path, issued.key, token.secret).status_code == 200  # a client in use
    answers = [_answer(call(path, issued.key, _random_token())) for _ in range(4)]
    assert answers == [UNAUTHENTICATED] * 3 + [LIMITED]
    refused = call(path, issued.key, _random_token())
    assert _answer(refused) == LIMITED
    assert "failed authentications from your address" in refused.json()["detail"]
    # FROZEN_NOW is 09:30:00: the window of a minute resets in 60 s.
    assert refused["Retry-After"] == "60"
    # Another address is not held back, and neither is a token in use from this one (one
    # the cache does not know would need the database, which this address may not use
    # until the window ends).
    assert _answer(call(path, issued.key, _random_token(), REMOTE_ADDR="10.0.0.9")) == (
        UNAUTHENTICATED
    )
    assert call(path, issued.key, token.secret).status_code == 200


@override_settings(LICENSING_API_AUTH_FAILURE_LIMIT=2)
def test_past_the_limit_an_unknown_token_costs_no_database_lookup(api, issued):
    for _ in range(2):
        api("licenses/validate", {"key": issued.key}, secret=_random_token())
    with CaptureQueriesContext(connection) as queries:
        response = api("licenses/validate", {"key": issued.key}, secret=_random_token())
    assert _answer(response) == LIMITED
    assert queries.captured_queries == []


def test_random_tokens_leave_no_cache_key_each(counting, api, issued):
    counting.calls.clear()
    for _ in range(20):
        response = api("licenses/validate", {"key": issued.key}, secret=_random_token())
        assert _answer(response) == UNAUTHENTICATED
    written = {key for method, key in counting.calls if method in ("set", "add", "incr")}
    # One failure counter for the address; nothing per token.
    assert len(written) == 1
    assert next(iter(written)).startswith("rl:authfail:")


def test_the_client_address_comes_from_the_trusted_proxy(call, issued, settings):
    settings.LICENSING_API_AUTH_FAILURE_LIMIT = 1
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    path, key = "licenses/validate", issued.key
    first = call(path, key, _random_token(), HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert _answer(first) == UNAUTHENTICATED
    # The same proxy (REMOTE_ADDR) forwarding another client: not limited.
    other = call(path, key, _random_token(), HTTP_X_FORWARDED_FOR="203.0.113.6")
    assert _answer(other) == UNAUTHENTICATED
    # A client cannot dodge the limit by putting addresses of its own in front.
    spoofed = call(path, key, _random_token(), HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.5")
    assert _answer(spoofed) == LIMITED


def test_without_trusted_proxies_the_forwarded_header_is_ignored(call, issued, settings):
    settings.LICENSING_API_AUTH_FAILURE_LIMIT = 1
    call("licenses/validate", issued.key, _random_token())
    dodged = call(
        "licenses/validate", issued.key, _random_token(), HTTP_X_FORWARDED_FOR="203.0.113.77"
    )
    assert _answer(dodged) == LIMITED


def test_a_tokens_own_key_of_another_member_organization_is_still_found(api, catalog, owner):
    """A person in two organizations: each token sees its own organization's keys only."""
    second = MembershipFactory(user=owner, organization=OrganizationFactory(slug="second"))
    theirs = issue(second.organization, catalog)
    token = api_token_create(organization=second.organization, name="B", created_by=owner)
    assert api("licenses/validate", {"key": theirs.key}, secret=token.secret).status_code == 200
    assert _answer(api("licenses/validate", {"key": theirs.key})) == (404, "license_not_found")
