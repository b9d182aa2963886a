"""Staff who are not admins reach only their own customers in the admin.

An account manager sees the rows of the organizations assigned to them and nothing
else: the lists, every page of one object (change, history, delete and the custom
operations), the actions, the autocomplete and raw-id lookups, the list filters and the
choices of every foreign key. An object of another customer answers 404, as on the
customer site, so its existence is not told either.

Whose a row is comes from the model: the chain of foreign keys that leads to an
Organization (a usage record's is `license__organization`); a person's rows follow
their memberships. TierwiseAdminSite mixes OrganizationScopedAdmin into every model
admin registered on it, ours, allauth's and any added later, so none can be forgotten.
Rows that lead to no organization (the catalog) are for every staff member whom the
permissions let in. A model admin with `admins_only = True` is for admins alone, and the
fields in its `admin_only_fields` (who manages a customer, who is staff) only admins
may change.
"""

from __future__ import annotations

import functools
from collections import deque

from django.contrib import admin
from django.contrib.admin.options import TO_FIELD_VAR
from django.contrib.admin.utils import get_fields_from_path, unquote
from django.contrib.auth import get_user_model
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest
from django.urls import URLPattern

from portal.admin_input import SafeInputAdmin
from portal.models import Organization

# The path parameters by which the admin's URLs name one object: Django's own views
# use object_id, its user admin's password page id, and our custom views pk.
OBJECT_KWARGS = ("object_id", "pk", "id")
# How far to follow foreign keys looking for the organization (usage → license → org).
_MAX_HOPS = 3
# From a person to their organizations: a reverse relation, so one person can be many rows.
_THROUGH_MEMBERSHIPS = "memberships__organization"


def _path_to(model: type[Model], target: type[Model]) -> str | None:
    """The shortest chain of forward foreign keys from model to target, as a lookup."""
    queue = deque([(model, "", 1)])
    seen = {model}
    while queue:
        current, prefix, hops = queue.popleft()
        for field in current._meta.get_fields():
            if not (field.many_to_one or field.one_to_one) or not field.concrete:
                continue
            lookup = f"{prefix}__{field.name}" if prefix else field.name
            if field.related_model is target:
                return lookup
            if hops < _MAX_HOPS and field.related_model not in seen:
                seen.add(field.related_model)
                queue.append((field.related_model, lookup, hops + 1))
    return None


@functools.cache
def owner_path(model: type[Model]) -> str | None:
    """The lookup from a row of model to the Organization it belongs to: "" for an
    organization itself, None for a model whose rows belong to no customer."""
    user_model = get_user_model()
    if model is Organization:
        return ""
    # A model whose shortest chain is not its owner's (a ledger row with an optional
    # checkout: the checkout's organization is two hops away, but most rows have none)
    # names the chain itself.
    declared = getattr(model, "ORGANIZATION_PATH", None)
    if declared is not None:
        return declared
    if model is user_model:
        return _THROUGH_MEMBERSHIPS
    path = _path_to(model, Organization)
    if path is not None:
        return path
    # A person's own rows (email addresses, authenticators) are theirs, and a person
    # belongs to the organizations they are a member of.
    path = _path_to(model, user_model)
    return f"{path}__{_THROUGH_MEMBERSHIPS}" if path else None


def is_admin(user) -> bool:
    return bool(getattr(user, "is_admin", False))


def scope_queryset(queryset: QuerySet, user) -> QuerySet:
    """queryset cut to the rows of the organizations user manages; whole for admins."""
    path = owner_path(queryset.model)
    if path is None or is_admin(user):
        return queryset
    if not user.is_authenticated:
        return queryset.none()
    lookup = f"{path}__account_manager" if path else "account_manager"
    if path.endswith(_THROUGH_MEMBERSHIPS):
        # A person in two of the manager's organizations would be listed twice.
        mine = queryset.model._default_manager.filter(**{lookup: user}).values("pk")
        return queryset.filter(pk__in=mine)
    return queryset.filter(**{lookup: user})


class OrganizationScopedAdmin:
    """Mixed into every ModelAdmin by TierwiseAdminSite; see the module docstring."""

    def _closed_to(self, request: HttpRequest) -> bool:
        # Read with getattr: the mixin comes first in the MRO, so a default set here
        # would hide the model admin's own `admins_only = True`.
        return getattr(self, "admins_only", False) and not is_admin(request.user)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return scope_queryset(super().get_queryset(request), request.user)

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        # `admin_only_fields` are shown to other staff but left out of their forms, so a
        # forged POST of one is ignored.
        readonly = super().get_readonly_fields(request, obj)
        only_admins = getattr(self, "admin_only_fields", [])
        if only_admins and not is_admin(request.user):
            return [*readonly, *only_admins]
        return readonly

    def has_module_permission(self, request: HttpRequest) -> bool:
        if self._closed_to(request):
            return False
        return super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        if self._closed_to(request):
            return False
        return super().has_view_permission(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return self._scoped_choices(
            super().formfield_for_foreignkey(db_field, request, **kwargs), request
        )

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        return self._scoped_choices(
            super().formfield_for_manytomany(db_field, request, **kwargs), request
        )

    def _scoped_choices(self, formfield, request: HttpRequest):
        # A forged choice of another customer's row fails validation like any bad id.
        if formfield is not None and hasattr(formfield, "queryset"):
            formfield.queryset = scope_queryset(formfield.queryset, request.user)
        return formfield

    def get_list_filter(self, request: HttpRequest):
        filters = super().get_list_filter(request)
        if is_admin(request.user):
            return filters
        return [self._related_only(entry) for entry in filters]

    def _related_only(self, entry):
        """A filter on a customer's rows offers only the values in the scoped list, not
        every row of the related model (another customer, another manager)."""
        if not isinstance(entry, str):
            return entry
        field = get_fields_from_path(self.model, entry)[-1]
        if field.is_relation and owner_path(field.related_model) is not None:
            return (entry, admin.RelatedOnlyFieldListFilter)
        return entry

    def get_urls(self) -> list[URLPattern]:
        urls = super().get_urls()
        if owner_path(self.model) is None:
            return urls
        return [
            URLPattern(p.pattern, self._object_in_scope(p.callback), p.default_args, p.name)
            for p in urls
        ]

    def _object_in_scope(self, view):
        """Every view that names one object, Django's, simple-history's and our own
        operations alike, answers 404 for an object outside the user's customers before
        it runs, so a custom view cannot forget to look."""

        @functools.wraps(view)
        def guarded(request: HttpRequest, *args, **kwargs):
            object_id = next((kwargs[k] for k in OBJECT_KWARGS if k in kwargs), None)
            user = request.user
            # Signed-out visitors and customers are sent to the login by the view itself.
            if object_id is not None and user.is_active and user.is_staff and not is_admin(user):
                to_field = request.POST.get(TO_FIELD_VAR, request.GET.get(TO_FIELD_VAR))
                if to_field and not self.to_field_allowed(request, to_field):
                    to_field = None
                if self.get_object(request, unquote(str(object_id)), to_field) is None:
                    raise Http404("No such object.")
            return view(request, *args, **kwargs)

        return guarded


class TierwiseAdminSite(admin.AdminSite):
    """The default admin site (portal.apps.TierwiseAdminConfig): every model admin
    registered on it is scoped to the user's customers, and answers bad form input with
    a form error (portal.admin_input)."""

    def get_urls(self):
        from django.urls import path

        from portal.admin_clock import clock_view

        clock = path("clock/", self.admin_view(clock_view(self)), name="test_clock")
        return [clock, *super().get_urls()]

    # What the index shows of the staff's workspace: a callable(request) -> dict that
    # portal.urls sets (the core reads nothing of billing), or None.
    workspace = None

    def index(self, request, extra_context=None):
        """The admin's landing page, with the way back to the staff's workspace: the
        book of accounts, the proposals and, for an admin, how many wait for approval."""
        workspace = self.workspace(request) if self.workspace else None
        return super().index(
            request, extra_context={"workspace": workspace} | (extra_context or {})
        )

    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, OrganizationScopedAdmin):
            admin_class = type(
                admin_class.__name__,
                (OrganizationScopedAdmin, SafeInputAdmin, admin_class),
                {"__module__": admin_class.__module__, "__qualname__": admin_class.__qualname__},
            )
        super().register(model_or_iterable, admin_class, **options)
