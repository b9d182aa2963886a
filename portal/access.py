"""One helper per object type that the customer site shows. Each raises Http404 for
anyone outside the organization, so an outsider cannot even learn that it exists.

This module sits below licensing and billing (the dependency direction in the README),
so it names their models by label, as a ForeignKey does, instead of importing them."""

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from portal.models import Invitation, Membership, Organization, Role
from portal.prepared import PreparedRead

CURRENT_ORGANIZATION_KEY = "organization_id"


def _memberships():
    # A user holds at most one membership of an organization: no order for one.
    return Membership.objects.select_related(
        "organization", "organization__account_manager"
    ).order_by()


# Every page of an organization reads its membership first: compiled once per process
# (portal.prepared).
_MEMBERSHIP = PreparedRead(
    lambda slug, user_id: _memberships().filter(organization__slug=slug, user_id=user_id),
    slug=str,
    user_id=int,
)
_MEMBERSHIPS = PreparedRead(
    lambda user_id: _memberships().filter(user_id=user_id).order_by("organization__name"),
    user_id=int,
)


def get_membership(request: HttpRequest, slug: str) -> Membership:
    if not request.user.is_authenticated:
        raise Http404
    found = _MEMBERSHIP.read(slug=slug, user_id=request.user.pk)
    if not found:
        raise Http404("No such organization.")
    membership = found[0]
    _remember_current(request, membership)
    return membership


def get_membership_and_organizations(
    request: HttpRequest, slug: str
) -> tuple[Membership, list[Organization]]:
    """get_membership()'s answer and the user's organizations by name, as the navigation
    lists them, in one query: a page that shows the navigation reads both."""
    if not request.user.is_authenticated:
        raise Http404
    memberships = _MEMBERSHIPS.read(user_id=request.user.pk)
    membership = next((m for m in memberships if m.organization.slug == slug), None)
    if membership is None:
        raise Http404("No such organization.")
    _remember_current(request, membership)
    return membership, [m.organization for m in memberships]


def _remember_current(request: HttpRequest, membership: Membership) -> None:
    if request.session.get(CURRENT_ORGANIZATION_KEY) != membership.organization_id:
        # Only on a change: writing the same value would save the session every request.
        request.session[CURRENT_ORGANIZATION_KEY] = membership.organization_id


def require_owner(membership: Membership) -> None:
    if membership.role != Role.OWNER:
        raise PermissionDenied("Only an owner can do this.")


def get_member_for_owner(request: HttpRequest, slug: str, membership_id: int):
    membership = get_membership(request, slug)
    require_owner(membership)
    target = get_object_or_404(
        Membership.objects.select_related("user", "organization"),
        pk=membership_id,
        organization=membership.organization,
    )
    return membership, target


def get_invitation_for_owner(request: HttpRequest, slug: str, invitation_id: int):
    membership = get_membership(request, slug)
    require_owner(membership)
    invitation = get_object_or_404(
        Invitation, pk=invitation_id, organization=membership.organization
    )
    return membership, invitation


def _get_for_member(request: HttpRequest, slug: str, queryset, pk: int):
    """(membership, the organization's object `pk` of `queryset`), or Http404."""
    membership = get_membership(request, slug)
    found = get_object_or_404(queryset, pk=pk, organization=membership.organization)
    return membership, found


def get_license_for_member(request: HttpRequest, slug: str, license_id: int):
    License = apps.get_model("licensing", "License")
    licenses = License.objects.select_related("organization", "product", "version", "version__tier")
    return _get_for_member(request, slug, licenses, license_id)


def get_api_token_for_owner(request: HttpRequest, slug: str, token_id: int):
    membership = get_membership(request, slug)
    require_owner(membership)
    tokens = apps.get_model("licensing", "ApiToken").objects.all()
    token = get_object_or_404(tokens, pk=token_id, organization=membership.organization)
    return membership, token


def get_roi_scenario_for_member(request: HttpRequest, slug: str, scenario_id: int):
    scenarios = apps.get_model("billing", "RoiScenario").objects.all()
    return _get_for_member(request, slug, scenarios, scenario_id)


def require_billing(membership: Membership, what: str = "see invoices") -> None:
    """`what` the member may not do, for the 403 page ("Only an owner or a billing admin
    can cancel or resume the subscription.")."""
    if not membership.can_manage_billing:
        raise PermissionDenied(f"Only an owner or a billing admin can {what}.")


def get_invoice_for_member(request: HttpRequest, slug: str, number: str):
    """(membership, the organization's finalized invoice `number`), or Http404; the
    caller decides which roles may see it (invoices: require_billing)."""
    membership = get_membership(request, slug)
    invoices = (
        apps.get_model("billing", "Invoice")
        .objects.exclude(status="draft")
        .select_related("organization")
    )
    invoice = get_object_or_404(invoices, number=number, organization=membership.organization)
    return membership, invoice


def get_credit_note_for_member(request: HttpRequest, slug: str, number: str):
    """(membership, the organization's credit note `number`), or Http404; the caller
    decides which roles may see it (credit notes, like invoices: require_billing)."""
    membership = get_membership(request, slug)
    notes = apps.get_model("billing", "CreditNote").objects.select_related(
        "organization", "invoice"
    )
    note = get_object_or_404(notes, number=number, organization=membership.organization)
    return membership, note


def get_checkout_for_member(
    request: HttpRequest, slug: str, token: str, checkouts=None, membership=None, read=None
):
    """(membership, the organization's checkout with this one-time token), or Http404.
    `checkouts`: a queryset of them that reads more with each; `read`: instead, a
    function of the token and the organization's id that returns the checkout or None
    (the preview's); `membership`: get_membership(request, slug)'s answer when the caller
    has it."""
    membership = membership or get_membership(request, slug)
    if read is not None:
        checkout = read(token=token, organization_id=membership.organization_id)
        if checkout is None:
            raise Http404("No such checkout.")
        return membership, checkout
    if checkouts is None:
        checkouts = apps.get_model("billing", "Checkout").objects.select_related(
            "organization", "license", "invoice", "scheduled_change"
        )
    checkout = get_object_or_404(checkouts, token=token, organization=membership.organization)
    return membership, checkout


def get_invitation_by_token(token: str) -> Invitation:
    """The invitation a link names (anyone holding the link may see it)."""
    return get_object_or_404(
        Invitation.objects.select_related("organization", "invited_by"), token=token
    )


def current_membership(request: HttpRequest) -> Membership | None:
    """The organization the user last worked in, or their first one."""
    if not request.user.is_authenticated:
        return None
    memberships = Membership.objects.select_related("organization").filter(user=request.user)
    current_id = request.session.get(CURRENT_ORGANIZATION_KEY)
    return (current_id and memberships.filter(organization_id=current_id).first()) or (
        memberships.first()
    )


def organizations_for(request: HttpRequest) -> list[Organization]:
    if not request.user.is_authenticated:
        return []
    return list(Organization.objects.filter(memberships__user=request.user).order_by("name"))


def require_account_manager(user) -> None:
    """The book of accounts is for account managers and admins (who see every account)."""
    if not (user.is_staff and (user.is_admin or user.is_account_manager)):
        raise PermissionDenied("This page is for account managers.")


def get_organization_for_manager(user, organization_id: int) -> Organization:
    """An account of the book: any for an admin, only their own for an account manager
    (another's answers 404, so its existence is not told); 403 for everyone else."""
    require_account_manager(user)
    organizations = Organization.objects.select_related("account_manager")
    if not user.is_admin:
        organizations = organizations.filter(account_manager=user)
    return get_object_or_404(organizations, pk=organization_id)
