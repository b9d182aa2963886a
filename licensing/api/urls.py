"""The licensing API, /api/v1/ (included from portal/urls.py)."""

from django.urls import path, re_path

from licensing.api.endpoints import api_urls, validate_view
from portal.errors import api_not_found

urlpatterns = [
    # The hot path, ahead of the framework's routes; the API still documents it.
    path("licenses/validate", validate_view, name="licensing_validate"),
    path("", api_urls()),
    # Anything else is a JSON 404: handler404 says the same, but a DEBUG run skips it.
    re_path(r"^", api_not_found),
]
