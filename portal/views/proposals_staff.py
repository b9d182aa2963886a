"""The account manager's proposal pages under /manage/proposals/: the list, a new
proposal for a license, the builder (options side by side with their price paths, the
cover note, validity and ROI), the history, and the admins' approvals.

Who sees what: staff who are account managers or admins, else 403 (as /manage/); an
account manager sees only the organizations assigned to them, anything else is 404;
admins see every proposal. Every form works without JavaScript; each POST calls one
service and redirects, or answers 400 with the form's messages and writes nothing."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from billing.emails.services import billing_recipients
from billing.models import Proposal, ProposalStatus
from billing.models.proposals import MAX_OPTIONS
from billing.proposals.content import approval_reasons, roi_source
from billing.proposals.customer import as_of
from billing.proposals.forms import (
    ROI_INPUTS,
    ROI_NONE,
    ROI_SCENARIO,
    CommentForm,
    DetailsForm,
    OptionForm,
)
from billing.proposals.selectors import (
    current_year_cost,
    priced_options,
    proposals_for,
    rows,
)
from billing.proposals.sending import downgrades, proposal_send, send_refusal, stale_renewals
from billing.proposals.services import (
    OPEN,
    ProposalRefused,
    is_approver,
    last_event_id,
    newest_version,
    pending_approvals,
    proposal_approve,
    proposal_create,
    proposal_edit,
    proposal_option_remove,
    proposal_option_set,
    proposal_recall,
    proposal_reject,
    proposal_submit,
    proposal_withdraw,
    subscription_of,
)
from licensing.licenses.services import Actor
from licensing.models import License
from portal import clock
from portal.access import require_account_manager
from portal.models import Organization


def _get_organization_for_staff(request: HttpRequest, slug: str) -> Organization:
    require_account_manager(request.user)
    organizations = Organization.objects.all()
    if not request.user.is_admin:
        organizations = organizations.filter(account_manager=request.user)
    return get_object_or_404(organizations, slug=slug)


def _get_proposal_for_staff(request: HttpRequest, number: str) -> Proposal:
    require_account_manager(request.user)
    return get_object_or_404(proposals_for(request.user), number=number)


def _actor(request: HttpRequest) -> Actor:
    return Actor.of(request.user, "admin" if request.user.is_admin else "account manager")


@login_required
@require_GET
def proposal_list(request: HttpRequest) -> HttpResponse:
    """Mine (an admin's: everyone's), newest first, with status and validity."""
    require_account_manager(request.user)
    proposals = proposals_for(request.user)
    return render(
        request,
        "portal/manage/proposals/list.html",
        {
            "rows": rows(proposals[:200]),
            "today": clock.today(),
            "organizations": _organizations(request),
            "pending_count": pending_approvals().count() if is_approver(request.user) else 0,
        },
    )


def _organizations(request: HttpRequest):
    organizations = Organization.objects.order_by("name")
    if not request.user.is_admin:
        organizations = organizations.filter(account_manager=request.user)
    return organizations


@login_required
@require_GET
def organization_proposals(request: HttpRequest, slug: str) -> HttpResponse:
    """One organization's proposals and its licenses, each with "New proposal"."""
    organization = _get_organization_for_staff(request, slug)
    licenses = (
        License.objects.filter(organization=organization)
        .select_related("version__tier", "subscription")
        .order_by("pk")
    )
    return render(
        request,
        "portal/manage/proposals/organization.html",
        {
            "organization": organization,
            "licenses": licenses,
            "rows": rows(proposals_for(request.user).filter(organization=organization)),
            "today": clock.today(),
        },
    )


@login_required
@require_POST
def proposal_new(request: HttpRequest, slug: str, license_id: int) -> HttpResponse:
    organization = _get_organization_for_staff(request, slug)
    license = get_object_or_404(License, organization=organization, pk=license_id)
    try:
        proposal = proposal_create(license=license, actor=_actor(request), at=clock.now())
    except ProposalRefused as refused:
        messages.error(request, str(refused))
        return redirect("manage_organization_proposals", organization.slug)
    return redirect("manage_proposal", proposal.number)


def _builder(request: HttpRequest, proposal: Proposal, *, status: int = 200, **forms):
    version = newest_version(proposal)
    license = proposal.license
    today = clock.today()
    # An answered version keeps the dates it was answered with, not today's.
    priced = priced_options(version, as_of(version, today))
    option_forms = forms.pop("option_forms", {})
    edit_forms = [
        (
            item,
            option_forms.get(
                item.option.position,
                OptionForm(
                    prefix=f"option{item.option.position}",
                    license=license,
                    initial={
                        "tier_version": item.option.tier_version_id,
                        "seats": item.option.seats,
                        "cycle": item.option.cycle,
                        "term_cycles": item.option.term_cycles,
                        "billing": item.option.billing,
                        # 20, not 20.00 nor Decimal.normalize()'s 2E+1.
                        "discount_percent": format(item.option.discount_percent.normalize(), "f"),
                        "discount_reason": item.option.discount_reason,
                        "renew_as_is": item.option.renew_as_is,
                        "at_renewal": item.option.at_renewal,
                    },
                ),
            ),
        )
        for item in priced
    ]
    add_form = forms.pop("add_form", None) or OptionForm(
        prefix="new",
        license=license,
        initial={
            "tier_version": license.version_id,
            "seats": license.seats,
            "cycle": getattr(subscription_of(license), "cycle", "annual"),
        },
    )
    details_form = forms.pop("details_form", None) or DetailsForm(
        organization=proposal.organization,
        kept_scenario=version.roi_scenario_name,
        # A scenario's numbers are the version's own copy: the list offers to keep them
        # (its first entry), whether or not the customer still has the scenario.
        initial={
            "cover_note": version.cover_note,
            "valid_until": version.valid_until,
            "roi": ROI_SCENARIO
            if version.roi_scenario_name
            else (ROI_INPUTS if version.roi_inputs else ROI_NONE),
            "roi_link": "&".join(f"{k}={v}" for k, v in version.roi_inputs.items()),
        },
    )
    sent = proposal.versions.filter(status=ProposalStatus.SENT).exclude(pk=version.pk).first()
    editable = version.is_editable or version.status == ProposalStatus.SENT
    if not editable:
        # A form refused because the version is frozen (awaiting approval) or closed is
        # not shown again: its refusal is said as a message instead.
        for form in (*option_forms.values(), add_form, details_form):
            for error in form.non_field_errors() if form.is_bound else ():
                messages.error(request, error)
    reasons = approval_reasons(version.options.select_related("proposal_version__proposal"))
    context = {
        "proposal": proposal,
        "version": version,
        "versions": proposal.versions.order_by("-number"),
        "sent": sent,
        "license": license,
        "subscription": subscription_of(license),
        "current_year": current_year_cost(license, today),
        "edit_forms": edit_forms,
        "add_form": add_form if editable else None,
        "can_add": len(priced) < MAX_OPTIONS,
        "details_form": details_form,
        "approval_reasons": reasons,
        "needs_approval": bool(reasons),
        "roi_source": roi_source(version),
        "expired": version.valid_until < today,
        "events": proposal.events.select_related("proposal_version__proposal").order_by(
            "-happened_at", "-pk"
        ),
        "is_approver": is_approver(request.user),
        "last_event_id": last_event_id(proposal),
        "comment_form": forms.pop("comment_form", None) or CommentForm(),
        "is_open": version.status in OPEN,
        "send_refusal": send_refusal(version, today=today),
        # Options that renew as is but no longer match the license, marked where they
        # are shown (sending names the first of them in send_refusal).
        "stale_positions": {
            option.position for option in stale_renewals(version, [item.option for item in priced])
        },
        # Options that became a downgrade (the license moved up since): marked likewise.
        "downgrade_positions": {
            option.position for option in downgrades(version, [item.option for item in priced])
        },
        "today": today,
        "recipients": billing_recipients(proposal.organization),
        "sent_versions": proposal.versions.filter(sent_at__isnull=False)
        .select_related("proposal")
        .defer("pdf")
        .order_by("-number"),
    }
    return render(request, "portal/manage/proposals/builder.html", context, status=status)


@login_required
@require_GET
def proposal_builder(request: HttpRequest, number: str) -> HttpResponse:
    return _builder(request, _get_proposal_for_staff(request, number))


@login_required
@require_POST
def proposal_option_save(request: HttpRequest, number: str, position: int | None = None):
    """Add an option (no position) or replace the one at `position`."""
    proposal = _get_proposal_for_staff(request, number)
    prefix = f"option{position}" if position else "new"
    form = OptionForm(request.POST, prefix=prefix, license=proposal.license)
    if form.is_valid():
        try:
            proposal_option_set(
                proposal=proposal,
                position=position,
                option=form.option(),
                actor=_actor(request),
                at=clock.now(),
            )
        except ProposalRefused as refused:
            form.refuse(refused)
        else:
            messages.success(request, f"Option {position} saved." if position else "Option added.")
            return redirect("manage_proposal", proposal.number)
    key = {"option_forms": {position: form}} if position else {"add_form": form}
    return _builder(request, proposal, status=400, **key)


@login_required
@require_POST
def proposal_option_delete(request: HttpRequest, number: str, position: int) -> HttpResponse:
    proposal = _get_proposal_for_staff(request, number)
    try:
        proposal_option_remove(
            proposal=proposal, position=position, actor=_actor(request), at=clock.now()
        )
    except ProposalRefused as refused:
        messages.error(request, str(refused))
        return _builder(request, proposal, status=400)
    messages.success(request, f"Option {position} removed.")
    return redirect("manage_proposal", proposal.number)


@login_required
@require_POST
def proposal_details(request: HttpRequest, number: str) -> HttpResponse:
    proposal = _get_proposal_for_staff(request, number)
    form = DetailsForm(
        request.POST,
        organization=proposal.organization,
        kept_scenario=newest_version(proposal).roi_scenario_name,
    )
    if form.is_valid():
        try:
            proposal_edit(
                proposal=proposal, edit=form.edit(), actor=_actor(request), at=clock.now()
            )
        except ProposalRefused as refused:
            form.refuse(refused)
        else:
            messages.success(request, "Saved.")
            return redirect("manage_proposal", proposal.number)
    return _builder(request, proposal, status=400, details_form=form)


def _step(request: HttpRequest, proposal: Proposal, call, done: str, **kwargs) -> HttpResponse:
    try:
        call(proposal=proposal, actor=_actor(request), at=clock.now(), **kwargs)
    except ProposalRefused as refused:
        messages.error(request, str(refused))
        form = CommentForm(request.POST)
        form.is_valid()
        form.refuse(refused)
        return _builder(request, proposal, status=400, comment_form=form)
    messages.success(request, done)
    return None


@login_required
@require_POST
def proposal_submit_view(request: HttpRequest, number: str) -> HttpResponse:
    proposal = _get_proposal_for_staff(request, number)
    refused = _step(request, proposal, proposal_submit, "Submitted for approval.")
    return refused or redirect("manage_proposal", proposal.number)


@login_required
@require_POST
def proposal_recall_view(request: HttpRequest, number: str) -> HttpResponse:
    """Back to draft: takes the version awaiting approval out of approval. It is frozen
    while it waits, and this is how its author changes it."""
    proposal = _get_proposal_for_staff(request, number)
    refused = _step(
        request, proposal, proposal_recall, "Back to draft: out of approval, it can be changed."
    )
    return refused or redirect("manage_proposal", proposal.number)


@login_required
@require_POST
def proposal_withdraw_view(request: HttpRequest, number: str) -> HttpResponse:
    proposal = _get_proposal_for_staff(request, number)
    refused = _step(request, proposal, proposal_withdraw, "Withdrawn.")
    return refused or redirect("manage_proposal", proposal.number)


@login_required
@require_POST
def proposal_send_view(request: HttpRequest, number: str) -> HttpResponse:
    """Sends the newest version, the one the confirmation named (the form's `version`):
    a version made since answers 400 rather than sending what the sender did not see."""
    proposal = _get_proposal_for_staff(request, number)
    version = newest_version(proposal)
    if request.POST.get("version") != str(version.number):
        messages.error(request, f"{version.label} is the newest version: review it and send again.")
        return _builder(request, proposal, status=400)
    try:
        proposal_send(version=version, actor=_actor(request), at=clock.now())
    except ValidationError as refused:
        messages.error(request, " ".join(refused.messages))
        return _builder(request, proposal, status=400)
    messages.success(request, f"{version.label} sent to the customer.")
    return redirect("manage_proposal", proposal.number)


@login_required
@require_POST
def proposal_decide(request: HttpRequest, number: str, decision: str) -> HttpResponse:
    """An admin approves or rejects (with a comment) the version awaiting approval."""
    proposal = _get_proposal_for_staff(request, number)  # 404 for an account not theirs
    if not is_approver(request.user):
        # A proposal they may see, a step their role may not take: 403, as the approvals.
        raise PermissionDenied("Approvals are for admins.")
    form = CommentForm(request.POST)
    if not form.is_valid():
        # A comment refused (too long) is not dropped: the decision waits for it.
        messages.error(request, " ".join(form.errors.get("comment", [])))
        return _builder(request, proposal, status=400, comment_form=form)
    comment = form.cleaned_data["comment"]
    done = f"{proposal.number} {'approved' if decision == 'approve' else 'sent back to draft'}."
    if decision == "approve":
        # What the page showed (the newest step then): a change since is not approved.
        reviewed = request.POST.get("reviewed", "")
        refused = _step(
            request,
            proposal,
            proposal_approve,
            done,
            comment=comment,
            reviewed=int(reviewed) if reviewed.isdigit() and len(reviewed) < 19 else 0,
        )
    else:
        refused = _step(request, proposal, proposal_reject, done, comment=comment)
    return refused or redirect("manage_proposal_approvals")


@login_required
@require_GET
def proposal_approvals(request: HttpRequest) -> HttpResponse:
    require_account_manager(request.user)
    if not is_approver(request.user):
        raise PermissionDenied("Approvals are for admins.")
    return render(
        request,
        "portal/manage/proposals/approvals.html",
        {
            # Each with why it waits (a discount above the threshold, a retired price
            # kept past its lock), as the builder said it.
            "waiting": [
                (version, approval_reasons(version.options.all()))
                for version in pending_approvals()
            ],
            "comment_form": CommentForm(),
        },
    )


def admin_workspace(request: HttpRequest) -> dict:
    """What the admin's index shows of the workspace (portal.admin_scoping): how many
    proposals wait for approval, for an admin (None for anyone else)."""
    return {"approvals_waiting": pending_approvals().count() if is_approver(request.user) else None}
