"""Renewal runs and failed renewals in the admin.

A run is a record of what one term-end job did (billing.renewals.tasks): read-only. A
failed renewal stays listed until a later attempt renews it; one that failed three times
or more is marked for attention. Staff retry one with the "Retry now" action, which goes
through the renewal service (never a write of its own)."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from billing.models import RenewalFailure, RenewalRun
from billing.renewals.services import Outcome, renewal_retry
from licensing.admin.pages import ReadOnlyAdminMixin

# A renewal that failed this many times is shown to staff as needing them.
SURFACE_AFTER = 3


@admin.register(RenewalRun)
class RenewalRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """A run is the whole job's (every customer's counts): for admins; account managers
    read their customers' failed renewals below."""

    admins_only = True

    list_display = [
        "pk",
        "started_at",
        "business_day",
        "status",
        "due",
        "renewed",
        "expired",
        "skipped",
        "failed",
        "batches_progress",
        "finished_at",
    ]
    list_filter = ["status", "business_day"]
    date_hierarchy = "started_at"
    fields = [
        "business_day",
        "started_at",
        "reported_at",
        "finished_at",
        "status",
        "due",
        "batches",
        "batches_done",
        "renewed",
        "expired",
        "skipped",
        "failed",
        "not_queued",
    ]
    readonly_fields = fields

    @admin.display(description="Batches done")
    def batches_progress(self, run: RenewalRun) -> str:
        done = f"{run.batches_done} of {run.batches}"
        if not run.not_queued:
            return done
        return f"{done} ({run.not_queued} subscriptions not queued: left for the next run)"


class AttentionFilter(admin.SimpleListFilter):
    title = "needs staff"
    parameter_name = "attention"

    def lookups(self, request, model_admin):
        return [
            ("yes", f"Unresolved, failed {SURFACE_AFTER} times or more"),
            ("open", "Unresolved"),
            ("resolved", "Resolved"),
        ]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(resolved_at__isnull=True, attempts__gte=SURFACE_AFTER)
        if self.value() == "open":
            return queryset.filter(resolved_at__isnull=True)
        if self.value() == "resolved":
            return queryset.filter(resolved_at__isnull=False)
        return queryset


@admin.register(RenewalFailure)
class RenewalFailureAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "subscription",
        "period_start",
        "state",
        "attempts",
        "error",
        "last_failed_at",
        "resolved_at",
    ]
    list_filter = [AttentionFilter]
    list_select_related = ["subscription__license__organization"]
    search_fields = ["subscription__license__organization__name", "last_error"]
    actions = ["retry_now"]
    fields = [
        "subscription",
        "period_start",
        "run",
        "attempts",
        "last_error",
        "first_failed_at",
        "last_failed_at",
        "resolved_at",
    ]
    readonly_fields = fields

    @admin.display(description="State")
    def state(self, failure: RenewalFailure) -> str:
        if failure.resolved_at is not None:
            return "Resolved"
        if failure.attempts >= SURFACE_AFTER:
            return format_html("<strong>Needs staff: failed {} times</strong>", failure.attempts)
        return "Retried by the next run"

    @admin.display(description="Last error")
    def error(self, failure: RenewalFailure) -> str:
        text = failure.last_error
        return text if len(text) <= 120 else f"{text[:119]}…"

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("billing.change_renewalfailure")

    @admin.action(description="Retry now (through the renewal service)", permissions=["retry"])
    def retry_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        for failure in queryset.filter(resolved_at__isnull=True):
            try:
                result = renewal_retry(failure=failure, user=request.user)
            except Exception as exc:  # recorded on the failure by the service
                messages.error(request, f"{failure.subscription}: failed again ({exc}).")
                continue
            if result.outcome == Outcome.SKIPPED:
                messages.warning(request, f"{failure.subscription}: nothing to do ({result.why}).")
            else:
                messages.success(request, f"{failure.subscription}: {result.outcome}.")
