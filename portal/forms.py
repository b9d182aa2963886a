from allauth.account.adapter import get_adapter
from allauth.core import context as allauth_context
from django import forms
from django.http import HttpRequest
from django.utils.html import format_html

from portal.access import CURRENT_ORGANIZATION_KEY
from portal.models import Invitation, Organization, Role
from portal.services import invitation_accept, organization_create

PENDING_INVITATION_KEY = "pending_invitation"


def pending_invitation(request: HttpRequest | None) -> Invitation | None:
    """The invitation a visitor opened before signing up, if it can still be used."""
    if request is None:
        return None
    token = request.session.get(PENDING_INVITATION_KEY)
    if not token:
        return None
    invitation = Invitation.objects.select_related("organization").filter(token=token).first()
    if invitation is None or invitation.status != Invitation.Status.PENDING:
        return None
    return invitation


class SignupExtraForm(forms.Form):
    """Fields added to allauth's sign-up form: a new customer names their organization;
    someone who came through an invitation joins that one instead."""

    organization_name = forms.CharField(
        label="Organization name",
        max_length=120,
        help_text="Your company or team. You can invite colleagues afterwards.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.invitation = pending_invitation(allauth_context.request)
        if self.invitation:
            field = self.fields["organization_name"]
            field.required = False
            # Help text may carry markup (Django renders a SafeString as it is), so a
            # name the organization's owner typed goes in only as an escaped argument.
            field.help_text = format_html(
                "You are joining {}. Leave this empty, or name a new organization of your "
                "own to create it as well.",
                self.invitation.organization.name,
            )
            if "email" in self.fields:
                self.fields["email"].initial = self.invitation.email

    def clean(self):
        cleaned = super().clean()
        email = (cleaned.get("email") or "").lower()
        joining = self.invitation and email == self.invitation.email.lower()
        if not joining and not (cleaned.get("organization_name") or "").strip():
            self.add_error(
                "organization_name",
                "Name your organization. (Only the invited address joins one automatically.)",
            )
        return cleaned

    def signup(self, request: HttpRequest, user) -> None:
        name = (self.cleaned_data.get("organization_name") or "").strip()
        if self.invitation and user.email.lower() == self.invitation.email.lower():
            # The link reached this address, so it counts as verified. Stashed only now
            # that the address is known to match: allauth attaches a stashed address to
            # whoever signs up, whatever address they typed.
            get_adapter(request).stash_verified_email(request, self.invitation.email)
            membership = invitation_accept(invitation=self.invitation, user=user)
            request.session[CURRENT_ORGANIZATION_KEY] = membership.organization_id
            request.session.pop(PENDING_INVITATION_KEY, None)
        if name:
            organization = organization_create(name=name, owner=user)
            request.session[CURRENT_ORGANIZATION_KEY] = organization.pk


class OrganizationForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = ["name"]
        labels = {"name": "Organization name"}

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Enter a name.")
        return name


class InvitationForm(forms.Form):
    email = forms.EmailField(label="Email address", max_length=254)
    role = forms.ChoiceField(label="Role", choices=Role.choices, initial=Role.MEMBER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=Role.choices)
