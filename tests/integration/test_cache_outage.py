"""A cache outage degrades, never corrupts: with Redis unreachable (a real port where
nothing listens) public pages still render, anything that needs Redis answers 503 (JSON
under /api/) with nothing changed, and a change made while Redis is reachable reaches
every process at once (a real Redis)."""

import socket
from contextlib import contextmanager
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from licensing.api import validation
from licensing.api.identity import token_cache_key
from licensing.api.tokens import IDENTITY_TIMEOUT, api_token_revoke
from licensing.licenses.services import license_suspend, rotation_token
from licensing.models import ApiToken, License, LicenseEvent, LicenseStatus, UsageRecord
from portal.celery import app as celery_app
from portal.models import Invitation, OutboundEmail
from tests.helpers.cache import redis_cache, redis_cache_of_this_run
from tests.helpers.licenses import SYSTEM, issue

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("now")]

LIVE_REDIS = "redis://127.0.0.1:6379/13"


def _dead_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def live_redis():
    with redis_cache_of_this_run(LIVE_REDIS, "outage"):
        yield


@contextmanager
def dead_cache():
    """This process's cache points at a dead port (a second process keeps the live one)."""
    with override_settings(CACHES=redis_cache(f"redis://127.0.0.1:{_dead_port()}/0", "outage")):
        yield


@pytest.fixture
def client(client):
    client.raise_request_exception = False
    return client


@pytest.fixture
def issued(organization, catalog):
    return issue(organization, catalog)


def _validate(client, secret, key):
    return client.post(
        "/api/v1/licenses/validate",
        {"key": key},
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}"},
    )


def _assert_unavailable_page(response):
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "nothing was changed" in response.content.decode()


def _assert_unavailable_json(response):
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "service_unavailable"


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/pricing/",
        "/pricing/?cycle=annual&currency=EUR",
        "/pricing/compare/starter/team/",
        "/changelog/",
        "/policy/upgrades/",
        "/roi/",
        "/accounts/login/",
        "/accounts/signup/",
    ],
)
def test_public_pages_render_without_the_cache(client, catalog, path):
    with dead_cache():
        response = client.get(path)
    assert response.status_code == 200


def test_the_pricing_page_without_the_cache_is_the_page_with_it(client, live_redis, catalog):
    with_cache = client.get("/pricing/?cycle=annual").content.decode()
    with dead_cache():
        without = client.get("/pricing/?cycle=annual").content.decode()
    strip = lambda html: html.split("<main", 1)[1].split("</main>", 1)[0]  # noqa: E731
    assert strip(without) == strip(with_cache)


def test_a_login_that_cannot_be_rate_limited_is_a_503_and_signs_nobody_in(client, owner):
    with dead_cache():
        response = client.post(
            "/accounts/login/", {"login": owner.email, "password": "correct-horse-battery"}
        )
    _assert_unavailable_page(response)
    assert "_auth_user_id" not in client.session


def test_a_signed_in_page_reads_its_session_from_the_database_without_the_cache(
    client, owner, organization
):
    """Sessions are read through the cache (portal/sessions.py); without it they are
    only slower."""
    client.force_login(owner)
    with dead_cache():
        response = client.get(f"/app/{organization.slug}/")
    assert response.status_code == 200
    assert response.context["user"] == owner


def test_a_sign_out_that_cannot_reach_the_cache_is_a_503_and_ends_nothing(
    client, owner, organization
):
    """Ending a session needs the cache: otherwise it would end in the database and live
    on in the cache. The 503 rolls the database's deletion back; the user signs out
    again once Redis answers."""
    client.force_login(owner)
    key = client.session.session_key
    with dead_cache():
        response = client.post("/accounts/logout/")
    _assert_unavailable_page(response)
    assert Session.objects.filter(session_key=key).exists()
    assert client.get(f"/app/{organization.slug}/").status_code == 200
    client.post("/accounts/logout/")
    assert not Session.objects.filter(session_key=key).exists()


@pytest.mark.parametrize("path", ["licenses/validate", "licenses/entitlements"])
def test_every_api_call_is_a_json_503(client, token, issued, path):
    with dead_cache():
        response = client.post(
            f"/api/v1/{path}",
            {"key": issued.key},
            content_type="application/json",
            headers={"Authorization": f"Bearer {token.secret}"},
        )
    _assert_unavailable_json(response)


def test_usage_reported_while_the_cache_is_down_is_not_half_stored(client, token, issued):
    body = {
        "key": issued.key,
        "records": [{"metric": "api_calls", "quantity": 5, "idempotency_key": "a"}],
    }
    with dead_cache():
        response = client.post(
            "/api/v1/licenses/usage",
            body,
            content_type="application/json",
            headers={"Authorization": f"Bearer {token.secret}"},
        )
    _assert_unavailable_json(response)
    assert not UsageRecord.objects.filter(license=issued.license).exists()


def test_a_key_rotation_that_cannot_reach_the_cache_changes_nothing(
    client, live_redis, owner, token, issued
):
    assert _validate(client, token.secret, issued.key).json()["valid"] is True
    before = License.objects.get(pk=issued.license.pk)
    client.force_login(owner)
    url = f"/app/{before.organization.slug}/licenses/{before.pk}/rotate-key/"
    with dead_cache():
        rotation = {"overlap": "24h", "reason": "routine", "token": rotation_token(before)}
        _assert_unavailable_page(client.post(url, rotation))
    after = License.objects.get(pk=before.pk)
    assert (after.key_hash, after.revision) == (before.key_hash, before.revision)
    assert not LicenseEvent.objects.filter(license=after, kind="key_rotated").exists()
    # Another process, on the live Redis, is right to keep answering "valid": it is.
    assert _validate(client, token.secret, issued.key).json()["valid"] is True


def test_a_key_rotation_reaches_every_process_at_once(client, live_redis, owner, token, issued):
    assert _validate(client, token.secret, issued.key).json()["valid"] is True  # warm
    client.force_login(owner)
    license = issued.license
    response = client.post(
        f"/app/{license.organization.slug}/licenses/{license.pk}/rotate-key/",
        {"overlap": "none", "reason": "leaked", "token": rotation_token(license)},
        follow=True,  # to the page that shows the new key once
    )
    assert response.status_code == 200
    new_key = response.context["secret"]
    assert new_key in response.content.decode()  # the owner sees the key they got
    # No commit hook needed: the change told the cache inside its own transaction.
    assert _validate(client, token.secret, issued.key).status_code == 404
    assert _validate(client, token.secret, new_key).json()["valid"] is True


def test_an_overlapping_old_key_is_answered_through_redis_until_its_end(
    client, live_redis, owner, token, issued
):
    assert _validate(client, token.secret, issued.key).json()["valid"] is True  # warm
    client.force_login(owner)
    license = issued.license
    response = client.post(
        f"/app/{license.organization.slug}/licenses/{license.pk}/rotate-key/",
        {"overlap": "1h", "reason": "routine", "token": rotation_token(license)},
        follow=True,
    )
    new_key = response.context["secret"]
    for _ in range(2):  # built from the database, then from Redis
        old = _validate(client, token.secret, issued.key).json()
        assert (old["valid"], old["key"]["status"]) == (True, "retiring")
    assert _validate(client, token.secret, new_key).json()["key"]["status"] == "current"
    with time_machine.travel(timezone.now() + timedelta(hours=1), tick=False):
        assert _validate(client, token.secret, issued.key).status_code == 404


def test_a_token_revocation_that_cannot_reach_the_cache_changes_nothing(
    client, live_redis, owner, token, issued
):
    assert _validate(client, token.secret, issued.key).status_code == 200  # cached token
    client.force_login(owner)
    url = f"/app/{issued.license.organization.slug}/api-tokens/{token.token.pk}/revoke/"
    with dead_cache():
        _assert_unavailable_page(client.post(url, {"overlap": "24h", "reason": "routine"}))
    assert ApiToken.objects.get(pk=token.token.pk).revoked_at is None
    assert _validate(client, token.secret, issued.key).status_code == 200
    # With the cache back, the revocation works and is seen at once.
    assert client.post(url).status_code == 302
    assert ApiToken.objects.get(pk=token.token.pk).revoked_at is not None
    assert _validate(client, token.secret, issued.key).status_code == 401


def test_a_reader_cannot_put_a_revoked_token_back(live_redis, token):
    """A reader that looked the token up just before the revocation committed stores its
    entry with add, which finds the marker."""
    api_token_revoke(token=token.token)
    stale = [token.token.pk, token.token.organization_id, token.token.name, token.token.token_hash]
    assert cache.add(token_cache_key(token.token.prefix), stale, IDENTITY_TIMEOUT) is False


def test_a_suspension_in_the_admin_that_cannot_reach_the_cache_changes_nothing(
    client, live_redis, admin_user, token, issued
):
    client.force_login(admin_user)
    license = issued.license
    url = f"/admin/licensing/license/{license.pk}/operate/suspend/"
    with dead_cache():
        response = client.post(url, {"reason": "Unpaid invoice."})
    assert response.status_code == 503
    assert License.objects.get(pk=license.pk).status == LicenseStatus.ACTIVE
    assert _validate(client, token.secret, issued.key).json()["valid"] is True


def test_a_change_rolled_back_after_telling_the_cache_leaves_answers_right(
    client, live_redis, token, issued
):
    assert _validate(client, token.secret, issued.key).json()["code"] == "valid"
    with pytest.raises(RuntimeError), transaction.atomic():
        license_suspend(license=issued.license, actor=SYSTEM, reason="Unpaid.")
        raise RuntimeError("the request failed after the change told the cache")
    assert _validate(client, token.secret, issued.key).json()["code"] == "valid"
    # And an answer built while a change was in flight is never taken for the new one.
    cache.set(f"lic:ver:{issued.license.pk}", issued.license.revision + 1, 60)
    assert _validate(client, token.secret, issued.key).json()["code"] == "valid"
    stored = cache.get(validation._answer_key(issued.license.pk))
    assert stored.revision == issued.license.revision
    validation._known_keys.clear()


@contextmanager
def dead_broker():
    """Celery publishes to a port where nothing listens, as a real producer would."""
    conf = celery_app.conf
    saved = (conf.broker_url, conf.task_always_eager, conf.broker_transport_options)
    conf.broker_url = f"redis://127.0.0.1:{_dead_port()}/0"
    conf.task_always_eager = False
    conf.broker_transport_options = settings.REDIS_BROKER_TRANSPORT_OPTIONS
    _forget_connections()
    try:
        yield
    finally:
        conf.broker_url, conf.task_always_eager, conf.broker_transport_options = saved
        _forget_connections()


def _forget_connections() -> None:
    """Celery keeps a connection pool and a producer pool made for the broker it first
    used; both go, so the next publish connects to the broker configured now."""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def test_an_invitation_made_while_the_broker_is_down_stands_and_its_email_waits(
    client, owner, organization, django_capture_on_commit_callbacks
):
    client.force_login(owner)
    with dead_broker(), django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/app/{organization.slug}/members/invite/",
            {"email": "new.person@example.com", "role": "member"},
        )
    assert response.status_code == 302  # the owner is told it worked, because it did
    assert Invitation.objects.filter(email="new.person@example.com").exists()
    waiting = OutboundEmail.objects.get(to="new.person@example.com")
    assert waiting.sent_at is None  # the beat sweep hands it to a worker later


def test_health_reports_a_dead_cache(client):
    with dead_cache():
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["cache"] == {"ok": False, "detail": "ConnectionError"}
