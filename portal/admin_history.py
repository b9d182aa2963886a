from django.contrib import messages
from django.contrib.admin.utils import display_for_field, unquote
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin


class HistoryAdmin(SimpleHistoryAdmin):
    """History to read, never to revert. simple-history's revert form saves the old row
    straight through the model form, for anyone who may merely view the history: it
    would bypass the services (a locked price reverted with no ledger entry, a member
    made owner by a view-only account manager) and rewrite frozen catalog versions.
    Changes go through each record's own form or operations instead.

    SimpleHistoryAdmin also answers a malformed id in a history URL with a 500; the rest
    of the admin answers it with a 404, and so does this."""

    def _require_valid(self, field, value) -> None:
        try:
            field.to_python(value)
        except (ValidationError, ValueError, TypeError) as exc:
            raise Http404("No such object.") from exc

    def revert_disabled(self, request, obj=None) -> bool:
        return True

    def history_view(self, request, object_id, extra_context=None):
        self._require_valid(self.model._meta.pk, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._require_valid(self.model._meta.pk, object_id)
        self._require_valid(self.model.history.model._meta.pk, version_id)
        # simple-history reads the past version straight from its table; the object must
        # be one this user may see (an account manager's own customers), as on every page.
        # Admins see every object's history, a deleted one's too.
        scoped = not getattr(request.user, "is_admin", False)
        if scoped and self.get_object(request, unquote(object_id)) is None:
            raise Http404("No such object.")
        if request.method not in ("GET", "HEAD"):
            messages.error(
                request,
                "History is read-only: change the record through its own page or operations.",
            )
            return redirect(request.path)
        return self.past_version_view(request, object_id, version_id)

    def past_version_view(self, request, object_id, version_id):
        """A past version as text, field by field (simple-history shows it as the change
        form, inputs and date pickers included, as though it could be edited)."""
        opts = self.model._meta
        record = get_object_or_404(
            self.model.history.model, **{opts.pk.attname: object_id, "history_id": version_id}
        )
        past = record.instance
        if not self.has_view_history_or_change_history_permission(request, past):
            raise PermissionDenied
        url = f"admin:{opts.app_label}_{opts.model_name}"
        context = {
            **self.admin_site.each_context(request),
            "title": f"{past} as it was",
            "subtitle": None,
            "opts": opts,
            "record": record,
            "rows": [(field.verbose_name, _shown(past, field)) for field in opts.fields],
            "change_url": reverse(f"{url}_change", args=[object_id]),
            "history_url": reverse(f"{url}_history", args=[object_id]),
            "changelist_url": reverse(f"{url}_changelist"),
        }
        return TemplateResponse(request, "admin/past_version.html", context)


def _shown(past, field):
    """A field's value as the admin shows a read-only one; a related object that is gone
    since shows its id."""
    if field.is_relation:
        try:
            related = getattr(past, field.name)
        except ObjectDoesNotExist:
            return f"#{getattr(past, field.attname)} (deleted)"
        return "-" if related is None else str(related)
    return display_for_field(getattr(past, field.attname), field, "-")
