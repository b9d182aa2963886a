"""Trials in the admin: read-only rows (a trial changes only through its services), each
with its usage summary, and "Extend" (days and a reason, kept in the license's ledger)
through licensing.trials.services.trial_extend. Account managers see their customers'
trials (portal.admin_scoping scopes every model admin); extending stays with admins, who
may change licenses."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.html import format_html_join

from licensing.admin.pages import ReadOnlyAdminMixin, confirm_page
from licensing.licenses.services import Actor
from licensing.models import Trial, TrialStatus
from licensing.trials.selectors import trial_summary
from licensing.trials.services import MAX_EXTENSION_DAYS, trial_extend
from portal import clock


class ExtendForm(forms.Form):
    days = forms.IntegerField(min_value=1, max_value=MAX_EXTENSION_DAYS, label="Days to add")
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        max_length=2000,
        help_text="Kept in the license's ledger: say why, for whoever reads it next.",
    )


def _figures(meter) -> str:
    """As the dashboard's meters say it: "1,200 of 1,000,000 API calls"."""
    unit = meter.grant.metric.unit
    limit = "unlimited" if meter.state.limit is None else intcomma(meter.state.limit)
    return f"{intcomma(meter.state.used)} of {limit} {unit}".rstrip()


def _closed_text(trial: Trial) -> str:
    ended = f" on {trial.ended_at:%-d %B %Y}" if trial.ended_at else ""
    return (
        f"This trial is closed ({trial.get_status_display().lower()}{ended}): "
        "it cannot be extended."
    )


@admin.register(Trial)
class TrialAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["organization", "tier", "status", "starts_at", "last_day", "ended_at"]
    list_filter = ["status", "tier"]
    search_fields = ["organization__name", "organization__slug"]
    date_hierarchy = "starts_at"
    list_select_related = ["organization", "tier"]
    fields = [
        "organization",
        "license",
        "tier",
        "version",
        "status",
        "starts_at",
        "last_day",
        "ends_at",
        "ended_at",
        "started_by",
        "features_used",
        "usage",
    ]
    readonly_fields = fields

    @staticmethod
    def _summary(trial: Trial):
        """Read once for both fields of the page."""
        if not hasattr(trial, "_summary"):
            trial._summary = trial_summary(trial, clock.now())
        return trial._summary

    @admin.display(description="Last day", ordering="ends_at")
    def last_day(self, trial: Trial) -> str:
        """The last day the trial runs, as the customer's pages and emails say it (ends_at
        is the moment after it: midnight of the next day)."""
        return f"{trial.last_day:%-d %b %Y}"

    def has_extend_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("licensing.change_license")

    @admin.display(description="Trial features used")
    def features_used(self, trial: Trial) -> str:
        summary = self._summary(trial)
        return (
            format_html_join(
                "",
                "<div>{}: {}</div>",
                (
                    (f.name, f"used {f.times_used} times" if f.times_used else "not used")
                    for f in summary.features
                ),
            )
            or "None beyond the plan's."
        )

    @admin.display(description="Usage against the trial tier's limits")
    def usage(self, trial: Trial) -> str:
        summary = self._summary(trial)
        return (
            format_html_join(
                "",
                "<div>{}: {}</div>",
                ((meter.grant.metric.name, _figures(meter)) for meter in summary.usage),
            )
            or "No limits."
        )

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        context["closed"] = (
            _closed_text(obj) if obj is not None and obj.status != TrialStatus.RUNNING else ""
        )
        context["may_extend"] = (
            obj is not None
            and obj.status == TrialStatus.RUNNING
            and self.has_extend_permission(request, obj)
        )
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    def get_urls(self):
        return [
            path(
                "<int:pk>/extend/",
                self.admin_site.admin_view(self.extend_view),
                name="licensing_trial_extend",
            ),
            *super().get_urls(),
        ]

    def extend_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        trial = get_object_or_404(
            self.get_queryset(request).select_related("organization", "tier", "license"), pk=pk
        )
        change_url = reverse("admin:licensing_trial_change", args=[pk])
        if not self.has_extend_permission(request, trial):
            messages.error(request, "Extending a trial is for admins.")
            return redirect(change_url)
        if trial.status != TrialStatus.RUNNING:
            # Closed: nothing to extend; said so, whether asked for the form or posting it.
            response = confirm_page(
                self,
                request,
                "admin/licensing/trial/extend.html",
                f"{trial} is closed",
                trial=trial,
                closed=_closed_text(trial),
                cancel=change_url,
            )
            response.status_code = 409 if request.method == "POST" else 200
            return response
        form = ExtendForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                trial_extend(
                    trial=trial,
                    days=form.cleaned_data["days"],
                    actor=Actor.of(request.user, "admin"),
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                for text in error.messages:
                    form.add_error(None, text)
            else:
                messages.success(request, f"{trial} extended. The license's ledger has it.")
                return redirect(change_url)
        return confirm_page(
            self,
            request,
            "admin/licensing/trial/extend.html",
            f"Extend {trial}?",
            trial=trial,
            form=form,
            cancel=change_url,
        )
