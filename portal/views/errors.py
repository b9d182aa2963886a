"""The answers Django gives by itself to a request it refuses (handler400, handler403,
handler404 in portal/urls.py, and settings.CSRF_FAILURE_VIEW): the site's error pages,
and under /api/ JSON {"code", "detail"} like every other API answer, so an API client
never has to read HTML, whatever view (or none) the request reached."""

from django.http import HttpRequest, HttpResponse
from django.views import csrf, defaults

from portal.errors import api_error as _api_error
from portal.errors import api_not_found, bad_request_response
from portal.errors import for_api as _for_api
from portal.middleware import MalformedInput


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    # Our own refusals say why. Django's (too many fields, a bad Host header…) stay
    # unexplained, as Django keeps them, since they may repeat what the server was told.
    reason = str(exception) if isinstance(exception, MalformedInput) else ""
    return bad_request_response(request, reason)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _for_api(request):
        return _api_error(403, "forbidden", "This token may not do that.")
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _for_api(request):
        return api_not_found(request)
    return defaults.page_not_found(request, exception)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    if _for_api(request):
        return _api_error(
            403, "csrf_failed", "Send the API token (Authorization: Bearer …), not cookies."
        )
    return csrf.csrf_failure(request, reason)
