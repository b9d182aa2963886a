"""The licensing API's cached answers follow the catalog: an answer names catalog objects
(a limit's unit, a trial's tier, the features and limits of the versions it reads), so a
change in the admin starts a new catalog generation (licensing.catalog.signals) and the
very next answer is built again, not at the cache entry's expiry. A warm answer still
costs no query, and on Redis one command. "Now" is 14 March 2026."""

from unittest import mock

import pytest
import redis
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from licensing.licenses.services import Actor
from licensing.models import LimitMetric, Tier
from licensing.trials.services import trial_start
from tests.helpers.cache import redis_cache_of_this_run

REDIS_URL = "redis://127.0.0.1:6379/12"


def _units(api, key) -> str:
    return api("licenses/validate", {"key": key}).json()["entitlements"]["limits"]["api-calls"][
        "unit"
    ]


def _rename_unit(admin_client, unit: str) -> None:
    metric = LimitMetric.objects.get(key="api-calls")
    response = admin_client.post(
        reverse("admin:licensing_limitmetric_change", args=[metric.pk]),
        {
            "product": metric.product_id,
            "key": metric.key,
            "name": metric.name,
            "unit": unit,
            "reset_period": metric.reset_period,
            "order": metric.order,
        },
    )
    assert response.status_code == 302
    metric.refresh_from_db()
    assert metric.unit == unit


def test_a_limits_new_unit_is_in_the_next_answer(api, issued, admin_client):
    assert _units(api, issued.key) == "calls"
    assert _units(api, issued.key) == "calls"  # answered from the cache

    _rename_unit(admin_client, "requests")

    assert _units(api, issued.key) == "requests"


def test_a_trial_tiers_new_name_is_in_the_next_answer(api, issued, catalog):
    business = Tier.objects.get(slug="business")
    trial_start(organization=issued.license.organization, tier=business, actor=Actor())
    first = api("licenses/validate", {"key": issued.key}).json()
    assert first["trial"]["tier"]["name"] == "Business"

    business.name = "Business Plus"
    business.save()

    assert api("licenses/validate", {"key": issued.key}).json()["trial"]["tier"] == {
        "slug": "business",
        "name": "Business Plus",
    }


def test_a_warm_answer_still_costs_no_query(api, issued, admin_client):
    _units(api, issued.key)
    _rename_unit(admin_client, "requests")
    _units(api, issued.key)  # built again, once

    with CaptureQueriesContext(connection) as queries:
        assert _units(api, issued.key) == "requests"
    assert queries.captured_queries == []


@pytest.mark.integration
def test_on_redis_the_change_shows_and_a_warm_answer_is_one_command(api, issued, admin_client):
    with redis_cache_of_this_run(REDIS_URL, "catalog-answers"):
        assert _units(api, issued.key) == "calls"
        _rename_unit(admin_client, "requests")
        assert _units(api, issued.key) == "requests"
        with mock.patch.object(
            redis.Redis, "execute_command", autospec=True, side_effect=redis.Redis.execute_command
        ) as commands:
            assert _units(api, issued.key) == "requests"
        assert [call.args[1] for call in commands.call_args_list] == ["EVALSHA"]
