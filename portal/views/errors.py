"""The answers Django gives by itself to a request it refuses (handler400, handler403,
handler404 in portal/urls.py, and settings.CSRF_FAILURE_VIEW): the site's error pages,
and under /api/ JSON {"code", "detail"} like every other API answer, so an API client
never has to read HTML, whatever view (or none) the request reached."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views import csrf, defaults

from portal.middleware import MalformedInput
from portal.unavailable import API_PREFIX


def _for_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def _wants_json(request: HttpRequest) -> bool:
    """Under /api/, or a page asked for its JSON form (the proration calculator's
    format=json), whose client reads JSON even when the request is refused."""
    return _for_api(request) or request.GET.get("format") == "json"


def _api_error(status: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse({"code": code, "detail": detail}, status=status)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    # Our own refusals say why. Django's (too many fields, a bad Host header…) stay
    # unexplained, as Django keeps them, since they may repeat what the server was told.
    reason = str(exception) if isinstance(exception, MalformedInput) else ""
    if _wants_json(request):
        return _api_error(400, "bad_request", reason or "The request could not be read.")
    return render(request, "400.html", {"reason": reason}, status=400)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _for_api(request):
        return _api_error(403, "forbidden", "This token may not do that.")
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _for_api(request):
        return _api_error(404, "not_found", "No such endpoint. See /api/v1/docs.")
    return defaults.page_not_found(request, exception)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    if _for_api(request):
        return _api_error(
            403, "csrf_failed", "Send the API token (Authorization: Bearer …), not cookies."
        )
    return csrf.csrf_failure(request, reason)
