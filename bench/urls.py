"""The site's URLs plus the baseline: a minimal Django view behind the same middleware."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from portal.urls import urlpatterns as site_patterns


def minimal(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/minimal/", minimal), *site_patterns]
