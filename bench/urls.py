"""The site's URLs plus the baseline: a minimal Django view behind the same middleware."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from portal.urls import urlpatterns as site_patterns


def minimal(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


@csrf_exempt
def minimal_json(request: HttpRequest) -> JsonResponse:
    """The licensing benchmark's baseline: takes the same POST, answers small JSON."""
    return JsonResponse({"valid": True, "code": "valid"})


urlpatterns = [
    path("bench/minimal/", minimal),
    path("bench/minimal.json", minimal_json),
    *site_patterns,
]
