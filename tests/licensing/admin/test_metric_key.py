"""A limit metric's key is how license files and the licensing API name a limit
(`limits: metric key -> {...}`), and what the customers' software reports usage under:
once the metric is in use — in a published (or retired) tier version's limits, room a
bought add-on adds on it, or named by any license (an admin's override, usage its
software reported) — the key is read-only in the admin, which says why, and refused
below it (licensing.models.licenses.refuse_key_change_if_used, shared with features).
Its name may still change; a metric nothing uses yet keeps an editable key. "Now" is
14 March 2026."""

import re
from datetime import date

import pytest
from django.db import transaction
from django.urls import reverse

from licensing.licenses.services import entitlement_override_grant, license_set_addon
from licensing.models import (
    Addon,
    AddonLimit,
    LimitMetric,
    MetricKeyInUseError,
    UsageRecord,
)
from tests.factories import LimitMetricFactory
from tests.helpers.licenses import SYSTEM


def _change_url(metric: LimitMetric) -> str:
    return reverse("admin:licensing_limitmetric_change", args=[metric.pk])


def _post(admin_client, metric: LimitMetric, **changes):
    data = {
        "product": metric.product_id,
        "key": metric.key,
        "name": metric.name,
        "unit": metric.unit,
        "reset_period": metric.reset_period,
        "order": metric.order,
    } | changes
    return admin_client.post(_change_url(metric), data)


@pytest.fixture
def unused(now, issued):
    """A metric of the licensed product that no version, add-on or license names."""
    return LimitMetricFactory(product=issued.license.product, key="webhooks", name="Webhooks")


def test_a_published_versions_metric_key_is_read_only_with_the_reason(now, admin_client, issued):
    calls = LimitMetric.objects.get(product=issued.license.product, key="api-calls")
    page = admin_client.get(_change_url(calls)).content.decode()
    assert 'name="key"' not in page  # shown, not offered
    assert (
        "The key is read-only: license files and the licensing API name this limit metric"
        in page
    )
    assert "reports usage under it" in page
    assert "Team v2 (published)" in page

    response = _post(admin_client, calls, key="requests", name="Requests")

    assert response.status_code == 302
    calls.refresh_from_db()
    assert (calls.key, calls.name) == ("api-calls", "Requests")  # only the name moved
    assert not LimitMetric.objects.filter(key="requests").exists()


def test_below_the_admin_a_used_metric_key_is_refused(now, issued):
    calls = LimitMetric.objects.get(product=issued.license.product, key="api-calls")
    calls.key = "requests"
    with (
        pytest.raises(MetricKeyInUseError, match="Team v2 \\(published\\)"),
        transaction.atomic(),
    ):
        calls.save()
    assert LimitMetric.objects.filter(pk=calls.pk, key="api-calls").exists()


def test_an_unused_metrics_key_stays_editable(admin_client, unused):
    page = admin_client.get(_change_url(unused)).content.decode()
    assert 'name="key"' in page
    assert "The key is read-only" not in page

    assert _post(admin_client, unused, key="hooks").status_code == 302
    unused.refresh_from_db()
    assert unused.key == "hooks"


def _bought_addon(issued, metric):
    addon = Addon.objects.create(product=metric.product, key="hook-pack", name="Hook pack")
    AddonLimit.objects.create(addon=addon, metric=metric, extra=100)
    license_set_addon(
        license=issued.license, addon=addon, quantity=1, actor=SYSTEM, reason="Bought."
    )


def _override(issued, metric):
    entitlement_override_grant(
        license=issued.license, actor=SYSTEM, reason="Pilot.", metric=metric, value=50
    )


def _reported(issued, metric):
    UsageRecord.objects.create(
        license=issued.license,
        metric=metric,
        quantity=3,
        period=date(2026, 3, 1),
        recorded_at=issued.license.created_at,
        idempotency_key="once",
        batch="00000000-0000-0000-0000-000000000001",
    )


@pytest.mark.parametrize(
    "use, reason",
    [
        (_bought_addon, "add-on Hook pack (bought)"),
        (_override, "1 license"),
        (_reported, "1 license"),
    ],
    ids=["bought-addon", "override", "usage"],
)
def test_a_metric_key_a_license_relies_on_is_read_only_and_refused(
    admin_client, issued, unused, use, reason
):
    use(issued, unused)

    page = admin_client.get(_change_url(unused)).content.decode()
    assert 'name="key"' not in page
    assert reason in page
    assert _post(admin_client, unused, key="hooks").status_code == 302
    unused.refresh_from_db()
    assert unused.key == "webhooks"
    unused.key = "hooks"
    with pytest.raises(MetricKeyInUseError, match=re.escape(reason)), transaction.atomic():
        unused.save()
