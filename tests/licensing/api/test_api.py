"""The licensing API through HTTP: validation, entitlements, usage, machines, tokens,
isolation between organizations, rate limits and JSON errors for bad input."""

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.test import override_settings

from licensing.api.tokens import api_token_create, api_token_revoke
from licensing.licenses.services import (
    entitlement_override_grant,
    license_reinstate,
    license_rotate_key,
    license_suspend,
)
from licensing.models import UsageRecord
from tests.factories import MembershipFactory, OrganizationFactory
from tests.helpers.licenses import SYSTEM, issue


def test_it_validates_a_key_with_entitlements_and_expiry(api, issued):
    response = api("licenses/validate", {"key": issued.key})
    body = response.json()
    assert response.status_code == 200
    assert (body["valid"], body["code"]) == (True, "valid")
    assert body["detail"] == "The license is valid."
    assert body["license"]["tier"] == "team" and body["license"]["seats"] == 5
    assert "coupons" in body["entitlements"]["features"]
    # The seats limit is what was bought (Team allows up to 15): a client enforcing it
    # never lets more in than were paid for.
    assert body["entitlements"]["limits"]["seats"]["value"] == 5
    assert body["expires_at"] == "2027-01-01T00:00:00+00:00"


def test_it_reads_a_key_typed_loosely(api, issued):
    loose = issued.key.lower().replace("-", "")
    assert api("licenses/validate", {"key": loose}).json()["valid"] is True


def test_it_catches_a_typo_before_any_lookup(api, issued, django_assert_num_queries):
    typo = issued.key[:-1] + ("0" if issued.key[-1] != "0" else "1")
    api("licenses/validate", {"key": issued.key})  # the token is now cached
    with django_assert_num_queries(0):
        response = api("licenses/validate", {"key": typo})
    # Shaped like a key, so the schema allows it: no license has it (404), and why.
    assert response.status_code == 404
    assert response.json()["code"] == "key_mistyped"
    assert "check character" in response.json()["detail"]


def test_it_answers_from_the_cache_and_forgets_on_every_change(
    api, issued, django_assert_num_queries, django_capture_on_commit_callbacks
):
    api("licenses/validate", {"key": issued.key})
    with django_assert_num_queries(0):
        assert api("licenses/validate", {"key": issued.key}).json()["valid"] is True

    with django_capture_on_commit_callbacks(execute=True):
        license_suspend(license=issued.license, actor=SYSTEM, reason="Unpaid.")
    body = api("licenses/validate", {"key": issued.key}).json()
    assert (body["valid"], body["code"]) == (False, "suspended")

    with django_capture_on_commit_callbacks(execute=True):
        license_reinstate(license=issued.license, actor=SYSTEM, reason="Paid.")
    assert api("licenses/validate", {"key": issued.key}).json()["valid"] is True


def test_it_stops_accepting_a_rotated_key(api, issued, django_capture_on_commit_callbacks):
    api("licenses/validate", {"key": issued.key})
    with django_capture_on_commit_callbacks(execute=True):
        rotated = license_rotate_key(license=issued.license, actor=SYSTEM, reason="Leaked.")
    stale = api("licenses/validate", {"key": issued.key})
    assert (stale.status_code, stale.json()["code"]) == (404, "license_not_found")
    assert api("licenses/validate", {"key": rotated.key}).json()["valid"] is True


def test_it_reports_an_expired_term(api, organization, catalog):
    issued = issue(organization, catalog, term_start=date(2025, 1, 1), term_end=date(2025, 12, 31))
    body = api("licenses/validate", {"key": issued.key}).json()
    assert (body["valid"], body["code"]) == (False, "expired")


def test_it_never_lets_one_organization_read_anothers_license(api, client, issued, catalog):
    other = OrganizationFactory(slug="rival")
    owner = MembershipFactory(organization=other, role="owner").user
    theirs = api_token_create(organization=other, name="Rival CI", created_by=owner)
    their_license = issue(other, catalog, "starter", seats=2)

    for path in ("licenses/validate", "licenses/entitlements"):
        response = api(path, {"key": issued.key}, secret=theirs.secret)
        assert response.status_code == 404
        assert response.json()["code"] == "license_not_found"
        mine = api(path, {"key": their_license.key})
        assert (mine.status_code, mine.json()["code"]) == (404, "license_not_found")
    usage = {
        "key": issued.key,
        "records": [{"metric": "api-calls", "quantity": 1, "idempotency_key": "x"}],
    }
    machine = {"key": issued.key, "fingerprint": "rival-box"}
    for path, body in (("licenses/usage", usage), ("machines/activate", machine)):
        response = api(path, body, secret=theirs.secret)
        assert (response.status_code, response.json()["code"]) == (404, "license_not_found")
    assert UsageRecord.objects.count() == 0
    assert not issued.license.machines.exists()


@pytest.mark.parametrize("header", ["", "Bearer ", "Bearer twk_nothing", "Basic abc"])
def test_it_refuses_requests_without_a_valid_token(client, issued, header):
    response = client.post(
        "/api/v1/licenses/validate",
        {"key": issued.key},
        content_type="application/json",
        headers={"Authorization": header},
    )
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_it_refuses_a_revoked_token(api, token, issued, django_capture_on_commit_callbacks):
    api("licenses/validate", {"key": issued.key})
    with django_capture_on_commit_callbacks(execute=True):
        api_token_revoke(token=token.token)
    response = api("licenses/validate", {"key": issued.key})
    assert (response.status_code, response.json()["code"]) == (401, "unauthenticated")


@override_settings(LICENSING_API_RATE_LIMIT=3)
def test_it_rate_limits_each_token(api, issued):
    statuses = [api("licenses/validate", {"key": issued.key}).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    response = api("licenses/validate", {"key": issued.key})
    assert response.json()["code"] == "rate_limited"
    assert response["Retry-After"] == "60"  # FROZEN_NOW is 09:30:00, a minute's start


def test_it_reads_entitlements_with_usage(api, issued, catalog):
    entitlement_override_grant(
        license=issued.license,
        actor=SYSTEM,
        reason="Pilot.",
        metric=catalog.metric("api-calls"),
        value=200_000,
    )
    api(
        "licenses/usage",
        {
            "key": issued.key,
            "records": [{"metric": "api-calls", "quantity": 170_000, "idempotency_key": "a"}],
        },
    )
    body = api("licenses/entitlements", {"key": issued.key}).json()
    calls = next(m for m in body["usage"] if m["metric"] == "api-calls")
    assert calls == {
        "metric": "api-calls",
        "used": 170_000,
        "limit": 200_000,
        "status": "warning",
        "warning_threshold": 80,
        "grace_remaining": 50_000,
    }
    assert body["entitlements"]["limits"]["api-calls"]["value"] == 200_000
    assert body["entitlements"]["limits"]["seats"]["value"] == 5


def test_it_counts_a_retried_usage_post_once(api, issued):
    batch = {
        "key": issued.key,
        "records": [
            {"metric": "api-calls", "quantity": 40, "idempotency_key": "run-1"},
            {"metric": "storage", "quantity": 3, "idempotency_key": "run-1-storage"},
        ],
    }
    first = api("licenses/usage", batch).json()
    again = api("licenses/usage", batch).json()
    assert (first["accepted"], first["duplicates"]) == (2, 0)
    assert (again["accepted"], again["duplicates"]) == (0, 2)
    assert again["results"] == {"run-1": "duplicate", "run-1-storage": "duplicate"}
    assert UsageRecord.objects.count() == 2
    calls = next(m for m in again["usage"] if m["metric"] == "api-calls")
    assert calls["used"] == 40


def test_it_refuses_usage_for_an_unknown_metric_whole(api, issued):
    response = api(
        "licenses/usage",
        {
            "key": issued.key,
            "records": [
                {"metric": "api-calls", "quantity": 1, "idempotency_key": "ok"},
                {"metric": "teleports", "quantity": 1, "idempotency_key": "bad"},
            ],
        },
    )
    assert (response.status_code, response.json()["code"]) == (422, "invalid_usage")
    assert "teleports" in response.json()["detail"]
    assert UsageRecord.objects.count() == 0


@pytest.mark.parametrize(
    "recorded_at, stored",
    [
        ("2026-03-14T09:00:00+23:59", datetime(2026, 3, 13, 9, 1, tzinfo=UTC)),
        ("2026-03-13T09:00:00-23:59", datetime(2026, 3, 14, 8, 59, tzinfo=UTC)),
    ],
)
def test_it_stores_usage_written_with_any_offset_in_utc(api, issued, recorded_at, stored):
    record = {"metric": "api-calls", "quantity": 1, "idempotency_key": "k"}
    response = api(
        "licenses/usage", {"key": issued.key, "records": [record | {"recorded_at": recorded_at}]}
    )
    assert response.status_code == 200
    assert UsageRecord.objects.get().recorded_at == stored


@pytest.mark.parametrize(
    "recorded_at, code, problem",
    [
        ("0001-01-01T00:00:00+23:59", "invalid_usage", "more than 400 days ago"),
        ("9999-12-31T23:59:59-23:59", "invalid_usage", "in the future"),
        ("2026-03-14T09:00:00+24:00", "invalid_request", "recorded_at"),
    ],
)
def test_it_refuses_usage_at_a_moment_out_of_range(api, issued, recorded_at, code, problem):
    record = {"metric": "api-calls", "quantity": 1, "idempotency_key": "k"}
    response = api(
        "licenses/usage", {"key": issued.key, "records": [record | {"recorded_at": recorded_at}]}
    )
    assert (response.status_code, response.json()["code"]) == (422, code)
    assert problem in response.json()["detail"]
    assert not UsageRecord.objects.exists()


@pytest.mark.parametrize(
    "recorded_at, period, counted_in_november",
    [
        # 10:00 on 1 November at UTC+14 is 20:00 on 31 October in UTC.
        ("2026-11-01T10:00:00+14:00", date(2026, 10, 1), 0),
        # 20:00 on 31 October at UTC-12 is 08:00 on 1 November in UTC.
        ("2026-10-31T20:00:00-12:00", date(2026, 11, 1), 7),
    ],
)
def test_it_files_usage_under_its_utc_month(api, issued, recorded_at, period, counted_in_november):
    with time_machine.travel(datetime(2026, 11, 15, 12, tzinfo=UTC), tick=False):
        response = api(
            "licenses/usage",
            {
                "key": issued.key,
                "records": [
                    {
                        "metric": "api-calls",
                        "quantity": 7,
                        "idempotency_key": "edge",
                        "recorded_at": recorded_at,
                    }
                ],
            },
        )
        read_back = api("licenses/entitlements", {"key": issued.key}).json()
    assert response.status_code == 200
    assert UsageRecord.objects.get().period == period
    for body in (response.json(), read_back):
        calls = next(m for m in body["usage"] if m["metric"] == "api-calls")
        assert calls["used"] == counted_in_november


def test_it_activates_machines_up_to_the_seats(api, organization, catalog):
    issued = issue(organization, catalog, seats=2)
    body = {"key": issued.key}
    assert api("machines/activate", body | {"fingerprint": "a", "name": "Build"}).status_code == 201
    assert api("machines/activate", body | {"fingerprint": "a"}).status_code == 200
    assert api("machines/activate", body | {"fingerprint": "b"}).status_code == 201
    refused = api("machines/activate", body | {"fingerprint": "c"})
    assert refused.status_code == 409 and refused.json()["code"] == "activation_refused"

    validate = api("licenses/validate", body | {"fingerprint": "c"}).json()
    assert (validate["valid"], validate["code"]) == (False, "machine_not_activated")
    assert api("licenses/validate", body | {"fingerprint": "a"}).json()["valid"] is True

    freed = api("machines/deactivate", body | {"fingerprint": "a"})
    assert freed.status_code == 200 and freed.json()["active_machines"] == 1
    assert api("machines/activate", body | {"fingerprint": "c"}).status_code == 201
    unknown = api("machines/deactivate", body | {"fingerprint": "zz"})
    assert (unknown.status_code, unknown.json()["code"]) == (404, "machine_not_found")


@pytest.mark.parametrize(
    "path, raw, code",
    [
        ("licenses/validate", "{not json", "malformed_json"),
        ("licenses/validate", "[]", "invalid_request"),
        ("licenses/validate", '{"key": 12}', "invalid_request"),
        ("licenses/validate", '{"key": "TW-1", "fingerprint": ""}', "invalid_request"),
        ("licenses/usage", '{"key": "x", "records": []}', "invalid_request"),
        (
            "licenses/usage",
            '{"key": "x", "records": [{"metric": "a", "quantity": -1, "idempotency_key": "k"}]}',
            "invalid_request",
        ),
        (
            "licenses/usage",
            '{"key": "x", "records": [{"metric": "a", "quantity": "5", "idempotency_key": "k"}]}',
            "invalid_request",
        ),
        (
            "licenses/usage",
            '{"key": "x", "records": [{"metric": "a", "quantity": true, "idempotency_key": "k"}]}',
            "invalid_request",
        ),
        (
            "licenses/usage",
            '{"key": "x", "records": [{"metric": "a", "quantity": 1, '
            '"idempotency_key": "k\\u0000"}]}',
            "invalid_request",
        ),
        (
            "licenses/usage",
            '{"key": "x", "records": [{"metric": "a", "quantity": 1, '
            '"idempotency_key": "k", "recorded_at": "2026-01-01T00:00:00"}]}',
            "invalid_request",
        ),
        ("machines/activate", '{"key": "x"}', "invalid_request"),
        ("nowhere", "{}", "not_found"),
    ],
)
def test_it_answers_bad_input_with_a_json_4xx(api, path, raw, code):
    response = api(path, raw=raw)
    assert 400 <= response.status_code < 500
    assert response.json()["code"] == code
    assert response.json()["detail"]


@pytest.mark.parametrize(
    "path",
    [
        "licenses/validate",
        "licenses/entitlements",
        "licenses/usage",
        "machines/activate",
        "machines/deactivate",
    ],
)
def test_it_answers_a_wrong_method_with_a_json_405(client, token, path):
    response = client.get(f"/api/v1/{path}", headers={"Authorization": f"Bearer {token.secret}"})
    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "method_not_allowed"
    assert "POST" in response["Allow"]


def test_it_publishes_its_schema_and_docs_without_a_cdn(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert set(schema["paths"]) >= {
        "/api/v1/licenses/validate",
        "/api/v1/licenses/usage",
        "/api/v1/machines/activate",
    }
    docs = client.get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in docs
    assert "cdn" not in docs.lower() and "https://" not in docs
