from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
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
        return super().history_form_view(request, object_id, version_id, extra_context)
