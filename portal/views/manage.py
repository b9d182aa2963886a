from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from licensing.models import Trial, TrialStatus
from licensing.trials.selectors import trial_summary
from portal import clock
from portal.access import require_account_manager
from portal.models import Organization, Role


@login_required
@require_GET
def accounts(request: HttpRequest) -> HttpResponse:
    """The account manager's book: the organizations assigned to them, and the trials
    running in them (issue 19: who is trying what, until when, and what they use)."""
    require_account_manager(request.user)
    organizations = (
        Organization.objects.filter(account_manager=request.user)
        .annotate(
            member_count=Count("memberships"),
            owner_count=Count("memberships", filter=Q(memberships__role=Role.OWNER)),
        )
        .prefetch_related("memberships__user")
        .order_by("name")
    )
    at = clock.now()
    running = (
        Trial.objects.filter(
            organization__account_manager=request.user,
            status=TrialStatus.RUNNING,
            starts_at__lte=at,
            ends_at__gt=at,
        )
        .select_related("organization", "tier", "license", "license__version")
        .order_by("ends_at", "organization__name")
    )
    return render(
        request,
        "portal/manage/accounts.html",
        {"organizations": organizations, "trials": [trial_summary(t, at) for t in running]},
    )
