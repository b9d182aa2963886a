from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.urls import reverse

from portal.admin_history import HistoryAdmin
from portal.models import Invitation, Membership, Organization, OutboundEmail, User


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


class MembershipInline(admin.TabularInline):
    model = Membership
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


@admin.register(Membership)
class MembershipAdmin(HistoryAdmin):
    list_display = ["user", "organization", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "organization__name"]
    autocomplete_fields = ["user", "organization"]


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
