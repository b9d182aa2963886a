from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect

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
