"""When Redis (the cache and the broker) cannot be reached, a request that needs it says
so with a 503 and changes nothing: views run in a transaction (ATOMIC_REQUESTS), so the
error rolls back whatever the request had written, and the page or JSON says to try again.

A cache is not optional for what it guards (rate limits, the validation answers, the
revocation of tokens); pages that only use it to go faster (the pricing page) catch
CACHE_ERRORS themselves and render without it.
"""

from __future__ import annotations

import logging
import sys

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views import defaults
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

CACHE_ERRORS = (RedisConnectionError, RedisTimeoutError)
SERVICE_ERRORS = (*CACHE_ERRORS, BrokerError)
RETRY_AFTER = 30
API_PREFIX = "/api/"


def unavailable_response(request: HttpRequest) -> HttpResponse:
    """The 503 for a request that could not complete: JSON under /api/, a page elsewhere."""
    if request.path.startswith(API_PREFIX):
        response = JsonResponse(
            {
                "code": "service_unavailable",
                "detail": "The service is briefly unavailable; nothing was changed. "
                f"Try again in {RETRY_AFTER} s.",
            },
            status=503,
        )
    else:
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    return response


class ServiceUnavailableMiddleware:
    """Turns an unreachable Redis (cache or broker) in a view into a 503. The view's
    transaction has already been rolled back when process_exception runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if isinstance(exception, SERVICE_ERRORS):
            logger.error("Service unavailable for %s: %r", request.path, exception)
            return unavailable_response(request)
        return None


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: the same 503 when what failed outside a view (in a middleware) was an
    unreachable Redis; Django's own 500 page for anything else."""
    exception = sys.exc_info()[1]
    if isinstance(exception, SERVICE_ERRORS):
        return unavailable_response(request)
    if request.path.startswith(API_PREFIX):
        return JsonResponse(
            {"code": "server_error", "detail": "An error on our side; please try again."},
            status=500,
        )
    return defaults.server_error(request)
