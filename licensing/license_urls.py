"""Licenses in the customer portal, the licensing API and the public signing key. The
organization's home (/app/<slug>/) is the license dashboard; portal/urls.py points
there."""

from django.urls import path

from licensing import dashboard_views
from licensing.api import api_urls, validate_view

urlpatterns = [
    # The hot path, ahead of the framework's routes; the API still documents it.
    path("api/v1/licenses/validate", validate_view, name="licensing_validate"),
    # Anything else under /api/ is a JSON 404 (handler404, portal/views/errors.py).
    path("api/v1/", api_urls()),
    path(
        ".well-known/tierwise-license-key.pem",
        dashboard_views.public_key,
        name="license_public_key",
    ),
    path(
        "app/<slug:slug>/licenses/<int:license_id>/file/",
        dashboard_views.license_file_download,
        name="license_file_download",
    ),
    path(
        "app/<slug:slug>/licenses/<int:license_id>/rotate-key/",
        dashboard_views.license_key_rotate,
        name="license_key_rotate",
    ),
    path("app/<slug:slug>/api-tokens/", dashboard_views.token_create, name="api_token_create"),
    path(
        "app/<slug:slug>/api-tokens/<int:token_id>/revoke/",
        dashboard_views.token_revoke,
        name="api_token_revoke",
    ),
]
