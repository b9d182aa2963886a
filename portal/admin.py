from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from portal.admin_history import HistoryAdmin
from portal.models import Invitation, Membership, Organization, OutboundEmail, Role, User
from portal.services import (
    LAST_OWNER_DEMOTED,
    LAST_OWNER_REMOVED,
    membership_change_role,
    membership_is_last_owner,
    membership_remove,
)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active", "date_joined"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Personal info", {"fields": ["first_name", "last_name"]}),
        (
            "Permissions",
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("Important dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]}),
    ]
    # Who is staff, and with which permissions, is for admins to decide.
    admin_only_fields = ["is_staff", "is_superuser", "groups", "user_permissions"]


class MembershipAdminForm(forms.ModelForm):
    """Refuses what portal.services refuses: the last owner demoted, or moved to another
    organization, which leaves this one without an owner. Nothing is saved."""

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None:
            return cleaned
        stored = Membership.objects.get(pk=self.instance.pk)
        leaves = cleaned.get("role") != Role.OWNER or (
            cleaned.get("organization", stored.organization) != stored.organization
        )
        if leaves and membership_is_last_owner(stored):
            raise ValidationError(LAST_OWNER_DEMOTED)
        return cleaned


class MembershipFormSet(forms.BaseInlineFormSet):
    """The organization page's members, demoted or deleted together: one owner at least
    must stay, as portal.services keeps it."""

    def clean(self):
        super().clean()
        if not self.instance.pk or any(form.errors for form in self.forms):
            return
        owners_before = Membership.objects.filter(
            organization=self.instance, role=Role.OWNER
        ).exists()
        listed = {form.instance.pk for form in self.forms if form.instance.pk}
        owners_after = (
            Membership.objects.filter(organization=self.instance, role=Role.OWNER)
            .exclude(pk__in=listed)
            .exists()
        ) or any(
            form.cleaned_data.get("role") == Role.OWNER
            and not self._should_delete_form(form)
            and form.cleaned_data.get("user")
            for form in self.forms
        )
        if owners_before and not owners_after:
            raise ValidationError(
                "An organization needs at least one owner: the last one can be neither "
                "demoted nor removed. Make someone else an owner first."
            )


class MembershipInline(admin.TabularInline):
    model = Membership
    # Checked together, not row by row: one save may make a member owner and demote the
    # owner before.
    formset = MembershipFormSet
    extra = 0
    autocomplete_fields = ["user"]


class InvitationInline(admin.TabularInline):
    model = Invitation
    extra = 0
    fields = [
        "email",
        "role",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "revoked_at",
    ]
    readonly_fields = ["invited_by", "created_at", "accepted_at"]


@admin.register(Organization)
class OrganizationAdmin(HistoryAdmin):
    list_display = ["name", "slug", "account_manager", "created_at"]
    list_filter = ["account_manager"]
    search_fields = ["name", "slug", "memberships__user__email"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline, InvitationInline]
    # When the organization joined is a fact, for nobody to rewrite.
    readonly_fields = ["created_at"]
    # Only admins assign account managers, and only they change the slug: it is in every
    # /app/<slug>/ address the customer has bookmarked or been emailed.
    admin_only_fields = ["account_manager", "slug"]

    def get_prepopulated_fields(self, request, obj=None):
        # A slug shown read-only has no field for the name to fill in.
        if "slug" in self.get_readonly_fields(request, obj):
            return {}
        return super().get_prepopulated_fields(request, obj)

    def view_on_site(self, obj: Organization) -> str:
        """The account's page in the book (the customer's own pages are for members)."""
        return reverse("manage_account", args=[obj.pk])


def _last_owners(memberships: list[Membership]) -> list[Membership]:
    """The owners among `memberships` whose organization would have none left were they
    all deleted together."""
    deleted = {m.pk for m in memberships}
    last = []
    for membership in memberships:
        if membership.role != Role.OWNER:
            continue
        others = Membership.objects.filter(
            organization_id=membership.organization_id, role=Role.OWNER
        ).exclude(pk__in=deleted)
        if not others.exists():
            last.append(membership)
    return last


@admin.register(Membership)
class MembershipAdmin(HistoryAdmin):
    form = MembershipAdminForm
    list_display = ["user", "organization", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "organization__name"]
    autocomplete_fields = ["user", "organization"]

    def get_deleted_objects(self, objs, request):
        # The last owner is protected: the confirmation page says so and its POST
        # deletes nothing (Django refuses a deletion with anything protected).
        to_delete, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        last = _last_owners(list(objs))
        if last:
            messages.error(request, LAST_OWNER_REMOVED)
            protected = [
                *protected,
                *(f"{m.user}: the last owner of {m.organization}" for m in last),
            ]
        return to_delete, model_count, perms_needed, protected

    def get_readonly_fields(self, request, obj=None):
        # A membership is one person in one organization: another person or place is
        # another membership (added, or removed through the service).
        readonly = list(super().get_readonly_fields(request, obj))
        return [*readonly, "user", "organization"] if obj is not None else readonly

    def save_model(self, request, obj: Membership, form, change: bool) -> None:
        if change and "role" in form.changed_data:
            # Under the organization's lock, the last owner checked again.
            membership_change_role(membership=obj, role=obj.role)
            return
        super().save_model(request, obj, form, change)

    def delete_model(self, request, obj: Membership) -> None:
        membership_remove(membership=obj)

    @transaction.atomic
    def delete_queryset(self, request, queryset) -> None:
        for membership in queryset:
            membership_remove(membership=membership)


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    list_display = ["subject", "to", "created_at", "sent_at", "attempts"]
    list_filter = ["sent_at"]
    search_fields = ["to", "subject"]
    readonly_fields = [f.name for f in OutboundEmail._meta.fields]
    # Every customer's mail, with invitation and password-reset links in it.
    admins_only = True

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
