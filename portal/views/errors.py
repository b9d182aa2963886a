"""The answers Django gives by itself to a request it refuses (handler400 in
portal/urls.py): the site's error page, and under /api/ JSON {"code", "detail"} like
every other API answer, so an API client never has to read HTML."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from portal.middleware import MalformedInput
from portal.unavailable import API_PREFIX


def _api_error(status: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse({"code": code, "detail": detail}, status=status)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    # Our own refusals say why. Django's (too many fields, a bad Host header…) stay
    # unexplained, as Django keeps them, since they may repeat what the server was told.
    reason = str(exception) if isinstance(exception, MalformedInput) else ""
    if request.path.startswith(API_PREFIX):
        return _api_error(400, "bad_request", reason or "The request could not be read.")
    return render(request, "400.html", {"reason": reason}, status=400)
