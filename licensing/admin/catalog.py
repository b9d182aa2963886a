"""The catalog in the admin. Published versions are read-only: "New draft from this
version" starts the next one. Publishing and retiring go through the services behind a
confirmation page, and every refusal comes back as a message, never an error page."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from licensing.admin.forms import PublishForm, RetireForm
from licensing.admin.pages import ReadOnlyAdminMixin, action_fields, confirm_page
from licensing.catalog.diff import describe_changes
from licensing.catalog.page import render_pricing_preview
from licensing.catalog.publishing import (
    policy_version_create_draft,
    policy_version_publish,
    tier_version_create_draft,
    tier_version_problems,
    tier_version_publish,
    tier_version_retire,
)
from licensing.catalog.selectors import version_snapshot, versions_with_parts
from licensing.models import (
    ChangelogEntry,
    Currency,
    Feature,
    LimitMetric,
    PolicySection,
    PolicyStatus,
    PolicyVersion,
    Product,
    Tier,
    TierVersion,
    TierVersionFeature,
    TierVersionLimit,
    TierVersionPrice,
    VersionStatus,
)
from licensing.models.licenses import KEY_LOCKS, bought_addons_with, key_uses
from portal.admin_history import HistoryAdmin


def _message_errors(request: HttpRequest, prefix: str, error: ValidationError) -> None:
    for text in error.messages:
        messages.error(request, f"{prefix}: {text}")


def _apply_each(request: HttpRequest, objects, act, *, failed: str, done: str) -> None:
    """Run a service on each object; a refusal becomes an error message, never a 500.
    `failed` and `done` are formats with {obj}."""
    for obj in objects:
        try:
            act(obj)
        except ValidationError as error:
            _message_errors(request, failed.format(obj=obj), error)
        else:
            messages.success(request, done.format(obj=obj))


class CatalogHistoryAdmin(HistoryAdmin):
    """Reverting a frozen version would rewrite what customers bought: changes go
    through a new draft instead (HistoryAdmin keeps history read-only)."""


@admin.register(Currency)
class CurrencyAdmin(CatalogHistoryAdmin):
    list_display = ["code", "name", "enabled", "order"]
    list_editable = ["enabled", "order"]

    def get_readonly_fields(self, request, obj=None):
        """A currency's code is what prices, subscriptions and invoices refer to: set
        once, when it is added (a wrong one is left disabled and another added)."""
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "code"] if obj is not None else fields


@admin.register(Product)
class ProductAdmin(CatalogHistoryAdmin):
    list_display = ["name", "slug", "order"]
    prepopulated_fields = {"slug": ["name"]}


class KeyLockAdminMixin:
    """A feature's or limit metric's key, once in use (key_uses), is shown read-only with
    the reason and what uses it; below the admin, refuse_key_change_if_used refuses it."""

    def _key_uses(self, request: HttpRequest, obj) -> list[str]:
        """Why the key is read-only (key_uses), read once per request."""
        if obj is None or obj.pk is None:
            return []
        found = request.__dict__.setdefault("_key_uses", {})
        if (self.model, obj.pk) not in found:
            found[self.model, obj.pk] = key_uses(self.model, obj.pk)
        return found[self.model, obj.pk]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "key"] if self._key_uses(request, obj) else fields

    def get_prepopulated_fields(self, request, obj=None):
        return {} if self._key_uses(request, obj) else super().get_prepopulated_fields(request, obj)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        uses = self._key_uses(request, obj)
        if not uses:
            return fieldsets
        lock = KEY_LOCKS[self.model]
        (name, options), *rest = fieldsets
        # The admin shows a description as HTML: the names in it are escaped.
        description = format_html(
            "The key is read-only: license files and the licensing API name this {} by it, "
            "and customers' software {}. In use by: {}. {}",
            lock.noun,
            lock.software,
            "; ".join(uses),
            lock.instead,
        )
        return [(name, {**options, "description": description}), *rest]


@admin.register(Feature)
class FeatureAdmin(KeyLockAdminMixin, CatalogHistoryAdmin):
    list_display = ["name", "key", "category", "product", "order"]
    list_filter = ["product", "category"]
    list_editable = ["order"]
    search_fields = ["name", "key", "outcome"]
    prepopulated_fields = {"key": ["name"]}

    def get_deleted_objects(self, objs, request):
        """A feature a bought add-on grants is protected, as one a published version
        grants is: the licenses that bought the add-on keep it."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        for addon in bought_addons_with([obj.pk for obj in objs]):
            protected.append(f"Add-on: {addon} (bought; it keeps what it grants)")
        return deleted, counts, perms_needed, protected


@admin.register(LimitMetric)
class LimitMetricAdmin(KeyLockAdminMixin, CatalogHistoryAdmin):
    list_display = ["name", "key", "unit", "reset_period", "product", "order"]
    list_filter = ["product", "reset_period"]
    prepopulated_fields = {"key": ["name"]}


class VersionListInline(admin.TabularInline):
    model = TierVersion
    fields = ["link", "status", "published_at", "retired_at", "notice_date", "successor"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False
    verbose_name_plural = "versions"

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="version")
    def link(self, version: TierVersion) -> str:
        url = reverse("admin:licensing_tierversion_change", args=[version.pk])
        return format_html('<a href="{}">v{}</a>', url, version.number)


@admin.register(Tier)
class TierAdmin(CatalogHistoryAdmin):
    list_display = ["name", "product", "order", "is_public", "is_highlighted", "trial_days"]
    list_filter = ["product", "is_public"]
    list_editable = ["order", "is_public", "is_highlighted", "trial_days"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [VersionListInline]
    actions = ["start_draft"]

    @admin.action(description="Start a new draft (from the published version)")
    def start_draft(self, request: HttpRequest, queryset: QuerySet[Tier]):
        for tier in queryset:
            source = versions_with_parts().filter(tier=tier, status=VersionStatus.PUBLISHED).first()
            try:
                draft = tier_version_create_draft(tier=tier, source=source)
            except ValidationError as error:
                _message_errors(request, str(tier), error)
            else:
                messages.success(request, f"Started {draft}.")


class DraftOnlyInlineMixin:
    """Rows of a frozen parent (published version or policy) are shown, never edited."""

    def _editable(self, obj) -> bool:
        # Tier versions and policies both call their editable state "draft".
        return obj is None or obj.status == VersionStatus.DRAFT

    def has_add_permission(self, request, obj=None) -> bool:
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._editable(obj) and super().has_delete_permission(request, obj)


class _DraftOnlyInline(DraftOnlyInlineMixin, admin.TabularInline):
    extra = 0


class FeatureInline(_DraftOnlyInline):
    model = TierVersionFeature
    autocomplete_fields = ["feature"]
    verbose_name_plural = "included features (anything not listed is shown as not included)"


class LimitInline(_DraftOnlyInline):
    model = TierVersionLimit
    fields = ["metric", "value", "warning_thresholds", "grace_percent"]
    verbose_name_plural = "limits (value blank = unlimited)"


class PriceInline(_DraftOnlyInline):
    model = TierVersionPrice
    fields = ["currency", "cycle", "amount", "per_seat", "min_seats"]
    verbose_name_plural = "prices (annual = the price of a whole year)"


@admin.register(TierVersion)
class TierVersionAdmin(CatalogHistoryAdmin):
    list_display = ["__str__", "tier", "number", "status", "published_at", "notice_date"]
    list_filter = ["status", "tier__product", "tier"]
    list_select_related = ["tier"]
    inlines = [FeatureInline, LimitInline, PriceInline]
    actions = ["publish_versions", "retire_versions", "new_draft_from_version"]
    change_form_template = "admin/licensing/tierversion/change_form.html"
    fieldsets = [
        (None, {"fields": ["tier", "number", "status", "problems"]}),
        (
            "Support",
            {
                "fields": [
                    "support_level",
                    "support_response_hours",
                    "support_channels",
                    "named_account_manager",
                    "training",
                ]
            },
        ),
        (
            "ROI calculator defaults",
            {"fields": ["roi_hours_saved_per_person_week", "roi_errors_avoided_per_year"]},
        ),
        ("Changelog", {"fields": ["changelog_note"]}),
        (
            "Lifecycle",
            {"fields": ["created_at", "published_at", "retired_at", "notice_date", "successor"]},
        ),
    ]
    base_readonly = [
        "number",
        "status",
        "problems",
        "created_at",
        "published_at",
        "retired_at",
        "notice_date",
        "successor",
    ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.base_readonly
        if obj.status != VersionStatus.DRAFT:
            return [f for fs in self.fieldsets for f in fs[1]["fields"]]
        return ["tier", *self.base_readonly]

    def has_delete_permission(self, request, obj=None) -> bool:
        # Only drafts can go: anything published may have customers on it.
        if obj is not None and obj.status != VersionStatus.DRAFT:
            return False
        return super().has_delete_permission(request, obj)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.status != VersionStatus.DRAFT:
            # Read-only: nothing to save (a new draft from it is how it changes).
            context.update(
                show_save=False, show_save_and_continue=False, show_save_and_add_another=False
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_deleted_objects(self, objs, request):
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        frozen = [str(v) for v in objs if v.status != VersionStatus.DRAFT]
        return deleted, model_count, perms_needed, protected + frozen

    @admin.display(description="ready to publish?")
    def problems(self, version: TierVersion) -> str:
        if version.pk is None or version.status != VersionStatus.DRAFT:
            return "—"
        problems = tier_version_problems(version)
        if not problems:
            return "Yes: complete."
        return format_html(
            "<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((p,) for p in problems))
        )

    def get_urls(self):
        urls = [
            path(
                "<int:pk>/publish/",
                self.admin_site.admin_view(self.publish_view),
                name="licensing_tierversion_publish",
            ),
            path(
                "<int:pk>/retire/",
                self.admin_site.admin_view(self.retire_view),
                name="licensing_tierversion_retire",
            ),
            path(
                "<int:pk>/new-draft/",
                self.admin_site.admin_view(self.new_draft_view),
                name="licensing_tierversion_new_draft",
            ),
            path(
                "<int:pk>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="licensing_tierversion_preview",
            ),
        ]
        return urls + super().get_urls()

    # --- publish ----------------------------------------------------------------------

    def _publish(self, request, versions, form_action: str, hidden: list):
        form = PublishForm(request.POST if "confirm" in request.POST else None)
        if "confirm" in request.POST and form.is_valid():
            notice_days = form.cleaned_data["notice_days"]
            _apply_each(
                request,
                versions,
                lambda version: tier_version_publish(version=version, notice_days=notice_days),
                failed="{obj} was not published",
                done="Published {obj.tier} v{obj.number}.",
            )
            return None
        rows = []
        for version in versions:
            previous = (
                versions_with_parts()
                .filter(tier_id=version.tier_id, status=VersionStatus.PUBLISHED)
                .first()
            )
            is_draft = version.status == VersionStatus.DRAFT
            rows.append(
                {
                    "version": version,
                    "previous": previous,
                    "problems": tier_version_problems(version)
                    if is_draft
                    else ["Only drafts can be published."],
                    "changes": describe_changes(
                        version_snapshot(previous) if previous else None,
                        version_snapshot(version),
                    ),
                }
            )
        return confirm_page(
            self,
            request,
            "admin/licensing/tierversion/confirm_publish.html",
            "Publish tier versions?",
            rows=rows,
            form=form,
            form_action=form_action,
            hidden=hidden,
            any_ready=any(not row["problems"] for row in rows),
        )

    @admin.action(description="Publish selected drafts…")
    def publish_versions(self, request: HttpRequest, queryset: QuerySet[TierVersion]):
        versions = list(versions_with_parts().filter(pk__in=queryset.values("pk")))
        return self._publish(
            request,
            versions,
            form_action="",
            hidden=action_fields("publish_versions", versions),
        )

    def publish_view(self, request: HttpRequest, pk: int):
        version = get_object_or_404(versions_with_parts(), pk=pk)
        if not self.has_change_permission(request, version):
            messages.error(request, "You may not publish catalog versions.")
            return redirect("admin:licensing_tierversion_change", pk)
        response = self._publish(request, [version], form_action=request.path, hidden=[])
        return response or redirect("admin:licensing_tierversion_change", pk)

    # --- retire -----------------------------------------------------------------------

    def _retire(self, request, versions, form_action: str, hidden: list):
        not_published = [v for v in versions if v.status != VersionStatus.PUBLISHED]
        if not_published:
            for version in not_published:
                messages.error(
                    request, f"{version} is not published; only published versions can be retired."
                )
            return None
        tier_ids = [v.tier_id for v in versions]
        form = RetireForm(
            request.POST if "confirm" in request.POST else None, excluded_tier_ids=tier_ids
        )
        if "confirm" in request.POST and form.is_valid():
            _apply_each(
                request,
                versions,
                lambda version: tier_version_retire(version=version, **form.cleaned_data),
                failed="{obj} was not retired",
                done="Retired {obj.tier} v{obj.number}.",
            )
            return None
        return confirm_page(
            self,
            request,
            "admin/licensing/tierversion/confirm_retire.html",
            "Retire tier versions?",
            versions=versions,
            form=form,
            form_action=form_action,
            hidden=hidden,
        )

    @admin.action(description="Retire selected published versions…")
    def retire_versions(self, request: HttpRequest, queryset: QuerySet[TierVersion]):
        versions = list(queryset.select_related("tier"))
        return self._retire(
            request,
            versions,
            form_action="",
            hidden=action_fields("retire_versions", versions),
        )

    def retire_view(self, request: HttpRequest, pk: int):
        version = get_object_or_404(TierVersion.objects.select_related("tier"), pk=pk)
        if not self.has_change_permission(request, version):
            messages.error(request, "You may not retire catalog versions.")
            return redirect("admin:licensing_tierversion_change", pk)
        response = self._retire(request, [version], form_action=request.path, hidden=[])
        return response or redirect("admin:licensing_tierversion_change", pk)

    # --- drafts and preview -----------------------------------------------------------

    def _new_draft(self, request, version: TierVersion) -> TierVersion | None:
        try:
            draft = tier_version_create_draft(tier=version.tier, source=version)
        except ValidationError as error:
            _message_errors(request, "No draft was started", error)
            return None
        messages.success(request, f"Started {draft} from v{version.number}.")
        return draft

    @admin.action(description="New draft from this version")
    def new_draft_from_version(self, request: HttpRequest, queryset: QuerySet[TierVersion]):
        versions = list(versions_with_parts().filter(pk__in=queryset.values("pk")))
        if len(versions) != 1:
            messages.error(request, "Pick exactly one version to start a draft from.")
            return None
        draft = self._new_draft(request, versions[0])
        if draft is not None:
            return redirect("admin:licensing_tierversion_change", draft.pk)
        return None

    def new_draft_view(self, request: HttpRequest, pk: int):
        version = get_object_or_404(versions_with_parts(), pk=pk)
        if request.method != "POST" or not self.has_add_permission(request):
            messages.error(request, "Use the button on the version's page to start a draft.")
            return redirect("admin:licensing_tierversion_change", pk)
        draft = self._new_draft(request, version)
        return redirect("admin:licensing_tierversion_change", draft.pk if draft else pk)

    def preview_view(self, request: HttpRequest, pk: int):
        version = get_object_or_404(TierVersion.objects.select_related("tier"), pk=pk)
        if version.status != VersionStatus.DRAFT:
            messages.info(
                request, "Only drafts have a preview; this version is already public or retired."
            )
            return redirect("admin:licensing_tierversion_change", pk)
        return render_pricing_preview(request, version)


@admin.register(ChangelogEntry)
class ChangelogEntryAdmin(ReadOnlyAdminMixin, CatalogHistoryAdmin):
    list_display = ["happened_at", "kind", "version", "reason"]
    list_filter = ["kind", "version__tier"]
    readonly_fields = ["version", "previous", "kind", "happened_at", "changes", "reason"]


class PolicySectionInline(DraftOnlyInlineMixin, admin.StackedInline):
    model = PolicySection
    extra = 0


@admin.register(PolicyVersion)
class PolicyVersionAdmin(CatalogHistoryAdmin):
    list_display = ["__str__", "effective_date", "status", "published_at"]
    list_filter = ["status"]
    inlines = [PolicySectionInline]
    actions = ["publish_policies", "new_policy_draft"]
    fields = ["number", "title", "summary", "effective_date", "status", "published_at"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status != PolicyStatus.DRAFT:
            return self.fields
        return ["number", "status", "published_at"]

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.status != PolicyStatus.DRAFT:
            return False
        return super().has_delete_permission(request, obj)

    @admin.action(description="Publish selected policy drafts…")
    def publish_policies(self, request: HttpRequest, queryset: QuerySet[PolicyVersion]):
        policies = list(queryset.prefetch_related("sections"))
        if "confirm" in request.POST:
            _apply_each(
                request,
                policies,
                lambda policy: policy_version_publish(policy=policy),
                failed="{obj} was not published",
                done="Published policy v{obj.number}.",
            )
            return None
        return confirm_page(
            self,
            request,
            "admin/licensing/policyversion/confirm_publish.html",
            "Publish policy versions?",
            policies=policies,
            hidden=action_fields("publish_policies", policies),
        )

    @admin.action(description="New draft from this version")
    def new_policy_draft(self, request: HttpRequest, queryset: QuerySet[PolicyVersion]):
        policies = list(queryset.prefetch_related("sections"))
        if len(policies) != 1:
            messages.error(request, "Pick exactly one policy version to start a draft from.")
            return None
        try:
            draft = policy_version_create_draft(source=policies[0])
        except ValidationError as error:
            _message_errors(request, "No draft was started", error)
            return None
        messages.success(request, f"Started {draft}.")
        return redirect("admin:licensing_policyversion_change", draft.pk)
