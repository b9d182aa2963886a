"""Admin input that Django answers with a 500, answered with a form error instead.
TierwiseAdminSite mixes SafeInputAdmin into every model admin, allauth's too.

- A JSON field given a number of more than 4,300 digits, or nesting deeper than Python's
  recursion limit: json.loads raises ValueError or RecursionError, and Django's JSON
  form field catches only JSONDecodeError.
- An autocomplete field given something that is not an id: the form refuses it, then
  the widget looks the value up to show it again, and that query fails.
"""

from __future__ import annotations

from django import forms
from django.contrib.admin import widgets
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.fields import InvalidJSONInput

UNREADABLE_JSON = (ValueError, RecursionError)


class JSONField(forms.JSONField):
    def to_python(self, value):
        try:
            return super().to_python(value)
        except UNREADABLE_JSON as exc:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from exc

    def bound_data(self, data, initial):
        try:
            return super().bound_data(data, initial)
        except UNREADABLE_JSON:
            return InvalidJSONInput(data)


class _ValidChoicesOnly:
    """Shows again only the submitted values that can be ids of the related model."""

    def optgroups(self, name, value, attr=None):
        target = self.field.remote_field.model._meta.get_field(self.field.remote_field.field_name)
        return super().optgroups(name, [v for v in value if _readable(target, v)], attr)


def _readable(field: models.Field, value) -> bool:
    try:
        field.to_python(value)
    except ValidationError:
        return False
    return True


class AutocompleteSelect(_ValidChoicesOnly, widgets.AutocompleteSelect):
    pass


class AutocompleteSelectMultiple(_ValidChoicesOnly, widgets.AutocompleteSelectMultiple):
    pass


class SafeInputAdmin:
    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, models.JSONField):
            kwargs.setdefault("form_class", JSONField)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.get_autocomplete_fields(request):
            kwargs.setdefault(
                "widget", AutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name in self.get_autocomplete_fields(request):
            kwargs.setdefault(
                "widget",
                AutocompleteSelectMultiple(db_field, self.admin_site, using=kwargs.get("using")),
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)
