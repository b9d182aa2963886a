"""Pieces shared by the admin's confirmation pages (catalog and licenses)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse


def confirm_page(model_admin, request: HttpRequest, template: str, title: str, **context):
    return TemplateResponse(
        request,
        template,
        {
            **model_admin.admin_site.each_context(request),
            "opts": model_admin.model._meta,
            "title": title,
            **context,
        },
    )


def action_fields(action: str, objects) -> list[tuple[str, object]]:
    """The fields a confirmation page posts back so the changelist reruns the action."""
    return [("action", action), *((admin.helpers.ACTION_CHECKBOX_NAME, o.pk) for o in objects)]


class ReadOnlyAdminMixin:
    """Nothing to add, change or delete: records (ledgers, changelogs, usage) to read.
    Also for inlines, whose permission checks take the parent object."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
