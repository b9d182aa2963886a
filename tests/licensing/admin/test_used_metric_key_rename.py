"""A limit metric's key is named by license files and the licensing API (`limits: metric
key -> {...}`) and is what customers' software reports usage under ("Stable identifier
used by usage reports"): a POST to the LimitMetric admin renaming "api-calls", on a
published version that licenses hold, leaves the key as it was (it would otherwise
silently change what every Team license's software reads and reports)."""

from django.urls import reverse

from licensing.models import LimitMetric


def test_a_used_metrics_key_cannot_be_renamed_in_the_admin(now, admin_client, issued):
    calls = LimitMetric.objects.get(product=issued.license.product, key="api-calls")
    response = admin_client.post(
        reverse("admin:licensing_limitmetric_change", args=[calls.pk]),
        {
            "product": calls.product_id,
            "key": "requests",
            "name": calls.name,
            "unit": calls.unit,
            "reset_period": calls.reset_period,
            "order": calls.order,
        },
    )
    assert response.status_code in (200, 302)
    calls.refresh_from_db()
    assert calls.key == "api-calls"
