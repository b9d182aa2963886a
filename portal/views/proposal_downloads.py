"""The PDF of every version of a proposal that was sent (`P-2026-0042 v1` stays
downloadable after v2 is sent): for the staff who may see the organization (its account
manager, admins; anyone not staff gets 403 there, as on every /manage/ page) and for
the organization's members. Anyone else gets 404, so nobody learns that a proposal
exists. A version never sent has no PDF; a sent one whose PDF the
worker has not rendered yet says so (409) rather than rendering it a second time."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from billing.models import ProposalVersion
from billing.proposals.documents import pdf_filename
from portal.access import require_account_manager


def _sent_version(proposal_id: int, number: int, **scope) -> ProposalVersion:
    version = (
        ProposalVersion.objects.select_related("proposal")
        .filter(proposal_id=proposal_id, number=number, sent_at__isnull=False, **scope)
        .first()
    )
    if version is None:
        raise Http404("No such proposal version.")
    return version


def _pdf_response(version: ProposalVersion) -> HttpResponse:
    if version.pdf is None:
        return HttpResponse(
            f"The PDF of {version.label} is being prepared; try again in a minute.",
            status=409,
            content_type="text/plain; charset=utf-8",
        )
    response = HttpResponse(bytes(version.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pdf_filename(version)}"'
    return response


@login_required
@require_GET
def staff_version_pdf(request: HttpRequest, proposal_id: int, version_number: int) -> HttpResponse:
    """/manage/proposals/<id>/versions/<n>.pdf: the organization's account manager and
    admins; 403 for anyone not staff, as every /manage/ page (portal.access), 404 for
    another manager's account."""
    user = request.user
    require_account_manager(user)
    scope = {} if user.is_admin else {"proposal__organization__account_manager": user}
    return _pdf_response(_sent_version(proposal_id, version_number, **scope))


@login_required
@require_GET
def customer_version_pdf(
    request: HttpRequest, proposal_id: int, version_number: int
) -> HttpResponse:
    """/proposals/<id>/versions/<n>.pdf: any member of the organization."""
    version = _sent_version(
        proposal_id, version_number, proposal__organization__memberships__user=request.user
    )
    return _pdf_response(version)
