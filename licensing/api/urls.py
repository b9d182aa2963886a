"""The licensing API, /api/v1/ (included from portal/urls.py)."""

from django.urls import path, re_path

from licensing.api.endpoints import api_urls, not_found, validate_view

urlpatterns = [
    # The hot path, ahead of the framework's routes; the API still documents it.
    path("licenses/validate", validate_view, name="licensing_validate"),
    path("", api_urls()),
    re_path(r"^(?P<rest>.*)$", not_found),
]
