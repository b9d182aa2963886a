"""The validation endpoint served as a plain view: the same answers and errors as the
rest of the API, with the cache kept honest on every change."""

from django.test import override_settings

from licensing.api.tokens import api_token_revoke
from licensing.licenses.services import license_change_seats, machine_activate
from tests.helpers.licenses import SYSTEM


def test_it_checks_the_machine_and_forgets_on_activation(
    api, issued, django_capture_on_commit_callbacks
):
    body = {"key": issued.key, "fingerprint": "build-box"}
    assert api("licenses/validate", body).json()["code"] == "machine_not_activated"
    with django_capture_on_commit_callbacks(execute=True):
        machine_activate(license=issued.license, fingerprint="build-box", actor=SYSTEM)
    assert api("licenses/validate", body).json()["code"] == "valid"


def test_it_answers_the_new_seats_after_a_change(api, issued, django_capture_on_commit_callbacks):
    assert api("licenses/validate", {"key": issued.key}).json()["license"]["seats"] == 5
    with django_capture_on_commit_callbacks(execute=True):
        license_change_seats(license=issued.license, seats=7, actor=SYSTEM, reason="Hires.")
    assert api("licenses/validate", {"key": issued.key}).json()["license"]["seats"] == 7


def test_a_revoked_token_fails_on_its_very_next_request(
    api, token, issued, django_capture_on_commit_callbacks, django_assert_num_queries
):
    api("licenses/validate", {"key": issued.key})
    with django_assert_num_queries(0):  # token and answer both cached
        assert api("licenses/validate", {"key": issued.key}).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        api_token_revoke(token=token.token)
    response = api("licenses/validate", {"key": issued.key})
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Bearer"
    assert response.json()["code"] == "unauthenticated"


@override_settings(LICENSING_API_RATE_LIMIT=2)
def test_the_rate_limit_is_one_per_token_across_endpoints(api, issued):
    assert api("licenses/validate", {"key": issued.key}).status_code == 200
    assert api("licenses/entitlements", {"key": issued.key}).status_code == 200
    limited = api("licenses/validate", {"key": issued.key})
    assert limited.status_code == 429 and limited.json()["code"] == "rate_limited"


def test_it_refuses_other_methods_with_json(client):
    response = client.get("/api/v1/licenses/validate")
    assert response.status_code == 405 and response.json()["code"] == "method_not_allowed"


def test_a_bad_token_is_refused_before_the_body_is_read(client):
    response = client.post(
        "/api/v1/licenses/validate",
        "{not json",
        content_type="application/json",
        headers={"Authorization": "Bearer twk_nothing"},
    )
    assert (response.status_code, response.json()["code"]) == (401, "unauthenticated")
