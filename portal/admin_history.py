from django.core.exceptions import ValidationError
from django.http import Http404
from simple_history.admin import SimpleHistoryAdmin


class HistoryAdmin(SimpleHistoryAdmin):
    """SimpleHistoryAdmin answers a malformed id in a history URL with a 500; the rest
    of the admin answers it with a 404, and so does this."""

    def _require_valid(self, field, value) -> None:
        try:
            field.to_python(value)
        except (ValidationError, ValueError, TypeError) as exc:
            raise Http404("No such object.") from exc

    def history_view(self, request, object_id, extra_context=None):
        self._require_valid(self.model._meta.pk, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._require_valid(self.model._meta.pk, object_id)
        self._require_valid(self.model.history.model._meta.pk, version_id)
        return super().history_form_view(request, object_id, version_id, extra_context)
