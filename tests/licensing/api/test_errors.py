"""Every answer under /api/ is JSON, {"code", "detail"} like the API's own errors, even
the ones Django gives by itself: an unknown path, a wrong method, a CSRF refusal, a
request it cannot read. Clients are sent as an API client sends them: with CSRF checks
on and no session."""

import pytest
from django.test import Client
from django.urls import include, path

from portal import urls as site_urls


@pytest.fixture
def api_client(db):
    return Client(enforce_csrf_checks=True)


def _assert_json_error(response, status: int, code: str) -> None:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == code
    assert response.json()["detail"]


@pytest.mark.parametrize(
    "method, url, status, code",
    [
        ("get", "/api/v1/", 404, "not_found"),
        ("get", "/api/v1/nowhere", 404, "not_found"),
        ("post", "/api/v1/nowhere", 404, "not_found"),
        ("post", "/api/v1/licenses/usage/", 404, "not_found"),
        ("get", "/api/v2/licenses/validate", 404, "not_found"),
        ("post", "/api/v1/docs", 405, "method_not_allowed"),
        ("post", "/api/v1/openapi.json", 405, "method_not_allowed"),
        ("delete", "/api/v1/licenses/usage", 405, "method_not_allowed"),
        ("put", "/api/v1/licenses/validate", 405, "method_not_allowed"),
    ],
)
def test_it_answers_json_everywhere_under_the_api(api_client, method, url, status, code):
    _assert_json_error(getattr(api_client, method)(url), status, code)


def test_it_still_serves_its_schema_and_docs(api_client):
    assert api_client.get("/api/v1/openapi.json").status_code == 200
    assert api_client.get("/api/v1/docs")["Content-Type"].startswith("text/html")


# DEBUG too (make run): there the framework answers before Django's handler, with its
# technical page or django-ninja's traceback, unless the API refuses the body itself.
@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
def test_it_answers_a_body_too_large_to_read_in_json(api_client, token, settings, debug):
    settings.DEBUG = debug
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    body = '{"key": "%s"}' % ("x" * 2_000)
    for url in (
        "/api/v1/licenses/validate",
        "/api/v1/licenses/usage",
        "/api/v1/licenses/entitlements",
        "/api/v1/machines/activate",
    ):
        response = api_client.post(
            url,
            body,
            content_type="application/json",
            headers={"Authorization": f"Bearer {token.secret}"},
        )
        _assert_json_error(response, 400, "bad_request")


def _form(request):
    raise AssertionError("a refused CSRF check never reaches the view")


# A view under /api/ that someone forgets to exempt from CSRF checks.
urlpatterns = [path("api/v1/form", _form), path("", include(site_urls))]


@pytest.mark.urls(__name__)
def test_a_csrf_refusal_under_the_api_is_json_too(api_client):
    _assert_json_error(api_client.post("/api/v1/form", {}), 403, "csrf_failed")
