from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from portal import services
from portal.access import CURRENT_ORGANIZATION_KEY, get_invitation_by_token
from portal.forms import PENDING_INVITATION_KEY
from portal.models import Invitation
from portal.services import user_has_email


@require_http_methods(["GET", "POST"])
def invitation_detail(request: HttpRequest, token: str) -> HttpResponse:
    """The link in an invitation email. Shows who invites whom to what, then lets the
    right person accept: a signed-in user with the invited address, or a newcomer who
    signs up (their address counts as verified, since the link reached it)."""
    invitation = get_invitation_by_token(token)
    usable = invitation.status == Invitation.Status.PENDING
    user = request.user
    email_matches = user.is_authenticated and user_has_email(user, invitation.email)

    if request.method == "POST":
        if not user.is_authenticated:
            return redirect(f"{invitation.accept_url()}")
        try:
            membership = services.invitation_accept(invitation=invitation, user=user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(invitation.accept_url())
        request.session[CURRENT_ORGANIZATION_KEY] = membership.organization_id
        request.session.pop(PENDING_INVITATION_KEY, None)
        messages.success(request, f"Welcome to {membership.organization}.")
        return redirect(membership.organization)

    if usable and not user.is_authenticated:
        request.session[PENDING_INVITATION_KEY] = invitation.token
    return render(
        request,
        "portal/invitation_detail.html",
        {"invitation": invitation, "usable": usable, "email_matches": email_matches},
        status=200 if usable else 410,
    )
