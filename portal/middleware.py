from urllib.parse import unquote

from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import BadRequest
from django.http import HttpRequest
from django.shortcuts import redirect

from portal.errors import bad_request_response

STAFF_PATHS = ("/admin/", "/manage/")


class StaffMFAMiddleware:
    """Where settings require it (production), staff reach staff pages only after
    turning on two-factor authentication."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            settings.TIERWISE_STAFF_REQUIRE_MFA
            and request.path.startswith(STAFF_PATHS)
            and user is not None
            and user.is_authenticated
            and user.is_staff
            and not is_mfa_enabled(user)
        ):
            messages.warning(
                request, "Staff accounts need two-factor authentication. Set it up to continue."
            )
            return redirect("mfa_activate_totp")
        return self.get_response(request)


class PermissionsPolicyMiddleware:
    """Turns off, for every page and anything that might get injected into one, the
    browser features the site never uses (camera, microphone, location, payment…)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.header = ", ".join(f"{feature}=()" for feature in settings.PERMISSIONS_POLICY_OFF)

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.header)
        return response


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class MalformedInput(BadRequest):
    """A request no honest client sends; the message says what is wrong with it."""


class MalformedInputMiddleware:
    """Refuses (400) a request whose path, query string or form fields hold a NUL
    character, or whose query string is not UTF-8 (a lone surrogate such as %ED%A0%80).

    Once here rather than in each view: no honest client sends either, and every view
    would have to remember it. PostgreSQL refuses NUL in text, so a lookup by a path
    parameter, a search box or any form field (ours, the admin's, allauth's) would be a
    500; and Django quietly replaces what is not UTF-8, so a view would act on text other
    than what was sent. Ahead of every view and of the middleware that reads the input,
    it covers the views written later too. (A path that is not UTF-8 Django keeps
    percent-encoded, so no view reads it wrongly.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        problem = _malformed(request)
        if problem:
            # Answered here, not raised, so a DEBUG run gives the same page (or JSON).
            return bad_request_response(request, problem)
        return self.get_response(request)


def _malformed(request: HttpRequest) -> str | None:
    if "\x00" in request.path:
        return "The address contains a NUL character."
    try:
        query = unquote(request.META.get("QUERY_STRING", ""), errors="strict")
    except UnicodeDecodeError:
        return "The query string is not UTF-8."
    if "\x00" in query:
        return "The query string contains a NUL character."
    if request.method == "POST" and request.content_type in FORM_TYPES:
        for name, values in request.POST.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                return "A form field contains a NUL character."
    return None
