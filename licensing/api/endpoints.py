"""The licensing API, /api/v1/: what the customer's software calls.

Every answer is JSON. Errors are {"code": "...", "detail": "..."} with a 4xx status:
malformed JSON or fields (400/422), a bad or missing token (401), a key that is not one
of the token's organization's licenses (404, the same answer as a key that does not
exist, so one organization learns nothing about another's; a key whose check character
shows a typo is a 404 too), a refused change (409), too many requests (429) and a
service briefly unavailable (503). The schema declares the format of keys and tokens, so
a request it allows is never refused as malformed.
"""

from __future__ import annotations

from datetime import datetime
from functools import wraps
from typing import Annotated

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe
from ninja import Field, NinjaAPI, Schema, Status, Swagger
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer
from pydantic import AwareDatetime, BeforeValidator
from pydantic import ValidationError as PydanticValidationError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from licensing.api import ratelimit
from licensing.api.identity import TokenIdentity, TooManyFailures, rate_limit_bucket
from licensing.api.tokens import api_token_authenticate
from licensing.api.validation import key_matches, license_data, validate_key
from licensing.licenses import keys
from licensing.licenses import services as licenses
from licensing.licenses.entitlements import trial_data, usable_entitlements, usable_trial
from licensing.licenses.grants import Entitlements
from licensing.models import License
from licensing.usage import features as feature_use
from licensing.usage.batches import MAX_BATCH
from licensing.usage.features import FeatureReport, feature_use_record_batch
from licensing.usage.services import UsageReport, license_meters, usage_record_batch
from portal import clock
from portal.errors import api_not_found
from portal.http import client_address
from portal.unavailable import unavailable_response

# Printable text only: control characters (NUL above all) have no place in these fields.
PRINTABLE = r"^[^\x00-\x1f\x7f]+$"


class ApiError(Exception):
    def __init__(self, status: int, code: str, detail: str, headers: dict | None = None):
        super().__init__(detail)
        self.status, self.code, self.detail, self.headers = status, code, detail, headers or {}


class TokenAuth(HttpBearer):
    openapi_description = "An API token created by an owner on the organization's page."
    openapi_bearerFormat = "twk_<8 hex digits>_<secret>"  # the OpenAPI field, camel case

    def authenticate(self, request: HttpRequest, token: str) -> TokenIdentity | None:
        try:
            identity = api_token_authenticate(token, client=client_address(request))
        except TooManyFailures as exc:
            raise _too_many_failures(exc.retry_after) from exc
        if identity is None:
            return None
        decision = ratelimit.hit(rate_limit_bucket(token), limit=settings.LICENSING_API_RATE_LIMIT)
        if not decision.allowed:
            raise _rate_limited(decision.retry_after)
        return identity


def _too_many_failures(retry_after: int) -> ApiError:
    return ApiError(
        429,
        "rate_limited",
        f"Too many failed authentications from your address; try again in {retry_after} s.",
        {"Retry-After": str(retry_after)},
    )


def _rate_limited(retry_after: int) -> ApiError:
    return ApiError(
        429,
        "rate_limited",
        f"Too many requests for this token; try again in {retry_after} s.",
        {"Retry-After": str(retry_after)},
    )


api = NinjaAPI(
    title="Tierwise licensing API",
    version="1",
    description=__doc__,
    auth=TokenAuth(),
    urls_namespace="licensing_api",
    docs_url="/docs",
    # No badge from the public validator: the Content-Security-Policy loads images from
    # this site only.
    docs=Swagger(settings={"validatorUrl": None}),
    openapi_url="/openapi.json",
)


def _error(status: int, code: str, detail: str, **extra) -> HttpResponse:
    return JsonResponse({"code": code, "detail": detail, **extra}, status=status)


def _json_method_not_allowed(view):
    """The framework answers a wrong method with an HTML 405; every API error is JSON."""

    @wraps(view)  # keeps csrf_exempt and the rest of the view's attributes
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            json = _error(405, "method_not_allowed", f"Use {allowed}.")
            json["Allow"] = allowed
            return json
        return response

    return wrapped


DOCUMENTATION = {"openapi-json", "openapi-view"}


def api_urls():
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        if pattern.name == "api-root":
            # Ninja's root raises Http404, which a DEBUG run turns into an HTML page; the
            # route stays (operations' URLs are reversed from it), answering as every
            # unknown route does.
            pattern.callback = api_not_found
            continue
        documentation = pattern.name in DOCUMENTATION
        # The documents are read-only: another method is a 405, as on every operation.
        view = require_safe(pattern.callback) if documentation else pattern.callback
        # Callers authenticate with a bearer token, never a cookie, so a CSRF check
        # protects nothing here; without one, a wrong method reaches its JSON 405.
        pattern.callback = csrf_exempt(_json_method_not_allowed(view))
        if documentation:  # static documents: no transaction, no database
            pattern.callback = transaction.non_atomic_requests(pattern.callback)
    return patterns, app_name, namespace


@api.exception_handler(ApiError)
def _api_error(request, exc: ApiError):
    response = _error(exc.status, exc.code, exc.detail)
    for name, value in exc.headers.items():
        response[name] = value
    return response


def _too_large() -> HttpResponse:
    """A body past DATA_UPLOAD_MAX_MEMORY_SIZE, refused as Django's own 400 handler
    refuses it (portal.errors), also where the framework would answer first (a DEBUG
    run's technical page, django-ninja's traceback)."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return _error(400, "bad_request", f"The request body is larger than {limit:,} bytes.")


@api.exception_handler(RequestDataTooBig)
def _body_too_large(request, exc):
    return _too_large()


@api.exception_handler(RedisConnectionError)
@api.exception_handler(RedisTimeoutError)
def _unavailable(request, exc):
    """The request rolls back (ATOMIC_REQUESTS) and says so, as JSON."""
    return unavailable_response(request)


@api.exception_handler(NinjaValidationError)
def _invalid(request, exc: NinjaValidationError):
    errors = [
        {
            "field": ".".join(str(part) for part in error.get("loc", ())[1:]) or "body",
            "message": str(error.get("msg", "Invalid value.")),
        }
        for error in exc.errors
    ]
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "Invalid request."
    return _error(422, "invalid_request", detail, errors=errors)


@api.exception_handler(AuthenticationError)
def _unauthenticated_error(request, exc):
    return _unauthenticated()


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    code = "malformed_json" if exc.status_code == 400 else "http_error"
    detail = "The request body is not valid JSON." if exc.status_code == 400 else str(exc)
    return _error(exc.status_code, code, detail)


# --- Schemas ----------------------------------------------------------------------------

Key = Field(
    ...,
    min_length=23,
    max_length=64,
    pattern=keys.KEY_PATTERN,
    description="TW-XXXXX-XXXXX-XXXXX-XXXXX-X (either case; dashes or spaces optional).",
)
Fingerprint = Field(..., min_length=1, max_length=200, pattern=PRINTABLE)


class Error(Schema):
    code: str
    detail: str


class KeyIn(Schema):
    key: str = Key


class ValidateIn(Schema):
    key: str = Key
    fingerprint: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        pattern=PRINTABLE,
        description="Also check that this machine is activated.",
    )


class LicenseOut(Schema):
    id: int
    product: str
    tier: str
    version: int
    status: str
    seats: int
    key_prefix: str


class KeyStatusOut(Schema):
    status: str = Field(
        description="current, or retiring: an earlier key still accepted after a rotation "
        "with an overlap, until retires_at."
    )
    retires_at: str | None = Field(description="When a retiring key stops working (UTC).")


class TrialTierOut(Schema):
    slug: str
    name: str


class TrialOut(Schema):
    tier: TrialTierOut
    version: int
    ends_at: str = Field(description="When the trial's grants end (UTC).")


ENTITLEMENTS = (
    "features: the feature keys granted. limits: metric key -> {value (null: unlimited), "
    "unit, warning_thresholds, grace_percent, until (when this value ends, UTC, or null), "
    "then (present only where a trial in force raises the limit: the plan's own value to "
    "use after until; 0 for a metric only the trial grants)}. feature_until: feature key "
    "-> when its grant ends (UTC), for those that end (those only a trial grants among "
    "them). Software that caches the answer falls back at these moments by itself. Empty "
    "(no features, no limits) while the license may not be used: suspended, canceled, or "
    "expired by the clock (past its term and grace, whether or not the job that closes it "
    "has run); license.status says which."
)
ENTITLEMENTS_EXAMPLE = {
    "features": ["keys", "sso"],
    "limits": {
        "api-calls": {
            "value": 1000000,
            "unit": "calls",
            "warning_thresholds": [80, 100],
            "grace_percent": 10,
            "until": "2026-03-28T00:00:00+00:00",
            "then": 100000,
        }
    },
    "feature_until": {"sso": "2026-03-28T00:00:00+00:00"},
}


TRIAL = (
    "A trial of a higher tier in force: license.tier is its tier, and the entitlements "
    "beyond the plan underneath say until ends_at (a raised limit also its then: the plan's "
    "value after it). Null otherwise, and while the license may not be used."
)


class ValidateOut(Schema):
    valid: bool
    code: str = Field(
        description="valid, trialing, past_due, suspended, canceled, expired, machine_not_activated"
    )
    detail: str
    license: LicenseOut
    entitlements: dict = Field(description=ENTITLEMENTS, examples=[ENTITLEMENTS_EXAMPLE])
    expires_at: str = Field(description="When the term ends (UTC).")
    grace_until: str | None = Field(
        description="For an auto-renewing license: when it stops being valid if its renewal "
        "has not run by then (UTC), RENEWAL_GRACE_DAYS after expires_at. Null when there is "
        "no grace (auto-renew off, or a license that may not run)."
    )
    trial: TrialOut | None = Field(None, description=TRIAL)


class MeterOut(Schema):
    metric: str
    used: int
    limit: int | None
    status: str = Field(description="ok, warning, over_limit or blocked")
    warning_threshold: int | None
    grace_remaining: int | None


USAGE = (
    "This period's usage, a meter per limit in entitlements: none while the license may not "
    "be used (entitlements empty)."
)


class EntitlementsOut(Schema):
    license: LicenseOut
    entitlements: dict = Field(description=ENTITLEMENTS, examples=[ENTITLEMENTS_EXAMPLE])
    usage: list[MeterOut] = Field(description=USAGE)
    trial: TrialOut | None = Field(None, description=TRIAL)


def _a_number(value):
    """A count is a JSON number: "5" or true is a mistake in the caller, not a 5 or a 1."""
    if isinstance(value, bool | str):
        raise ValueError("must be a whole number (a JSON number, not a string or a boolean)")
    return value


WholeNumber = Annotated[int, BeforeValidator(_a_number)]


class UsageRecordIn(Schema):
    metric: str = Field(..., min_length=1, max_length=60, pattern=PRINTABLE)
    quantity: WholeNumber = Field(..., ge=0, le=10**12)
    idempotency_key: str = Field(..., min_length=1, max_length=100, pattern=PRINTABLE)
    recorded_at: AwareDatetime | None = Field(None, description="Defaults to now.")


class UsageIn(Schema):
    key: str = Key
    records: list[UsageRecordIn] = Field(..., min_length=1, max_length=MAX_BATCH)


class UsageOut(Schema):
    accepted: int
    duplicates: int
    results: dict[str, str]
    usage: list[MeterOut] = Field(description=USAGE)


class FeatureUseRecordIn(Schema):
    feature: str = Field(
        ..., min_length=1, max_length=60, pattern=PRINTABLE, description="A feature's key."
    )
    # Its range (1 to MAX_COUNT) is checked with the batch's other rules
    # (licensing.usage.features), so one 422 names each bad record.
    count: WholeNumber = Field(
        ...,
        description="Times the feature was used since your last report of it: "
        f"1 to {feature_use.MAX_COUNT:,}.",
    )
    idempotency_key: str = Field(..., min_length=1, max_length=100, pattern=PRINTABLE)
    used_at: AwareDatetime | None = Field(None, description="Defaults to now.")


class FeatureUseIn(Schema):
    key: str = Key
    records: list[FeatureUseRecordIn] = Field(..., min_length=1, max_length=MAX_BATCH)


class FeatureUseOut(Schema):
    accepted: int
    duplicates: int
    results: dict[str, str] = Field(
        description="Each record's idempotency_key: accepted, or duplicate (sent before; "
        "counted once)."
    )


class MachineIn(Schema):
    key: str = Key
    fingerprint: str = Fingerprint
    name: str = Field("", max_length=120, pattern=r"^[^\x00-\x1f\x7f]*$")


class MachineOut(Schema):
    fingerprint: str
    name: str
    activated_at: datetime
    deactivated_at: datetime | None
    active_machines: int
    machine_limit: int | None


ERRORS = {status: Error for status in (400, 401, 404, 409, 422, 429, 503)}


# --- Endpoints --------------------------------------------------------------------------


def _canonical(key: str) -> str:
    # The schema's pattern has refused (422) any text not shaped like a key, so what can
    # still fail here is the check character: a typo, which no license has.
    try:
        return keys.normalize_key(key)
    except keys.MalformedKey as exc:
        raise ApiError(404, "key_mistyped", str(exc)) from exc


NOT_FOUND = ApiError(404, "license_not_found", "No license of yours has this key.")


def _license(request: HttpRequest, key: str) -> License:
    """The calling organization's license with this key, or an earlier key of it still in
    its overlap after a rotation."""
    key_hash = keys.hash_secret(_canonical(key))
    license = (
        License.objects.select_related("organization", "product", "version", "version__tier")
        .filter(organization_id=request.auth.organization_id)
        .filter(key_matches(key_hash, clock.now()))
        .first()
    )
    if license is None:
        raise NOT_FOUND
    return license


def _granted(license: License, at: datetime) -> tuple[str, Entitlements]:
    """The license's status by the clock, as validate says it, and what it includes then:
    nothing unless it may be used (licensing.licenses.entitlements.usable_entitlements)."""
    status = licenses.license_status_at(license, at)
    return status, usable_entitlements(license=license, status=status, at=at)


def _meters_out(license: License, at: datetime, granted: Entitlements) -> list[dict]:
    """A meter per limit granted: none for a license that includes nothing."""
    return [
        {
            "metric": meter.key,
            "used": meter.state.used,
            "limit": meter.state.limit,
            "status": meter.state.status,
            "warning_threshold": meter.state.threshold,
            "grace_remaining": meter.state.grace_remaining,
        }
        for meter in license_meters(license=license, at=at, entitlements=granted)
    ]


@api.post("/licenses/validate", response={200: ValidateOut, **ERRORS}, tags=["licenses"])
def validate(request: HttpRequest, payload: ValidateIn):
    """Is this key valid (and, with a fingerprint, is this machine activated)? Answered
    from the cache; any change to the license retires the cached answer.

    This operation documents the endpoint; requests are served by validate_view, which
    takes the same body and gives the same answers without the framework's per-request
    work (see its docstring)."""
    return validate_view(request)


def _unauthenticated() -> HttpResponse:
    response = _error(401, "unauthenticated", "Send a valid API token: Authorization: Bearer …")
    response["WWW-Authenticate"] = "Bearer"
    return response


def _bearer(request: HttpRequest) -> str | None:
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    return secret.strip() if scheme.lower() == "bearer" and secret.strip() else None


def _invalid_body(exc: PydanticValidationError) -> HttpResponse:
    errors = exc.errors(include_url=False, include_context=False, include_input=False)
    if any(error["type"] == "json_invalid" for error in errors):
        return _error(400, "malformed_json", "The request body is not valid JSON.")
    return _invalid(None, NinjaValidationError([{**e, "loc": ("body", *e["loc"])} for e in errors]))


@csrf_exempt
@transaction.non_atomic_requests  # it writes one column at most; no transaction to pay for
def validate_view(request: HttpRequest) -> HttpResponse:
    """POST /api/v1/licenses/validate, the hot path, as a plain Django view: the same
    ValidateIn schema and the same JSON errors as the rest of the API, but the answer is
    a prebuilt JSON body from the cache and the token, rate limit and answer are one
    round trip to Redis (licensing.validation.validate_key). A malformed token, body or
    key is refused before any lookup."""
    if request.method != "POST":
        response = _error(405, "method_not_allowed", "Use POST.")
        response["Allow"] = "POST"
        return response
    secret = _bearer(request)
    if secret is None or keys.token_prefix(secret) is None:
        return _unauthenticated()
    try:
        payload = ValidateIn.model_validate_json(request.body)
        key_hash = keys.hash_secret(_canonical(payload.key))
    except RequestDataTooBig:
        return _too_large()
    except PydanticValidationError as exc:
        return _invalid_body(exc)
    except ApiError as exc:
        return _api_error(request, exc)
    outcome = validate_key(
        secret=secret,
        key_hash=key_hash,
        fingerprint=payload.fingerprint,
        limit=settings.LICENSING_API_RATE_LIMIT,
        client=client_address(request),
    )
    if outcome.status == 200:
        return HttpResponse(outcome.body, content_type="application/json")
    if outcome.status == 401:
        return _unauthenticated()
    if outcome.status == 429 and outcome.reason == "failures":
        return _api_error(request, _too_many_failures(outcome.retry_after))
    if outcome.status == 429:
        return _api_error(request, _rate_limited(outcome.retry_after))
    return _api_error(request, NOT_FOUND)


@api.post("/licenses/entitlements", response={200: EntitlementsOut, **ERRORS}, tags=["licenses"])
def entitlements(request: HttpRequest, payload: KeyIn):
    """What the license includes, and this period's usage against each limit; during a
    trial in force, its tier and end, named as validate names them. A license
    that may not be used includes nothing and has no meters, its status saying why:
    suspended, canceled, or expired — past its term (and renewal grace) it is expired by
    the clock alone, as validate says, whether or not the job that closes it has run (a
    trial license's trial tier among what it no longer includes)."""
    license = _license(request, payload.key)
    at = clock.now()
    status, granted = _granted(license, at)
    trial = usable_trial(license=license, status=status, at=at)
    return {
        "license": license_data(license, status=status, trial=trial),
        "entitlements": granted.for_seats_bought(license.seats).as_data(),
        "usage": _meters_out(license, at, granted),
        "trial": trial_data(trial) if trial else None,
    }


@api.post("/licenses/usage", response={200: UsageOut, **ERRORS}, tags=["usage"])
def report_usage(request: HttpRequest, payload: UsageIn):
    """Report usage in batches of up to 500 records. Each record's idempotency_key is
    yours to choose; a record sent again with the same key counts once. A key stored
    before with another record refuses the batch: 422, naming it, nothing stored. Usage
    reaches an expired license too: reports may arrive late (up to meters.OLDEST_REPORT)
    for what was used while it was valid; the meters answered are those of
    licenses/entitlements (none for a license that may not be used)."""
    license = _license(request, payload.key)
    at = clock.now()
    try:
        results = usage_record_batch(
            license=license,
            reports=[UsageReport(**record.dict()) for record in payload.records],
            at=at,
        )
    except DjangoValidationError as exc:
        raise ApiError(422, "invalid_usage", " ".join(exc.messages)) from exc
    accepted = sum(1 for outcome in results.values() if outcome == "accepted")
    _, granted = _granted(license, at)
    return {
        "accepted": accepted,
        "duplicates": len(results) - accepted,
        "results": results,
        "usage": _meters_out(license, at, granted),
    }


@api.post("/licenses/feature-use", response={200: FeatureUseOut, **ERRORS}, tags=["usage"])
def report_feature_use(request: HttpRequest, payload: FeatureUseIn):
    """Report which features your software used, and how often, in batches of up to
    500 records (the dashboard's trial panel shows them). Each record's idempotency_key is
    yours to choose; a record sent again with the same key counts once. A batch with any
    bad record (a feature the product does not have, a count under 1, a time in the
    future or over 400 days ago, two records with one key, a key stored before with
    another record) is refused whole: 422, with each problem named, and nothing of it
    is stored."""
    license = _license(request, payload.key)
    try:
        results = feature_use_record_batch(
            license=license,
            reports=[FeatureReport(**record.dict()) for record in payload.records],
            at=clock.now(),
        )
    except DjangoValidationError as exc:
        raise ApiError(422, "invalid_feature_use", " ".join(exc.messages)) from exc
    accepted = sum(1 for outcome in results.values() if outcome == "accepted")
    return {"accepted": accepted, "duplicates": len(results) - accepted, "results": results}


def _machine_out(license: License, machine) -> dict:
    return {
        "fingerprint": machine.fingerprint,
        "name": machine.name,
        "activated_at": machine.activated_at,
        "deactivated_at": machine.deactivated_at,
        "active_machines": license.machines.active().count(),
        "machine_limit": licenses.machine_limit(license),
    }


@api.post(
    "/machines/activate", response={200: MachineOut, 201: MachineOut, **ERRORS}, tags=["machines"]
)
def activate_machine(request: HttpRequest, payload: MachineIn):
    """Activate a machine against the license's machine limit (one per seat unless the
    tier sets a machines limit). Activating an active machine again changes nothing."""
    license = _license(request, payload.key)
    try:
        machine, created = licenses.machine_activate(
            license=license,
            fingerprint=payload.fingerprint,
            name=payload.name,
            actor=licenses.Actor(label=request.auth.label),
        )
    except DjangoValidationError as exc:
        raise ApiError(409, "activation_refused", " ".join(exc.messages)) from exc
    return Status(201 if created else 200, _machine_out(license, machine))


@api.post("/machines/deactivate", response={200: MachineOut, **ERRORS}, tags=["machines"])
def deactivate_machine(request: HttpRequest, payload: MachineIn):
    """Free a machine's activation."""
    license = _license(request, payload.key)
    try:
        machine = licenses.machine_deactivate(
            license=license,
            fingerprint=payload.fingerprint,
            actor=licenses.Actor(label=request.auth.label),
        )
    except DjangoValidationError as exc:
        raise ApiError(404, "machine_not_found", " ".join(exc.messages)) from exc
    return _machine_out(license, machine)
