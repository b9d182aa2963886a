"""POST /api/v1/licenses/feature-use with hostile input: wrong types, out-of-range
numbers and moments, control characters, records that are not records, huge or deeply
nested or broken bodies. Each answers 4xx and stores nothing (the ordinary refusals,
naming the field, are in test_feature_use.py)."""

import json

import pytest

from licensing.models import FeatureUse

PATH = "licenses/feature-use"


def _record(key="k1", feature="webhooks", count=3, **extra):
    return {"feature": feature, "count": count, "idempotency_key": key, **extra}


@pytest.mark.parametrize(
    "records",
    [
        [_record(count=1.5)],
        [_record(count=2**70)],
        [_record(count=None)],
        [_record(count=[1])],
        [_record(feature=5)],
        [_record(feature=None)],
        [_record(key=5)],
        [_record(key="x" * 101)],
        [_record(used_at="2026-03-14")],
        [_record(used_at="not a date")],
        [_record(used_at=12345)],
        [_record(used_at="9999-12-31T23:59:59+14:00")],
        [_record(used_at="0001-01-01T00:00:00-14:00")],
        [_record(key="k\u0000")],
        ["a string"],
        [None],
        [[1, 2]],
        {"0": _record()},
        "records",
        None,
    ],
)
def test_bad_records_are_4xx_and_store_nothing(api, issued, records):
    response = api(PATH, {"key": issued.key, "records": records})
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    assert not FeatureUse.objects.exists()


@pytest.mark.parametrize("body", [[], "x", 5, None, {"key": None}, {"key": 5, "records": []}])
def test_bad_bodies_are_4xx(api, issued, body):
    response = api(PATH, body)
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])


@pytest.mark.parametrize("path", [PATH, "licenses/validate", "licenses/usage"])
def test_a_huge_body_is_4xx(api, issued, path):
    records = [_record(f"k{i}", count=1) for i in range(50000)]
    raw = json.dumps({"key": issued.key, "records": records})
    assert len(raw) > 2_621_440
    response = api(path, raw=raw)
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    assert not FeatureUse.objects.exists()


@pytest.mark.parametrize(
    "raw",
    [
        '{"key": "x", "records": [',
        "NaN",
        '{"key": 1e999}',
        "\xff\xfe",
        '{"records": [{"count": 1e400}]}',
    ],
)
def test_broken_json_is_4xx(api, issued, raw):
    response = api(PATH, raw=raw)
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])


def test_a_deeply_nested_body_is_4xx(api, issued):
    raw = '{"key": ' + "[" * 100000 + "]" * 100000 + "}"
    response = api(PATH, raw=raw)
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
