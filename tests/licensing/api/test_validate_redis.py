"""The validation hot path on a real Redis: one command per warm request, the rate limit
counted by the script, and changes and revocations seen on the next request."""

from unittest import mock

import pytest
import redis
from django.test import override_settings

from licensing.api.tokens import api_token_revoke
from licensing.licenses.services import license_suspend
from tests.helpers.cache import redis_cache_of_this_run
from tests.helpers.licenses import SYSTEM

REDIS_URL = "redis://127.0.0.1:6379/12"

pytestmark = pytest.mark.integration  # a real Redis or PostgreSQL


@pytest.fixture
def on_redis():
    with redis_cache_of_this_run(REDIS_URL, "validate"):
        yield


def test_a_warm_validation_is_one_redis_command(on_redis, api, issued):
    api("licenses/validate", {"key": issued.key})
    with mock.patch.object(
        redis.Redis, "execute_command", autospec=True, side_effect=redis.Redis.execute_command
    ) as commands:
        response = api("licenses/validate", {"key": issued.key})
    assert response.json()["valid"] is True
    assert [call.args[1] for call in commands.call_args_list] == ["EVALSHA"]


@override_settings(LICENSING_API_RATE_LIMIT=2)
def test_the_script_counts_the_rate_limit(on_redis, api, issued):
    responses = [api("licenses/validate", {"key": issued.key}) for _ in range(3)]
    assert [response.status_code for response in responses] == [200, 200, 429]
    assert responses[2].json()["code"] == "rate_limited"
    assert responses[2]["Retry-After"] == "60"  # FROZEN_NOW is 09:30:00, a minute's start


def test_changes_and_revocations_show_on_the_next_request(
    on_redis, api, token, issued, django_capture_on_commit_callbacks
):
    assert api("licenses/validate", {"key": issued.key}).json()["valid"] is True
    with django_capture_on_commit_callbacks(execute=True):
        license_suspend(license=issued.license, actor=SYSTEM, reason="Unpaid.")
    assert api("licenses/validate", {"key": issued.key}).json()["code"] == "suspended"
    with django_capture_on_commit_callbacks(execute=True):
        api_token_revoke(token=token.token)
    revoked = api("licenses/validate", {"key": issued.key})
    assert (revoked.status_code, revoked.json()["code"]) == (401, "unauthenticated")
