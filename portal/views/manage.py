from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from portal.access import require_account_manager
from portal.models import Organization, Role


@login_required
@require_GET
def accounts(request: HttpRequest) -> HttpResponse:
    """The account manager's book: the organizations assigned to them."""
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
    return render(request, "portal/manage/accounts.html", {"organizations": organizations})
