"""Schemathesis against the schema the API publishes (/api/v1/openapi.json, loaded from
the app through WSGI): every operation, with a valid token, with requests the schema
allows (positive) and requests it forbids (negative), and every check Schemathesis has:
no 5xx, only documented status codes and content types, bodies that match their
schemas, 405 for other methods, 401 without the token, forbidden data refused…

One check is replaced: Schemathesis's positive_data_acceptance takes any 422 for a
schema-valid request as a refusal, but a usage record the product cannot take (a metric
it does not have, a moment more than 400 days back) is a rule no schema states, answered
with a documented 422 invalid_usage (invalid_feature_use for a feature-use record).
Every other refusal of a schema-valid request, such as a key the schema allows but the
server reads as malformed, still fails."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS
from schemathesis.specs.openapi.checks import positive_data_acceptance

from licensing.api.endpoints import api as licensing_api
from licensing.licenses import keys
from licensing.models import Feature, LimitMetric

pytestmark = pytest.mark.fuzz

SCHEMA = licensing_api.get_openapi_schema(path_prefix="/api/v1/")
PATHS = list(SCHEMA["paths"])
ACCEPTED = {200, 201, 401, 403, 404, 409, 429}


@pytest.fixture
def published(db):
    """The schema as the app serves it, loaded through Django's WSGI application. The
    application runs as the test client runs it: the database connection (the test's
    transaction) is not closed at the end of each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _aim_at_the_license(body: dict, issued, data) -> None:
    """Point a schema-valid request at the organization's real license (and, for usage,
    its product's metrics, now), so that answers of success are checked too."""
    body["key"] = issued.key
    metrics = LimitMetric.objects.filter(product=issued.license.product)
    features = Feature.objects.filter(product=issued.license.product)
    for record in body.get("records", []):
        if "feature" in record:
            record["feature"] = data.draw(st.sampled_from([feature.key for feature in features]))
            record.pop("used_at", None)
        else:
            record["metric"] = data.draw(st.sampled_from([metric.key for metric in metrics]))
            record.pop("recorded_at", None)


def schema_valid_requests_are_understood(ctx, response, case):
    if not case.meta.generation.mode.is_positive or response.status_code in ACCEPTED:
        return
    code = response.json().get("code")
    assert response.status_code == 422 and code in {"invalid_usage", "invalid_feature_use"}, (
        f"A request the schema allows was refused: {response.status_code} {code}"
    )


@pytest.mark.parametrize("mode", list(GenerationMode), ids=lambda mode: mode.value)
@pytest.mark.parametrize("path", PATHS)
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_every_operation_keeps_to_its_published_schema(published, issued, token, path, mode, data):
    case = data.draw(published[path]["POST"].as_strategy(generation_mode=mode))
    if mode is GenerationMode.POSITIVE and data.draw(st.booleans(), label="the real license"):
        _aim_at_the_license(case.body, issued, data)
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token.secret}"},
        checks=CHECKS.get_all(),
        excluded_checks=[positive_data_acceptance],
        additional_checks=[schema_valid_requests_are_understood],
    )


def test_the_schema_lists_every_operation_and_the_formats_of_keys_and_tokens():
    assert set(PATHS) == {
        "/api/v1/licenses/validate",
        "/api/v1/licenses/entitlements",
        "/api/v1/licenses/usage",
        "/api/v1/licenses/feature-use",
        "/api/v1/machines/activate",
        "/api/v1/machines/deactivate",
    }
    components = SCHEMA["components"]
    assert components["schemas"]["KeyIn"]["properties"]["key"]["pattern"] == keys.KEY_PATTERN
    assert components["securitySchemes"]["TokenAuth"]["bearerFormat"].startswith("twk_")
