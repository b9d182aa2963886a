"""Property-based fuzzing of every operation in the published OpenAPI schema: whatever
is sent (any JSON, objects shaped like the schema with wrong values, raw bytes), the
answer is a 4xx or a 2xx, never a 5xx, and every error is {"code", "detail"} JSON."""

import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from licensing.api import api as licensing_api

SCHEMA = licensing_api.get_openapi_schema(path_prefix="/api/v1/")
OPERATIONS = [
    (path, method.upper(), operation)
    for path, item in SCHEMA["paths"].items()
    for method, operation in item.items()
]
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=120)
)
any_json = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)


def _body_properties(operation) -> list[str]:
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    component = SCHEMA["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return list(component["properties"])


def shaped(operation, key_text):
    """Objects with the operation's own fields, holding anything at all, and sometimes a
    real key so the request gets past the key check."""
    fields = _body_properties(operation)
    record = st.fixed_dictionaries(
        {},
        optional={
            "metric": any_json | st.sampled_from(["api-calls", "seats", "storage"]),
            "quantity": any_json | st.integers(min_value=-1, max_value=10**13),
            "idempotency_key": any_json | st.text(min_size=1, max_size=110),
            "recorded_at": any_json
            | st.sampled_from(
                [
                    "2026-03-01T00:00:00+00:00",
                    "9999-12-31T23:59:59Z",
                    "0001-01-01T00:00:00Z",
                    "2026-03-01",
                ]
            ),
        },
    )
    values = {
        "key": any_json | key_text,
        "fingerprint": any_json | st.text(max_size=300),
        "name": any_json,
        "records": any_json | st.lists(record | any_json, max_size=4),
    }
    return st.fixed_dictionaries({}, optional={name: values.get(name, any_json) for name in fields})


def _check(response):
    assert response.status_code < 500, response.content[:500]
    if response.status_code >= 400:
        body = response.json()
        assert body["code"] and body["detail"]


@pytest.fixture
def send(client, token):
    def post(path, data: bytes):
        return client.generic(
            "POST", path, data, content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token.secret}",
        )  # fmt: skip

    return post


@pytest.mark.parametrize("path, method, operation", OPERATIONS, ids=[p for p, _, _ in OPERATIONS])
@FUZZ
@given(data=st.data())
def test_it_never_answers_a_5xx(send, issued, path, method, operation, data):
    if method != "POST":
        pytest.skip("only POST operations take a body")
    key_text = st.sampled_from([issued.key, issued.key.lower(), issued.key[:-1] + "0"])
    body = data.draw(
        st.one_of(
            shaped(operation, key_text).map(lambda v: json.dumps(v).encode()),
            any_json.map(lambda v: json.dumps(v).encode()),
            st.binary(max_size=200),
        )
    )
    _check(send(path, body))


def test_the_schema_lists_every_operation():
    assert {path for path, _, _ in OPERATIONS} == {
        "/api/v1/licenses/validate",
        "/api/v1/licenses/entitlements",
        "/api/v1/licenses/usage",
        "/api/v1/machines/activate",
        "/api/v1/machines/deactivate",
    }
