"""POST /api/v1/licenses/feature-use: the customer's software reports the features it
used. Batched and idempotent like usage; any bad record refuses the whole batch with a
4xx that names it, and nothing of the batch is stored."""

import pytest

from licensing.models import FeatureUse
from licensing.usage.batches import MAX_BATCH
from tests.factories import OrganizationFactory
from tests.helpers.licenses import issue

PATH = "licenses/feature-use"


def _record(key="k1", feature="webhooks", count=3, **extra):
    return {"feature": feature, "count": count, "idempotency_key": key, **extra}


def test_it_stores_a_batch_and_counts_a_retried_key_once(api, issued):
    batch = {"key": issued.key, "records": [_record("k1"), _record("k2", "audit-log", 1)]}
    first = api(PATH, batch)
    assert first.status_code == 200
    assert first.json() == {
        "accepted": 2,
        "duplicates": 0,
        "results": {"k1": "accepted", "k2": "accepted"},
    }
    again = api(PATH, {"key": issued.key, "records": [_record("k1"), _record("k3", count=2)]})
    assert again.json() == {
        "accepted": 1,
        "duplicates": 1,
        "results": {"k1": "duplicate", "k3": "accepted"},
    }
    uses = FeatureUse.objects.filter(license=issued.license)
    assert sorted((u.feature.key, u.count) for u in uses) == [
        ("audit-log", 1),
        ("webhooks", 2),
        ("webhooks", 3),
    ]


def test_it_takes_a_use_time_and_stores_it_in_utc(api, issued, now):
    used_at = "2026-03-14T10:00:00+02:00"
    assert api(PATH, {"key": issued.key, "records": [_record(used_at=used_at)]}).status_code == 200
    stored = FeatureUse.objects.get(license=issued.license)
    assert stored.used_at.isoformat() == "2026-03-14T08:00:00+00:00"


@pytest.mark.parametrize(
    "records, problem",
    [
        ([_record("a"), _record("b", feature="teleport")], "records[1]: no feature 'teleport'"),
        (
            [_record("a"), _record("b", used_at="2099-01-01T00:00:00Z")],
            "records[1]: used_at is in the future",
        ),
        (
            [_record("a", used_at="2024-01-01T00:00:00Z")],
            "records[0]: used_at is more than 400 days ago",
        ),
        (
            [_record("same"), _record("other"), _record("same")],
            "records[2]: idempotency_key repeats records[0]'s",
        ),
    ],
)
def test_it_refuses_a_batch_with_a_bad_record_whole(api, issued, records, problem):
    response = api(PATH, {"key": issued.key, "records": records})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_feature_use"
    assert problem in response.json()["detail"]
    assert not FeatureUse.objects.exists()


@pytest.mark.parametrize(
    "record, field",
    [
        (_record(count="many"), "payload.records.1.count"),
        (_record(count="5"), "payload.records.1.count"),  # a whole number, not a string
        (_record(count=True), "payload.records.1.count"),
        (_record(used_at="2026-03-14T10:00:00"), "payload.records.1.used_at"),  # no offset
        (_record(used_at="yesterday"), "payload.records.1.used_at"),
        (_record(key=""), "payload.records.1.idempotency_key"),
        (_record(feature="web\u0000hooks"), "payload.records.1.feature"),
    ],
)
def test_it_refuses_a_malformed_record_naming_the_field(api, issued, record, field):
    response = api(PATH, {"key": issued.key, "records": [_record("good"), record]})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_request"
    assert field in [error["field"] for error in response.json()["errors"]]
    assert not FeatureUse.objects.exists()


def test_it_refuses_an_empty_or_too_big_batch(api, issued):
    empty = api(PATH, {"key": issued.key, "records": []})
    too_big = api(
        PATH,
        {"key": issued.key, "records": [_record(f"k{i}") for i in range(MAX_BATCH + 1)]},
    )
    for response in (empty, too_big):
        assert (response.status_code, response.json()["code"]) == (422, "invalid_request")
        assert "records" in response.json()["detail"]
    assert not FeatureUse.objects.exists()


def test_it_refuses_malformed_json(api):
    response = api(PATH, raw="{not json")
    assert (response.status_code, response.json()["code"]) == (400, "malformed_json")


def test_it_needs_a_token(api, issued):
    response = api(PATH, {"key": issued.key, "records": [_record()]}, secret="twk_00000000_nope")
    assert response.status_code == 401
    assert not FeatureUse.objects.exists()


def test_another_organizations_key_is_not_found(api, catalog):
    theirs = issue(OrganizationFactory(), catalog)
    response = api(PATH, {"key": theirs.key, "records": [_record()]})
    assert (response.status_code, response.json()["code"]) == (404, "license_not_found")
    assert not FeatureUse.objects.exists()


def test_a_get_is_a_json_405(client, token):
    response = client.get(f"/api/v1/{PATH}", headers={"Authorization": f"Bearer {token.secret}"})
    assert (response.status_code, response.json()["code"]) == (405, "method_not_allowed")


def test_it_is_documented_in_the_published_schema(client):
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/licenses/feature-use"]["post"]
    assert "idempotency_key" in operation["description"]
    assert set(operation["responses"]) >= {"200", "401", "404", "422", "429"}


@pytest.mark.parametrize("count", [0, -4, 10**7])
def test_a_count_out_of_range_is_named_with_the_other_bad_records(api, issued, count):
    records = [_record("a", feature="teleport"), _record("b", count=count), _record("c")]
    response = api(PATH, {"key": issued.key, "records": records})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_feature_use"
    detail = response.json()["detail"]
    assert "records[0]: no feature 'teleport'" in detail
    assert "records[1]: count must be from 1 to 1,000,000." in detail
    assert "records[2]" not in detail
    assert not FeatureUse.objects.exists()


def test_it_names_every_bad_record_of_a_batch(api, issued):
    records = [_record("a", feature="teleport"), _record("a"), _record("b", count=2)]
    response = api(PATH, {"key": issued.key, "records": records})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "records[0]: no feature 'teleport'" in detail
    assert "records[1]: idempotency_key repeats records[0]'s" in detail
    assert "records[2]" not in detail
    assert not FeatureUse.objects.exists()
