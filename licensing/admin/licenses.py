"""Licenses in the admin. Admins run customers here, but never by editing a license's
fields: the change form is read-only, and every change is an operation (suspend, revoke,
reinstate, seats, overrides, add-ons, version, renewal) behind a confirmation page with a
mandatory reason, carried out by the services in licensing.licenses. So each one writes
the ledger, issues a new license file and retires the cached validation answers, and a
refusal comes back as a form error or a message, never an error page.

The ledger, machines, usage and API tokens are shown read-only; a token can be revoked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.html import format_html

from licensing.admin.forms import (
    AddonForm,
    OverrideForm,
    OverrideRevokeForm,
    ReasonForm,
    RenewForm,
    SeatsForm,
    VersionForm,
)
from licensing.admin.pages import ReadOnlyAdminMixin, action_fields, confirm_page
from licensing.api.tokens import api_token_revoke
from licensing.licenses import services as licenses
from licensing.licenses.status import HOLDABLE
from licensing.models import (
    Addon,
    AddonLimit,
    ApiToken,
    EntitlementOverride,
    HoldSource,
    License,
    LicenseAddon,
    LicenseEvent,
    LicenseFile,
    LicenseHold,
    Machine,
    UsageRecord,
)

OPERATE_TEMPLATE = "admin/licensing/license/operate.html"


@dataclass(frozen=True)
class Operation:
    """One change an admin can make: a form to parse it and the service that makes it."""

    slug: str
    title: str
    confirm: str
    explanation: str
    form: type[ReasonForm]
    perform: Callable[[License, licenses.Actor, forms.Form], object]
    bulk: bool = False  # offered as a changelist action on several licenses at once
    offered: Callable[[License], bool] = lambda license: True


def _staff_hold(license: License) -> bool:
    return license.holds.filter(source=HoldSource.ADMIN, lifted_at__isnull=True).exists()


def _status(service):
    return lambda license, actor, form: service(
        license=license, actor=actor, reason=form.cleaned_data["reason"]
    )


OPERATIONS = {
    op.slug: op
    for op in [
        Operation(
            "suspend",
            "Suspend",
            "Yes, suspend",
            "Staff's hold: the customer's software stops validating at once. Reinstating "
            "lifts it; a hold of another source (dunning, a trial) stays until that "
            "source lifts it.",
            ReasonForm,
            _status(licenses.license_suspend),
            bulk=True,
            offered=lambda license: license.status in HOLDABLE and not _staff_hold(license),
        ),
        Operation(
            "revoke",
            "Revoke",
            "Yes, revoke",
            "The license is canceled and its key stops validating at once. Reinstating "
            "restores the status it had before.",
            ReasonForm,
            _status(licenses.license_revoke),
            bulk=True,
            offered=lambda license: license.status != "canceled",
        ),
        Operation(
            "reinstate",
            "Reinstate",
            "Yes, reinstate",
            "Lifts staff's hold (active again once no other source holds the license), or "
            "reverses a revocation to the status the ledger recorded before it.",
            ReasonForm,
            _status(licenses.license_reinstate),
            bulk=True,
            offered=lambda license: license.status == "canceled" or _staff_hold(license),
        ),
        Operation(
            "seats",
            "Change seats",
            "Change seats",
            "Within the tier's seat limit, and never below the machines now active. Nothing "
            "is invoiced or credited here: the subscription's price is per seat from its "
            "next renewal on, and seats added now are free until then (say why in the "
            "reason). To bill them now, the customer changes seats in the checkout or "
            "accepts a proposal.",
            SeatsForm,
            lambda license, actor, form: licenses.license_change_seats(
                license=license,
                seats=form.cleaned_data["seats"],
                actor=actor,
                reason=form.cleaned_data["reason"],
            ),
        ),
        Operation(
            "grant-override",
            "Grant override",
            "Grant",
            "A feature, or a different value for a limit, on this license only, on top of "
            "its tier and add-ons.",
            OverrideForm,
            lambda license, actor, form: licenses.entitlement_override_grant(
                license=license,
                actor=actor,
                reason=form.cleaned_data["reason"],
                **form.service_arguments(),
            ),
        ),
        Operation(
            "revoke-override",
            "Revoke override",
            "Revoke override",
            "The override stops counting now; the ledger keeps it.",
            OverrideRevokeForm,
            lambda license, actor, form: licenses.entitlement_override_revoke(
                override=form.cleaned_data["override"],
                actor=actor,
                reason=form.cleaned_data["reason"],
            ),
            offered=lambda license: license.overrides.filter(revoked_at__isnull=True).exists(),
        ),
        Operation(
            "addon",
            "Set add-on",
            "Set add-on",
            "How many units of an add-on the license has (0 removes it).",
            AddonForm,
            lambda license, actor, form: licenses.license_set_addon(
                license=license,
                addon=form.cleaned_data["addon"],
                quantity=form.cleaned_data["quantity"],
                actor=actor,
                reason=form.cleaned_data["reason"],
            ),
        ),
        Operation(
            "version",
            "Change tier or version",
            "Move",
            "Move the license to another published version of its product. Its price "
            "is not changed here.",
            VersionForm,
            lambda license, actor, form: licenses.license_change_version(
                license=license,
                version=form.cleaned_data["version"],
                actor=actor,
                reason=form.cleaned_data["reason"],
            ),
        ),
        Operation(
            "renew",
            "Extend term",
            "Extend",
            "Move the last day of the current term later.",
            RenewForm,
            lambda license, actor, form: licenses.license_renew(
                license=license,
                term_end=form.cleaned_data["term_end"],
                actor=actor,
                reason=form.cleaned_data["reason"],
            ),
        ),
    ]
}


def _actor(request: HttpRequest) -> licenses.Actor:
    return licenses.Actor.of(request.user, "admin")


class _ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields


class AddonRowInline(_ReadOnlyInline):
    model = LicenseAddon
    fields = ["addon", "quantity"]
    verbose_name_plural = "add-ons (change with “Set add-on”)"


class OverrideInline(_ReadOnlyInline):
    model = EntitlementOverride
    fields = [
        "feature",
        "metric",
        "value",
        "reason",
        "granted_by",
        "starts_at",
        "ends_at",
        "revoked_at",
        "revoke",
    ]
    verbose_name_plural = "overrides (grant with “Grant override”)"

    @admin.display(description="")
    def revoke(self, override: EntitlementOverride) -> str:
        if override.revoked_at is not None:
            return "—"
        url = reverse(
            "admin:licensing_license_operate", args=[override.license_id, "revoke-override"]
        )
        return format_html('<a href="{}?override={}">Revoke…</a>', url, override.pk)


class MachineInline(_ReadOnlyInline):
    model = Machine
    fields = ["name", "fingerprint", "activated_at", "deactivated_at"]


class HoldInline(_ReadOnlyInline):
    model = LicenseHold
    fields = ["source", "reason", "placed_at", "placed_by", "lifted_at", "lifted_by", "lift_reason"]
    verbose_name_plural = "holds (staff's: “Suspend” and “Reinstate”)"


class EventInline(_ReadOnlyInline):
    model = LicenseEvent
    fields = ["happened_at", "kind", "actor_label", "reason", "before", "after", "revision"]
    verbose_name_plural = "ledger (append-only)"


class FileInline(_ReadOnlyInline):
    model = LicenseFile
    fields = ["issued_at", "revision", "serial", "expires_on", "key_id"]
    verbose_name_plural = "license files issued"

    def get_queryset(self, request):
        return super().get_queryset(request).defer("body")


@admin.register(License)
class LicenseAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The plain form never writes: licenses are issued by checkout and changed by the
    operations, so there is no add, change or delete here."""

    list_display = [
        "organization",
        "product",
        "tier",
        "status",
        "seats",
        "term_start",
        "term_end",
        "key_prefix",
    ]
    list_filter = ["status", "product", "version__tier"]
    list_select_related = ["organization", "product", "version__tier"]
    search_fields = ["organization__name", "organization__slug", "key_prefix"]
    fields = [
        "organization",
        "product",
        "version",
        "status",
        "seats",
        "term_start",
        "term_end",
        "auto_renew",
        "key_prefix",
        "revision",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields
    inlines = [
        AddonRowInline,
        OverrideInline,
        MachineInline,
        HoldInline,
        EventInline,
        FileInline,
    ]
    actions = [f"bulk_{slug}" for slug, op in OPERATIONS.items() if op.bulk]
    change_form_template = "admin/licensing/license/change_form.html"

    def get_search_results(self, request, queryset, search_term):
        # A pasted key is found by its prefix (TW-XXXXX), which is all that is stored.
        term = search_term.strip().upper()
        if term.startswith("TW-") and len(term) > 8:
            search_term = term[:8]
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description="tier / version", ordering="version__tier__order")
    def tier(self, license: License) -> str:
        return f"{license.version.tier.name} v{license.version.number}"

    def has_operate_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("licensing.change_license")

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        may_operate = obj is not None and self.has_operate_permission(request, obj)
        context["operations"] = [
            op for op in OPERATIONS.values() if may_operate and op.offered(obj)
        ]
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    def get_urls(self):
        return [
            path(
                "<int:pk>/operate/<slug:operation>/",
                self.admin_site.admin_view(self.operate_view),
                name="licensing_license_operate",
            ),
            *super().get_urls(),
        ]

    def _page(self, request, operation: Operation, targets, form, **context) -> HttpResponse:
        return confirm_page(
            self,
            request,
            OPERATE_TEMPLATE,
            f"{operation.title}?",
            operation=operation,
            targets=targets,
            form=form,
            **context,
        )

    def operate_view(self, request: HttpRequest, pk: int, operation: str) -> HttpResponse:
        license = get_object_or_404(
            self.get_queryset(request).select_related("organization", "product", "version__tier"),
            pk=pk,
        )
        change_url = reverse("admin:licensing_license_change", args=[pk])
        op = OPERATIONS.get(operation)
        if op is None or not self.has_operate_permission(request, license):
            messages.error(request, "That is not an operation you can perform on licenses.")
            return redirect(change_url)
        initial = {"override": request.GET.get("override")} if "override" in request.GET else {}
        form = op.form(
            request.POST if request.method == "POST" else None, license=license, initial=initial
        )
        if request.method == "POST" and form.is_valid():
            try:
                op.perform(license, _actor(request), form)
            except ValidationError as error:
                # The service refused inside its transaction: nothing was written.
                for text in error.messages:
                    form.add_error(None, text)
            else:
                messages.success(request, f"{op.title}: done on {license}. The ledger has it.")
                return redirect(change_url)
        return self._page(
            request, op, [license], form, form_action=request.path, hidden=[], cancel=change_url
        )

    def _bulk(self, request: HttpRequest, queryset: QuerySet[License], slug: str):
        op = OPERATIONS[slug]
        targets = list(queryset.select_related("organization", "product", "version__tier"))
        form = ReasonForm(request.POST if "confirm" in request.POST else None, license=None)
        if "confirm" in request.POST and form.is_valid():
            for license in targets:
                try:
                    op.perform(license, _actor(request), form)
                except ValidationError as error:
                    for text in error.messages:
                        messages.error(request, f"{license}: not changed. {text}")
                else:
                    messages.success(request, f"{op.title}: done on {license}.")
            return None
        hidden = action_fields(f"bulk_{slug}", targets)
        return self._page(
            request,
            op,
            targets,
            form,
            form_action="",
            hidden=hidden,
            cancel=reverse("admin:licensing_license_changelist"),
        )

    @admin.action(description="Suspend selected licenses…", permissions=["operate"])
    def bulk_suspend(self, request, queryset):
        return self._bulk(request, queryset, "suspend")

    @admin.action(description="Revoke selected licenses…", permissions=["operate"])
    def bulk_revoke(self, request, queryset):
        return self._bulk(request, queryset, "revoke")

    @admin.action(description="Reinstate selected licenses…", permissions=["operate"])
    def bulk_reinstate(self, request, queryset):
        return self._bulk(request, queryset, "reinstate")


@admin.register(LicenseEvent)
class LicenseEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The ledger: append-only, so read-only here too."""

    list_display = ["happened_at", "license", "kind", "actor_label", "reason", "revision"]
    list_filter = ["kind"]
    list_select_related = ["license__organization", "license__version__tier"]
    search_fields = ["license__organization__name", "license__key_prefix", "reason"]
    date_hierarchy = "happened_at"


@admin.register(Machine)
class MachineAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "license", "fingerprint", "activated_at", "deactivated_at"]
    list_select_related = ["license__organization", "license__version__tier"]
    search_fields = ["fingerprint", "name", "license__organization__name"]


@admin.register(UsageRecord)
class UsageRecordAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["recorded_at", "license", "metric", "quantity", "period", "idempotency_key"]
    list_filter = ["metric", "period"]
    list_select_related = ["license__organization", "license__version__tier", "metric"]
    search_fields = ["license__organization__name", "idempotency_key"]


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only but for revoking, which goes through the service so the token stops
    working at once."""

    list_display = ["name", "organization", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["organization"]
    search_fields = ["name", "prefix", "organization__name"]
    actions = ["revoke_tokens"]

    def has_revoke_permission(self, request) -> bool:
        return request.user.has_perm("licensing.change_apitoken")

    @admin.action(description="Revoke selected tokens…", permissions=["revoke"])
    def revoke_tokens(self, request: HttpRequest, queryset: QuerySet[ApiToken]):
        tokens = list(queryset.select_related("organization"))
        if "confirm" not in request.POST:
            return confirm_page(
                self,
                request,
                "admin/licensing/apitoken/confirm_revoke.html",
                "Revoke API tokens?",
                tokens=tokens,
                hidden=action_fields("revoke_tokens", tokens),
            )
        for token in tokens:
            try:
                api_token_revoke(token=token)
            except ValidationError as error:
                messages.error(request, f"{token}: {' '.join(error.messages)}")
            else:
                messages.success(request, f"Revoked {token}; it stops working now.")
        return None


class AddonLimitInline(admin.TabularInline):
    """The room each unit adds; read-only once a license has bought the add-on."""

    model = AddonLimit
    extra = 0

    def has_add_permission(self, request, obj=None) -> bool:
        return super().has_add_permission(request, obj) and not _bought(obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and not _bought(obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and not _bought(obj)


def _bought(addon: Addon | None) -> bool:
    return addon is not None and addon.bought_count > 0


@admin.register(Addon)
class AddonAdmin(admin.ModelAdmin):
    """Add-ons are catalog: what one unit adds. Licenses get them through "Set add-on".
    Once bought, what one grants is frozen (its licenses keep what they bought, and
    nothing would be on their record): only its description may change."""

    list_display = ["name", "key", "product", "bought_count"]
    list_filter = ["product"]
    search_fields = ["name", "key"]
    filter_horizontal = ["features"]
    inlines = [AddonLimitInline]

    @admin.display(description="Licenses that bought it")
    def bought_count(self, addon: Addon) -> int:
        return addon.bought_count

    def get_readonly_fields(self, request, obj=None):
        return ["product", "key", "name", "features"] if _bought(obj) else []

    def get_fieldsets(self, request, obj=None):
        fields = ["product", "key", "name", "description", "features"]
        if not _bought(obj):
            return [(None, {"fields": fields})]
        count = obj.bought_count
        return [
            (
                None,
                {
                    "fields": fields,
                    "description": (
                        f"Bought on {count} license{'s' if count != 1 else ''}: what it grants "
                        "is frozen, so they keep what they bought. To sell something else, "
                        "add a new add-on."
                    ),
                },
            )
        ]
