"""The customer's proposals: /app/<slug>/proposals/ lists those sent to the
organization, /app/<slug>/proposals/<pk>/ shows the version open to them with its options
side by side, the validity, the account manager and the PDF.

Accept opens a confirmation page (GET, writes nothing) showing exactly what confirming
does: a change now is the bound checkout's preview, line by line, to the cent; a renewal
as is is the change scheduled at the term's end. Its Confirm posts the preview's
fingerprint, and one transaction confirms the checkout and marks the proposal accepted
(billing.proposals.acceptance); figures that moved since are a 409 with the fresh ones.
Decline takes an optional reason. Owners and billing admins answer; members read and see
who can answer; an outsider gets 404. No JavaScript needed.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing.checkout.quote import QuoteRefused
from billing.checkout.services import StalePreview
from billing.models import Proposal, ProposalOption, ScheduledChange, ScheduledChangeStatus
from billing.proposals import customer
from billing.proposals.acceptance import (
    MAX_DECLINE_REASON,
    ProposalRefused,
    Renewal,
    accept_preview,
    as_is_refusal,
    downgrade_refusal,
    proposal_accept,
    proposal_decline,
    retired_price_refusal,
)
from billing.proposals.content import option_path
from billing.proposals.options import plan_decrease
from licensing.licenses.continuity import continuity_check
from portal import clock
from portal.access import get_membership
from portal.models import Membership, Role

CONFLICT = 409


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label="Why (optional, for your account manager)",
        required=False,
        max_length=MAX_DECLINE_REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ConfirmForm(forms.Form):
    digest = forms.CharField(max_length=64, min_length=64)
    version = forms.IntegerField(min_value=1)


def _proposal(membership: Membership, pk: int) -> Proposal:
    proposals = customer.customer_proposals(membership.organization)
    return get_object_or_404(proposals, pk=pk)


def _answerers(membership: Membership) -> list[Membership]:
    return list(
        Membership.objects.filter(
            organization=membership.organization, role__in=[Role.OWNER, Role.BILLING]
        )
        .select_related("user")
        .order_by("role", "user__email")
    )


@login_required
@require_GET
def proposal_list(request: HttpRequest, slug: str) -> HttpResponse:
    membership = get_membership(request, slug)
    today = clock.today()
    rows = []
    for proposal in customer.customer_proposals(membership.organization):
        version = customer.current_version(proposal)
        rows.append(
            {
                "proposal": proposal,
                "version": version,
                "state": customer.state_message(version, today),
            }
        )
    return render(
        request,
        "portal/proposals/list.html",
        {"membership": membership, "organization": membership.organization, "rows": rows},
    )


@login_required
@require_GET
def proposal_open(request: HttpRequest, proposal_id: int) -> HttpResponse:
    """/proposals/<id>/, the address the proposal's email and PDF give: on to the page
    under the organization's address, for its members; 404 for anyone else."""
    proposal = get_object_or_404(
        Proposal.objects.select_related("organization")
        .filter(organization__memberships__user=request.user, versions__sent_at__isnull=False)
        .distinct(),
        pk=proposal_id,
    )
    return redirect("proposal_detail", proposal.organization.slug, proposal.pk)


def _detail_context(membership, proposal, *, decline_form=None, error="") -> dict:
    today = clock.today()
    version = customer.current_version(proposal)
    if version is None:
        raise Http404
    state = customer.state_message(version, today)
    options = customer.option_views(version, customer.as_of(version, today))
    if not state:
        # Options the customer can no longer accept (the plan changed since the proposal
        # was made), with why: said on the option, with no Accept button to run into it.
        options = [replace(view, refusal=_refusal(proposal, view.option)) for view in options]
    return {
        "membership": membership,
        "organization": membership.organization,
        "proposal": proposal,
        "version": version,
        "license": proposal.license,
        # An answered version keeps the dates it was answered with (an option that
        # changes the plan starts on the day it is accepted), not today's.
        "options": options,
        # The option the PDF and the email recommend, marked the same here.
        "recommended": customer.recommendation(version),
        "state": state,
        "open": not state,
        "may_answer": membership.can_manage_billing,
        "answerers": [] if membership.can_manage_billing else _answerers(membership),
        "manager": proposal.prepared_by or membership.organization.account_manager,
        "decline_form": decline_form or DeclineForm(),
        "error": error,
        "earlier": [v for v in proposal.shown_versions if v.pk != version.pk],
    }


def _refusal(proposal, option) -> str:
    retired = retired_price_refusal(option, proposal.license_id, today=clock.today())
    if retired:
        return retired
    if option.renew_as_is:
        return as_is_refusal(option, proposal.license_id)
    return downgrade_refusal(option, proposal.license_id)


@never_cache
@login_required
@require_GET
def proposal_detail(request: HttpRequest, slug: str, proposal_id: int) -> HttpResponse:
    membership = get_membership(request, slug)
    proposal = _proposal(membership, proposal_id)
    return render(request, "portal/proposals/detail.html", _detail_context(membership, proposal))


def _option(proposal: Proposal, option_id: int) -> ProposalOption:
    """An option of one of the versions the customer was shown: an earlier version's
    (a page opened before the next was sent) is answered with why it is refused, not a
    404; a version never shown to them is a 404."""
    return get_object_or_404(
        ProposalOption.objects.select_related("tier_version__tier", "price", "proposal_version"),
        pk=option_id,
        proposal_version__in=[version.pk for version in proposal.shown_versions],
    )


def _review(request, membership, proposal, version, option, *, status=200, error="", shown=None):
    renewal = shown if isinstance(shown, Renewal) else None
    context = {
        "membership": membership,
        "organization": membership.organization,
        "proposal": proposal,
        "version": version,
        "option": option,
        "error": error,
        "shown": shown,
        "renewal": renewal,
        "preview": None if isinstance(shown, Renewal) or shown is None else shown,
    }
    if renewal is not None:
        # What the renewal invoices, and the change it replaces, said by name.
        context["renewal_path"] = option_path(option, proposal.license, clock.today())
        if plan_decrease(proposal.license, option.tier_version, option.seats):
            # A lower plan from the renewal: what exceeds it, listed before confirming.
            context["continuity"] = continuity_check(
                license=proposal.license,
                version=option.tier_version,
                seats=option.seats,
                at=clock.now(),
            )
        context["replaced"] = list(
            ScheduledChange.objects.filter(
                license=proposal.license, status=ScheduledChangeStatus.SCHEDULED
            ).order_by("effective_on")
        )
    return render(request, "portal/proposals/accept.html", context, status=status)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def proposal_accept_view(
    request: HttpRequest, slug: str, proposal_id: int, option_id: int
) -> HttpResponse:
    """GET: what accepting `option_id` does, exactly; POST: confirm it."""
    membership = get_membership(request, slug)
    proposal = _proposal(membership, proposal_id)
    if not membership.can_manage_billing:
        raise PermissionDenied("Only an owner or a billing admin can accept a proposal.")
    option = _option(proposal, option_id)
    version = option.proposal_version
    if request.method == "POST":
        return _confirm(request, membership, proposal, version, option)
    try:
        shown = accept_preview(version=version, option=option, user=request.user)
    except (ProposalRefused, QuoteRefused) as refused:
        return _review(
            request, membership, proposal, version, option, status=CONFLICT, error=str(refused)
        )
    return _review(request, membership, proposal, version, option, shown=shown)


def _confirm(request, membership, proposal, version, option) -> HttpResponse:
    form = ConfirmForm(request.POST)
    if not form.is_valid() or form.cleaned_data["version"] != version.pk:
        return _review(
            request,
            membership,
            proposal,
            version,
            option,
            status=400,
            error="This confirmation is not the page's: open the proposal and accept again.",
        )
    try:
        accepted = proposal_accept(
            version=version, option=option, user=request.user, digest=form.cleaned_data["digest"]
        )
    except StalePreview as stale:
        shown = None
        with contextlib.suppress(ProposalRefused, QuoteRefused):
            shown = accept_preview(version=version, option=option, user=request.user)
        return _review(
            request,
            membership,
            proposal,
            version,
            option,
            status=CONFLICT,
            error=stale.message,
            shown=shown,
        )
    except (ProposalRefused, QuoteRefused) as refused:
        return _review(
            request, membership, proposal, version, option, status=CONFLICT, error=str(refused)
        )
    if accepted.checkout is not None:
        messages.success(request, f"You accepted {version.label}, option {option.position}.")
        return redirect("checkout_done", membership.organization.slug, accepted.checkout.token)
    messages.success(
        request,
        f"You accepted {version.label}: it renews as agreed on "
        f"{accepted.scheduled.effective_on:%-d %B %Y}.",
    )
    return redirect("proposal_detail", membership.organization.slug, proposal.pk)


@never_cache
@login_required
@require_POST
def proposal_decline_view(request: HttpRequest, slug: str, proposal_id: int) -> HttpResponse:
    membership = get_membership(request, slug)
    proposal = _proposal(membership, proposal_id)
    if not membership.can_manage_billing:
        raise PermissionDenied("Only an owner or a billing admin can decline a proposal.")
    version = customer.current_version(proposal)
    form = DeclineForm(request.POST)
    error = ""
    if form.is_valid() and str(version.pk) == request.POST.get("version", ""):
        try:
            proposal_decline(version=version, user=request.user, reason=form.cleaned_data["reason"])
        except ProposalRefused as refused:
            error = refused.message
        else:
            messages.success(request, f"You declined {version.label}. Thank you for telling us.")
            return redirect("proposal_detail", membership.organization.slug, proposal.pk)
    elif form.is_valid():
        error = "This answer is not for the version shown: look at the proposal again."
    context = _detail_context(membership, proposal, decline_form=form, error=error)
    status = CONFLICT if error and form.is_valid() else 400
    return render(request, "portal/proposals/detail.html", context, status=status)
