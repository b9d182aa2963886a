"""Checkouts and scheduled changes in the admin.

Checkouts are records of what customers did (started, previewed, confirmed, abandoned):
read-only, with their steps. Scheduled changes are made by the checkout and applied at
the end of the term; staff may cancel one, with a reason, as an operation (never by
editing fields). Account managers see their own customers' (portal.admin_scoping)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse

from billing.checkout.scheduled import scheduled_change_cancel
from billing.models import Checkout, CheckoutEvent, ScheduledChange, ScheduledChangeStatus
from licensing.admin.pages import ReadOnlyAdminMixin, confirm_page
from portal.admin_history import HistoryAdmin


class ReasonForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        max_length=2000,
        help_text="Kept with the change: say why, for whoever reads it next.",
    )


class CheckoutEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = CheckoutEvent
    extra = 0
    fields = ["happened_at", "step", "data"]
    readonly_fields = fields


@admin.register(Checkout)
class CheckoutAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "pk",
        "organization",
        "status",
        "tier",
        "seats",
        "cycle",
        "amount_due",
        "started_at",
        "confirmed_at",
    ]
    list_filter = ["status", "cycle", "currency"]
    list_select_related = ["organization", "tier"]
    search_fields = ["organization__name", "organization__slug"]
    date_hierarchy = "started_at"
    inlines = [CheckoutEventInline]
    exclude = ["token"]  # the one-time key of a confirmation stays out of sight
    readonly_fields = [
        "organization",
        "license",
        "started_by",
        "status",
        "tier",
        "seats",
        "cycle",
        "currency",
        "auto_renew",
        "amount_due",
        "invoice",
        "scheduled_change",
        "entitlements_before",
        "entitlements_after",
        "started_at",
        "previewed_at",
        "confirmed_at",
        "abandoned_at",
    ]


@admin.register(ScheduledChange)
class ScheduledChangeAdmin(ReadOnlyAdminMixin, HistoryAdmin):
    list_display = ["license", "summary", "effective_on", "status", "created_by", "created_at"]
    list_filter = ["status"]
    list_select_related = ["license__organization", "license__version__tier", "created_by"]
    search_fields = ["license__organization__name", "summary"]
    date_hierarchy = "effective_on"
    readonly_fields = [
        "license",
        "summary",
        "effective_on",
        "version",
        "seats",
        "cycle",
        "price",
        "auto_renew",
        "status",
        "created_by",
        "created_at",
        "closed_by",
        "closed_at",
        "close_reason",
    ]
    fields = readonly_fields

    def has_cancel_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("billing.change_scheduledchange") and (
            obj is None or obj.status == ScheduledChangeStatus.SCHEDULED
        )

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        context["may_cancel"] = obj is not None and self.has_cancel_permission(request, obj)
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    def get_urls(self):
        return [
            path(
                "<int:pk>/cancel/",
                self.admin_site.admin_view(self.cancel_view),
                name="billing_scheduledchange_cancel",
            ),
            *super().get_urls(),
        ]

    def cancel_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        change = get_object_or_404(self.get_queryset(request), pk=pk)
        change_url = reverse("admin:billing_scheduledchange_change", args=[pk])
        if not self.has_cancel_permission(request, change):
            messages.error(request, "This change is not one you can cancel.")
            return redirect(change_url)
        form = ReasonForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                scheduled_change_cancel(
                    change=change, user=request.user, reason=form.cleaned_data["reason"]
                )
            except ValidationError as error:
                for text in error.messages:
                    form.add_error(None, text)
            else:
                messages.success(request, f"Canceled: {change.summary}.")
                return redirect(change_url)
        return confirm_page(
            self,
            request,
            "admin/billing/scheduledchange/cancel.html",
            f"Cancel the change scheduled for {change.effective_on:%d %b %Y}?",
            change=change,
            form=form,
            hidden=[],
            cancel=change_url,
        )
