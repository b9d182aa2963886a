"""Notices in the admin: every reminder sent (renewal, price rise, dunning, trial), to
read. Nothing to add, change or delete: a Notice is the record that it went out, and its
unique key is what keeps it from going out twice (billing.models.notices).

A notice belongs to an organization through its license or, for an invoice's notices,
its invoice: an account manager reads the notices of their own customers only, by either
path (the admin's automatic scoping follows one chain of foreign keys, so this admin
scopes itself)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from billing.models import Notice
from licensing.admin.pages import ReadOnlyAdminMixin
from portal.admin_input import SafeInputAdmin
from portal.admin_scoping import OrganizationScopedAdmin, is_admin


def notices_of_managed(queryset: QuerySet, user) -> QuerySet:
    """`queryset` cut to the notices of the organizations `user` manages (whole for
    admins), through the license or the invoice."""
    if is_admin(user):
        return queryset
    if not user.is_authenticated:
        return queryset.none()
    return queryset.filter(
        Q(license__organization__account_manager=user)
        | Q(invoice__organization__account_manager=user)
    )


@admin.register(Notice)
class NoticeAdmin(OrganizationScopedAdmin, SafeInputAdmin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["kind", "about", "period", "lead", "sent_on", "recipients", "organization"]
    list_filter = ["kind"]
    list_select_related = [
        "license__organization",
        "license__version__tier",
        "invoice__organization",
    ]
    search_fields = ["subject"]
    date_hierarchy = "sent_on"
    fields = [
        "kind",
        "subject",
        "period",
        "lead",
        "sent_on",
        "recipients",
        "license",
        "invoice",
        "created_at",
    ]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # Not OrganizationScopedAdmin's: it would follow the license alone and hide an
        # invoice's notices from the manager of its organization.
        return notices_of_managed(admin.ModelAdmin.get_queryset(self, request), request.user)

    @admin.display(description="about", ordering="subject")
    def about(self, notice: Notice) -> str:
        """What the notice is about, in words: its invoice's number or its license (the
        subject key, "invoice:34", is for the claim, not for people)."""
        if notice.invoice_id:
            return f"Invoice {notice.invoice.number or 'draft'}"
        if notice.license_id:
            return str(notice.license)
        return notice.subject

    @admin.display(description="organization")
    def organization(self, notice: Notice):
        owner = notice.license or notice.invoice
        return owner.organization if owner else "—"
