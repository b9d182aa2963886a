"""Tampered trial addresses and posts (ids out of range, unknown tiers, control
characters, bad end reasons, bad checkout queries) answer 4xx or a redirect, never a 500."""

from datetime import timedelta

import pytest

from tests.helpers.checkout import subscribed
from tests.helpers.trials import running_trial


@pytest.fixture
def trial(organization, catalog, now):
    return running_trial(
        subscribed(organization, catalog, seats=5), "business", starts_at=now - timedelta(days=4)
    )


@pytest.mark.parametrize(
    "path",
    [
        "/app/northwind/trials/99999999999999999999/",
        "/app/northwind/trials/9223372036854775808/end/",
        "/app/northwind/trials/2147483648/started/",
        "/app/northwind/trials/0/",
        "/app/northwind/trials/-1/",
        "/app/northwind/trials/start/no-such-tier/",
        "/app/northwind/trials/start/%00/",
        "/app/nobody/trials/start/business/",
        "/pricing/try/no-such-tier/",
        "/pricing/try/business%0d%0a/",
    ],
)
def test_tampered_urls_are_4xx(client_for, owner, trial, path):
    client = client_for(owner)
    for method in (client.get, client.post):
        response = method(path, {"reason": "x"})
        assert 400 <= response.status_code < 500 or response.status_code in (301, 302), (
            path,
            response.status_code,
        )


@pytest.mark.parametrize(
    "data",
    [{"reason": "x" * 301}, {"reason": "a\x00b"}, {"reason": ["a", "b"]}, {}],
)
def test_tampered_end_posts(client_for, owner, trial, data):
    response = client_for(owner).post(f"/app/northwind/trials/{trial.pk}/end/", data)
    assert response.status_code in (302, 400, 422), response.status_code


def test_checkout_with_tampered_tier(client_for, owner, trial):
    client = client_for(owner)
    for query in (
        "?tier=",
        "?tier=nope",
        "?tier=business&seats=abc",
        "?tier=business&seats=-1",
        "?tier=business&seats=99999999999999999999",
        "?tier[]=business",
    ):
        response = client.get(f"/app/northwind/checkout/{query}")
        assert response.status_code < 500, (query, response.status_code)
