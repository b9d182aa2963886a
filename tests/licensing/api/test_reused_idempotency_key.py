"""A record that reuses an idempotency key stored before with ANOTHER body (another
feature or metric, count or quantity, or moment when one is sent) is refused, naming
it, and nothing of its batch is stored; the same record sent again stays a "duplicate".
Shared by feature use and usage (licensing.usage.batches.store_batch)."""

from datetime import timedelta

import pytest
import time_machine

from licensing.models import FeatureUse, UsageRecord

USED_AT = "2026-03-14T08:00:00+00:00"


def _use(key="k1", feature="webhooks", count=3, **extra):
    return {"feature": feature, "count": count, "idempotency_key": key, **extra}


def _usage(key="k1", metric="api-calls", quantity=40, **extra):
    return {"metric": metric, "quantity": quantity, "idempotency_key": key, **extra}


@pytest.mark.parametrize(
    "path, model, first, reused, code, named",
    [
        (
            "licenses/feature-use",
            FeatureUse,
            _use(),
            _use(feature="audit-log"),
            "invalid_feature_use",
            "feature",
        ),
        (
            "licenses/feature-use",
            FeatureUse,
            _use(),
            _use(count=50),
            "invalid_feature_use",
            "count",
        ),
        (
            "licenses/feature-use",
            FeatureUse,
            _use(used_at=USED_AT),
            _use(used_at="2026-03-14T09:00:00+00:00"),
            "invalid_feature_use",
            "used_at",
        ),
        (
            "licenses/usage",
            UsageRecord,
            _usage(),
            _usage(metric="storage"),
            "invalid_usage",
            "metric",
        ),
        ("licenses/usage", UsageRecord, _usage(), _usage(quantity=41), "invalid_usage", "quantity"),
    ],
)
def test_a_reused_key_with_another_record_is_refused_and_nothing_is_stored(
    api, issued, path, model, first, reused, code, named
):
    assert api(path, {"key": issued.key, "records": [first]}).status_code == 200
    fresh = {**first, "idempotency_key": "k2"}

    response = api(path, {"key": issued.key, "records": [fresh, reused]})

    assert (response.status_code, response.json()["code"]) == (422, code)
    detail = response.json()["detail"]
    assert "records[1]: idempotency_key 'k1' was used before for another record" in detail
    assert f"(its {named} differed)" in detail
    assert list(model.objects.values_list("idempotency_key", flat=True)) == ["k1"]


@pytest.mark.parametrize(
    "path, record",
    [
        ("licenses/feature-use", _use()),
        ("licenses/feature-use", _use(used_at=USED_AT)),
        ("licenses/usage", _usage()),
        ("licenses/usage", _usage(recorded_at=USED_AT)),
    ],
)
def test_the_same_record_again_is_a_duplicate(api, issued, path, record, now):
    assert api(path, {"key": issued.key, "records": [record]}).status_code == 200

    # A retry later: a record sent without its moment is the same record still.
    with time_machine.travel(now + timedelta(minutes=10), tick=False):
        again = api(path, {"key": issued.key, "records": [record]})

    assert again.status_code == 200
    assert again.json()["results"] == {"k1": "duplicate"}
