"""The licensing API, /api/v1/ (included from portal/urls.py)."""

from django.urls import path

from licensing.api.endpoints import api_urls, validate_view

urlpatterns = [
    # The hot path, ahead of the framework's routes; the API still documents it.
    path("licenses/validate", validate_view, name="licensing_validate"),
    # Anything else under /api/ is a JSON 404 (handler404, portal/views/errors.py).
    path("", api_urls()),
]
