"""The answers to a refused request, shared by the error handlers (portal/views/errors.py),
the middleware that refuses malformed input and the API's catch-all route: the site's
error page, and under /api/ JSON {"code", "detail"} like every other API answer. Built
here rather than left to Django's handlers, which a DEBUG run replaces with its
technical pages."""

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt

from portal.unavailable import API_PREFIX


def for_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def wants_json(request: HttpRequest) -> bool:
    """Under /api/, or a page asked for its JSON form (the proration calculator's
    format=json), whose client reads JSON even when the request is refused."""
    return for_api(request) or request.GET.get("format") == "json"


def api_error(status: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse({"code": code, "detail": detail}, status=status)


def bad_request_response(request: HttpRequest, reason: str) -> HttpResponse:
    """A 400 that says why when `reason` is ours to give."""
    if wants_json(request):
        return api_error(400, "bad_request", reason or "The request could not be read.")
    return render(request, "400.html", {"reason": reason}, status=400)


@csrf_exempt  # API callers send tokens, not cookies: a wrong path is a 404 whatever the method
@transaction.non_atomic_requests  # an answer, not a change: no transaction to open
def api_not_found(request: HttpRequest, *args, **kwargs) -> JsonResponse:
    return api_error(404, "not_found", "No such endpoint. See /api/v1/docs.")
