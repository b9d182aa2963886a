from contextlib import contextmanager

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import reverse

from portal.admin_history import HistoryAdmin
from portal.admin_input import AutocompleteSelect
from portal.admin_scoping import is_admin, scope_queryset
from portal.models import Invitation, Membership, Organization, OutboundEmail, Role, User
from portal.services import (
    LAST_OWNER_DEMOTED,
    LAST_OWNER_REMOVED,
    invitation_create,
    invitation_revoke,
    last_owner_refusal,
    membership_add,
    membership_change_role,
    membership_is_last_owner,
    membership_remove,
    organization_create,
    organization_delete,
    organization_deletion_refusal,
    organization_update,
    user_delete,
)


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


class DeletionRefusals:
    """Deletions go through a service (delete_model, delete_queryset). A refusal it sees
    under its lock that the confirmation page did not (a race) rolls the deletion back
    and is shown as a message, after a redirect: never a 500."""

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as refused:
            return self._refused(request, refused)

    def response_action(self, request, queryset):
        try:
            # One transaction: the deletions' log entries go with a refused deletion.
            with transaction.atomic():
                return super().response_action(request, queryset)
        except ValidationError as refused:
            return self._refused(request, refused)

    def _refused(self, request, refused: ValidationError) -> HttpResponseRedirect:
        for reason in refused.messages:
            messages.error(request, reason)
        return HttpResponseRedirect(request.get_full_path())


@admin.register(User)
class UserAdmin(DeletionRefusals, BaseUserAdmin):
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

    def get_deleted_objects(self, objs, request):
        # The last owner of an organization is protected: the confirmation page names
        # the organization and its POST deletes nothing (Django refuses a deletion with
        # anything protected). Everyone else leaves through membership_remove.
        to_delete, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        memberships = Membership.objects.filter(user__in=objs).select_related(
            "user", "organization"
        )
        last = _last_owners(list(memberships))
        for membership in last:
            messages.error(request, last_owner_refusal(membership))
        protected = [*protected, *(f"{m.user}: the last owner of {m.organization}" for m in last)]
        return to_delete, model_count, perms_needed, protected

    def delete_model(self, request, obj: User) -> None:
        user_delete(user=obj)

    @transaction.atomic
    def delete_queryset(self, request, queryset) -> None:
        for user in queryset:
            user_delete(user=user)


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


class Refused(Exception):
    """A service refused part of the organization page's save: `where` is the formset's
    prefix ("memberships", "invitations") or ADD_FORM. Raised inside the admin's
    transaction, so the whole save is rolled back (OrganizationAdmin.changeform_view)."""

    def __init__(self, where: str, reasons: list[str]):
        super().__init__(where, reasons)
        self.where = where
        self.reasons = reasons


ADD_FORM = "form"


class ServiceFormSet(forms.BaseInlineFormSet):
    """An inline whose rows a service saves. `refused` are the reasons a service gave on
    an earlier attempt at the same save, shown as the formset's errors."""

    def __init__(self, *args, refused: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.refused = refused or []

    def clean(self):
        super().clean()
        if self.refused:
            raise ValidationError(self.refused)


class MembershipInlineForm(forms.ModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A membership is one person in one organization: another person is another
        # membership, added or removed through the services (as on the membership's page).
        if self.instance.pk is not None and "user" in self.fields:
            self.fields["user"].disabled = True


class MembershipFormSet(ServiceFormSet):
    """The organization page's members, saved one row at a time by portal.services:
    membership_add, membership_change_role and membership_remove, each under the
    organization's lock with its last-owner rule."""

    def save(self, commit: bool = True) -> list[Membership]:
        """In the order that never leaves the organization without an owner midway:
        new members and promotions first, then demotions, then removals. So a save that
        swaps owners passes, and one that would leave none is refused by the service at
        the step that removes the last owner. A refusal raises Refused, which rolls
        back the admin's whole save."""
        if not commit:
            raise ValueError("Members are saved through the services, never uncommitted.")
        marked = self.deleted_forms
        deleted = [form for form in self.initial_forms if form in marked]
        changed = [
            form
            for form in self.initial_forms
            if form not in deleted and form.has_changed() and "role" in form.changed_data
        ]
        changed.sort(key=lambda form: form.cleaned_data["role"] != Role.OWNER)
        added = [
            form
            for form in self.extra_forms
            if form.has_changed() and not self._should_delete_form(form)
        ]
        self.new_objects, self.changed_objects, self.deleted_objects = [], [], []
        for form in added:
            user = form.cleaned_data["user"]
            with _refusal_of("memberships", user):
                membership = membership_add(
                    organization=self.instance, user=user, role=form.cleaned_data["role"]
                )
            self.new_objects.append(membership)
        for form in changed:
            with _refusal_of("memberships", form.instance.user):
                membership = membership_change_role(
                    membership=form.instance, role=form.cleaned_data["role"]
                )
            self.changed_objects.append((membership, ["role"]))
        for form in deleted:
            with _refusal_of("memberships", form.instance.user):
                membership_remove(membership=form.instance)
            self.deleted_objects.append(form.instance)
        return [*self.new_objects, *(membership for membership, _ in self.changed_objects)]


@contextmanager
def _refusal_of(where: str, subject=None):
    """A service's refusal as Refused, each reason naming `subject` when given."""
    try:
        yield
    except ValidationError as refused:
        reasons = [f"{subject}: {reason}" if subject else reason for reason in refused.messages]
        raise Refused(where, reasons) from refused


class MembershipInline(admin.TabularInline):
    model = Membership
    form = MembershipInlineForm
    # Saved together, in an order, not row by row: one save may make a member owner and
    # demote the owner before.
    formset = MembershipFormSet
    extra = 0
    autocomplete_fields = ["user"]
    # When someone joined is a fact; the service sets it.
    readonly_fields = ["created_at"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Inlines are not mixed with OrganizationScopedAdmin: an account manager given
        # the permission adds only people of their own customers, as on the
        # membership's page (a forged choice of another customer's person is refused).
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "user":
            formfield.queryset = scope_queryset(formfield.queryset, request.user)
        return formfield


class InvitationInlineForm(forms.ModelForm):
    """A new row is an invitation to send (address and role); a sent one is a fact,
    read-only but for its "revoke" box while it is pending."""

    revoke = forms.BooleanField(
        required=False, help_text="Revoke this pending invitation: its link stops working."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        sent = self.instance.pk is not None
        for name in ("email", "role"):
            if sent and name in self.fields:
                self.fields[name].disabled = True
        # A new row has nothing to revoke yet; a sent one only while it is pending.
        if "revoke" in self.fields and (
            not sent or self.instance.status != Invitation.Status.PENDING
        ):
            self.fields["revoke"].disabled = True

    def validate_unique(self):
        # invitation_create decides, under the organization's lock: a pending invitation
        # to the address is refused, an expired one is closed and replaced (the model's
        # one-open-invitation constraint would refuse both).
        pass


class InvitationFormSet(ServiceFormSet):
    """The organization page's invitations: new rows sent by invitation_create (invited
    by the staff member saving, the email queued in the outbox), ticked ones revoked by
    invitation_revoke; revocations first, so an address can be revoked and invited again
    in one save. Never saved or deleted as rows."""

    def __init__(self, *args, invited_by: User | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.invited_by = invited_by

    def save(self, commit: bool = True) -> list[Invitation]:
        if not commit:
            raise ValueError("Invitations are saved through the services, never uncommitted.")
        revoked = [
            form
            for form in self.initial_forms
            if form.has_changed() and form.cleaned_data.get("revoke")
        ]
        added = [form for form in self.extra_forms if form.has_changed()]
        self.new_objects, self.changed_objects, self.deleted_objects = [], [], []
        for form in revoked:
            with _refusal_of("invitations", form.instance):
                invitation = invitation_revoke(invitation=form.instance)
            self.changed_objects.append((invitation, ["revoked_at"]))
        for form in added:
            with _refusal_of("invitations"):
                invitation = invitation_create(
                    organization=self.instance,
                    email=form.cleaned_data["email"],
                    role=form.cleaned_data["role"],
                    invited_by=self.invited_by,
                )
            self.new_objects.append(invitation)
        return [*self.new_objects, *(invitation for invitation, _ in self.changed_objects)]


class InvitationInline(admin.TabularInline):
    model = Invitation
    form = InvitationInlineForm
    formset = InvitationFormSet
    extra = 0
    fields = [
        "email",
        "role",
        "status",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "revoked_at",
        "revoke",
    ]
    # Set by the services: who invited and when, until when the link works, and what
    # became of it.
    readonly_fields = [
        "status",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "revoked_at",
    ]

    @admin.display(description="status")
    def status(self, invitation: Invitation) -> str:
        return invitation.get_status_display() if invitation.pk else "-"

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        # Revoking is changing an invitation: without the permission there is no box.
        if not self.has_change_permission(request, obj):
            fields = [name for name in fields if name != "revoke"]
        return fields

    def has_delete_permission(self, request, obj=None) -> bool:
        # An invitation is revoked, never deleted: what was sent to whom stays.
        return False


class OrganizationAddForm(forms.ModelForm):
    """Adding an organization is organization_create: its name (the slug is made from
    it) and its first owner, an existing person. Others are invited or added from its
    page afterwards."""

    owner = forms.ModelChoiceField(
        queryset=User.objects.none(),
        help_text="An existing person, the organization's first owner. Invite or add "
        "others from its page once it is created.",
    )
    # The reasons organization_create gave on an earlier attempt at the same save.
    refused: list[str] = []

    def clean(self):
        cleaned = super().clean()
        if self.refused:
            raise ValidationError(self.refused)
        return cleaned


@admin.register(Organization)
class OrganizationAdmin(DeletionRefusals, HistoryAdmin):
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

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            # organization_create's questions; the slug is made from the name.
            fields = ["name", "owner"]
            if is_admin(request.user):
                fields.append("account_manager")
            return [(None, {"fields": fields})]
        return super().get_fieldsets(request, obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            # The owner's choices are scoped like every admin foreign key: an account
            # manager given the permission names only a person of their own customers.
            people = scope_queryset(User.objects.filter(is_active=True), request.user)
            owner = OrganizationAddForm.base_fields["owner"]
            kwargs["form"] = type(
                "OrganizationAddForm",
                (OrganizationAddForm,),
                {
                    "owner": forms.ModelChoiceField(
                        queryset=people,
                        help_text=owner.help_text,
                        widget=AutocompleteSelect(
                            Membership._meta.get_field("user"), self.admin_site
                        ),
                    ),
                    "refused": getattr(request, "admin_refused", {}).get(ADD_FORM, []),
                },
            )
        return super().get_form(request, obj, change, **kwargs)

    def get_inlines(self, request, obj):
        # Members and invitations come once the organization exists: its first owner is
        # part of adding it.
        return self.inlines if obj is not None else []

    def get_prepopulated_fields(self, request, obj=None):
        # A slug shown read-only, or made by the service, has no field for the name to
        # fill in.
        if obj is None or "slug" in self.get_readonly_fields(request, obj):
            return {}
        return super().get_prepopulated_fields(request, obj)

    def save_model(self, request, obj: Organization, form, change: bool) -> None:
        if change:
            # The form set the fields this user may change; the rest are as stored.
            updated = organization_update(
                organization=obj,
                name=obj.name,
                slug=obj.slug,
                account_manager=obj.account_manager,
            )
            for field in ("name", "slug", "account_manager_id"):
                setattr(obj, field, getattr(updated, field))
            return
        with _refusal_of(ADD_FORM):
            created = organization_create(
                name=obj.name,
                owner=form.cleaned_data["owner"],
                account_manager=obj.account_manager if is_admin(request.user) else None,
            )
        # The admin goes on with its own object: its log entry and the redirect.
        for field in Organization._meta.concrete_fields:
            setattr(obj, field.attname, getattr(created, field.attname))
        obj._state.adding, obj._state.db = False, created._state.db

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except Refused as refused:
            # Raised inside the admin's transaction, which rolled the whole save back:
            # the page is built again from the same POST, the reasons where they belong.
            request.admin_refused = {refused.where: refused.reasons}
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if issubclass(inline.formset, ServiceFormSet):
            kwargs["refused"] = getattr(request, "admin_refused", {}).get(prefix)
        if isinstance(inline, InvitationInline):
            kwargs["invited_by"] = request.user
        return kwargs

    def get_deleted_objects(self, objs, request):
        # An organization billing or licensing keeps anything of is protected: the
        # confirmation page says what and its POST deletes nothing (Django refuses a
        # deletion with anything protected). Others go through organization_delete.
        to_delete, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        refusals = [r for r in map(organization_deletion_refusal, objs) if r]
        for refusal in refusals:
            messages.error(request, refusal)
        return to_delete, model_count, perms_needed, [*protected, *refusals]

    def delete_model(self, request, obj: Organization) -> None:
        organization_delete(organization=obj)

    @transaction.atomic
    def delete_queryset(self, request, queryset) -> None:
        for organization in queryset.order_by("pk"):
            organization_delete(organization=organization)

    def view_on_site(self, obj: Organization) -> str:
        """The account's page in the book (the customer's own pages are for members)."""
        return reverse("manage_account", args=[obj.pk])


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
        # another membership (added, or removed through the service). When they joined
        # is a fact, which the service sets.
        readonly = [*super().get_readonly_fields(request, obj), "created_at"]
        return [*readonly, "user", "organization"] if obj is not None else readonly

    def save_model(self, request, obj: Membership, form, change: bool) -> None:
        # Under the organization's lock, the last owner checked again.
        if not change:
            added = membership_add(organization=obj.organization, user=obj.user, role=obj.role)
            obj.pk, obj.created_at = added.pk, added.created_at
        elif "role" in form.changed_data:
            membership_change_role(membership=obj, role=obj.role)

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
