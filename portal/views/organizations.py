from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from portal import services
from portal.access import (
    current_membership,
    get_invitation_for_owner,
    get_member_for_owner,
    get_membership,
    require_owner,
)
from portal.forms import InvitationForm, OrganizationForm, RoleForm
from portal.models import ROLE_DESCRIPTIONS, Invitation, Membership, PendingPlan, Role


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


@login_required
@require_GET
def app_home(request: HttpRequest) -> HttpResponse:
    """Where signing in lands: a customer who chose a plan before signing up on to its
    checkout (from any device); anyone with an organization on the one they last worked
    in; staff without one on their workspace (an account manager on their book of
    accounts, other staff in the admin), never on "New organization"; a new customer on
    making their first organization."""
    user = request.user
    pending = PendingPlan.objects.filter(user=user).first()
    if pending is not None:
        return redirect(pending.get_absolute_url())
    membership = current_membership(request)
    if membership is not None:
        return redirect(membership.organization)
    if user.is_staff:
        return redirect("manage_accounts" if user.is_account_manager else "admin:index")
    return redirect("organization_create")


@login_required
@require_http_methods(["GET", "POST"])
def organization_create(request: HttpRequest) -> HttpResponse:
    form = OrganizationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        organization = services.organization_create(
            name=form.cleaned_data["name"], owner=request.user
        )
        following = _safe_next(request)
        if following:
            # On the way to buy a plan (/app/buy/): the checkout picks this organization.
            messages.success(request, f"{organization} is ready.")
            return redirect(following)
        messages.success(request, f"{organization} is ready. Invite your colleagues next.")
        return redirect("organization_members", organization.slug)
    return render(
        request,
        "portal/organization_create.html",
        {"form": form, "next": _safe_next(request) or ""},
    )


def _safe_next(request: HttpRequest) -> str | None:
    """Where to go after creating the organization: a path of this site only."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    # Our own paths only, in plain ASCII (a lone surrogate would break the redirect).
    if not (target.isascii() and target.isprintable() and target.startswith("/")):
        return None
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


@login_required
@require_http_methods(["GET", "POST"])
def organization_settings(request: HttpRequest, slug: str) -> HttpResponse:
    membership = get_membership(request, slug)
    require_owner(membership)
    organization = membership.organization
    form = OrganizationForm(request.POST or None, instance=organization)
    if request.method == "POST" and form.is_valid():
        services.organization_rename(organization=organization, name=form.cleaned_data["name"])
        messages.success(request, "The organization's name is saved.")
        return redirect("organization_settings", organization.slug)
    return render(
        request,
        "portal/organization_settings.html",
        {"membership": membership, "organization": organization, "form": form},
    )


def _members_context(membership: Membership, invite_form: InvitationForm | None = None) -> dict:
    organization = membership.organization
    members = list(
        Membership.objects.filter(organization=organization)
        .select_related("user")
        .order_by("user__email")
    )
    owner_ids = [m.pk for m in members if m.role == Role.OWNER]
    invitations = list(
        Invitation.objects.filter(
            organization=organization, accepted_at__isnull=True, revoked_at__isnull=True
        ).select_related("invited_by")
    )
    return {
        "membership": membership,
        "organization": organization,
        "members": members,
        # The last owner can be neither demoted nor removed: the page says so up front.
        "sole_owner_id": owner_ids[0] if len(owner_ids) == 1 else None,
        "invitations": invitations,
        "invite_form": invite_form or InvitationForm(),
        "role_choices": Role.choices,
        "invitation_valid_days": settings.INVITATION_VALID_DAYS,
        "role_descriptions": [(Role(r).label, d) for r, d in ROLE_DESCRIPTIONS.items()],
    }


def _render_members(
    request: HttpRequest, membership: Membership, invite_form=None, status: int = 200
) -> HttpResponse:
    template = "portal/members.html"
    if request.htmx:
        template += "#members-panel"
    return render(request, template, _members_context(membership, invite_form), status=status)


@login_required
@require_GET
def organization_members(request: HttpRequest, slug: str) -> HttpResponse:
    return _render_members(request, get_membership(request, slug))


@login_required
@require_POST
def invitation_create(request: HttpRequest, slug: str) -> HttpResponse:
    membership = get_membership(request, slug)
    require_owner(membership)
    form = InvitationForm(request.POST)
    if form.is_valid():
        try:
            invitation = services.invitation_create(
                organization=membership.organization,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                invited_by=request.user,
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            if request.htmx:
                return _render_members(request, membership)
            return redirect("organization_members", slug)
    return _render_members(request, membership, invite_form=form, status=422)


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, slug: str, invitation_id: int) -> HttpResponse:
    membership, invitation = get_invitation_for_owner(request, slug, invitation_id)
    try:
        services.invitation_revoke(invitation=invitation)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, f"The invitation for {invitation.email} is revoked.")
    if request.htmx:
        return _render_members(request, membership)
    return redirect("organization_members", slug)


@login_required
@require_POST
def membership_role(request: HttpRequest, slug: str, membership_id: int) -> HttpResponse:
    membership, target = get_member_for_owner(request, slug, membership_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose owner, billing admin or member.")
        return _render_members(request, membership, status=422)
    try:
        target = services.membership_change_role(membership=target, role=form.cleaned_data["role"])
    except ValidationError as error:
        messages.error(request, _error_text(error))
        return _render_members(request, membership, status=409)
    messages.success(
        request, f"{target.user.display_name} is now {_with_article(target.get_role_display())}."
    )
    if request.htmx:
        # The change may have been to the requester's own role: look it up again.
        return _render_members(request, get_membership(request, slug))
    return redirect("organization_members", slug)


def _with_article(role: str) -> str:
    """ "an owner", "a billing admin", "a member"."""
    role = role.lower()
    return f"{'an' if role[0] in 'aeiou' else 'a'} {role}"


@login_required
@require_POST
def membership_remove(request: HttpRequest, slug: str, membership_id: int) -> HttpResponse:
    membership, target = get_member_for_owner(request, slug, membership_id)
    try:
        services.membership_remove(membership=target)
    except ValidationError as error:
        messages.error(request, _error_text(error))
        return _render_members(request, membership, status=409)
    messages.success(request, f"{target.user.display_name} was removed from {target.organization}.")
    if target.user_id == request.user.pk:
        # Leaving takes the user elsewhere: a whole new page, even from an htmx request.
        if request.htmx:
            return HttpResponseClientRedirect(reverse("app_home"))
        return redirect("app_home")
    if request.htmx:
        return _render_members(request, membership)
    return redirect("organization_members", slug)


@login_required
@require_POST
def organization_leave(request: HttpRequest, slug: str) -> HttpResponse:
    membership = get_membership(request, slug)
    try:
        services.membership_remove(membership=membership)
    except ValidationError as error:
        messages.error(request, _error_text(error))
        return redirect("organization_members", slug)
    request.session.pop("organization_id", None)
    messages.success(request, f"You left {membership.organization}.")
    return redirect("app_home")
