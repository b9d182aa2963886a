"""The organization's billing details, as the customer keeps them: who invoices are made
out to, where, the tax ID (checked against the country), the addresses invoices go to
besides the owners and billing admins, and a PO number; with the payment terms (set by
us, read-only here) and every change on record. Owners and billing admins edit; a member
gets 403, an outsider 404. The first checkout sends the buyer here before confirming and
comes back (`next`)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from billing.details.selectors import billing_details_history
from billing.details.services import MAX_BILLING_EMAILS, billing_details_update
from billing.models import BillingDetails
from billing.tax.countries import countries, country_name
from billing.tax.rules import explain
from billing.tax.selectors import tax_decision
from portal import clock
from portal.access import get_membership_and_organizations, require_billing

HISTORY_SHOWN = 10


class BillingDetailsForm(forms.Form):
    legal_name = forms.CharField(
        label="Legal name",
        max_length=200,
        help_text="The name invoices are made out to, as registered.",
    )
    address_line1 = forms.CharField(label="Address", max_length=200)
    address_line2 = forms.CharField(label="Address, line 2", max_length=200, required=False)
    city = forms.CharField(max_length=100)
    postal_code = forms.CharField(label="Postal code", max_length=20, required=False)
    region = forms.CharField(label="Region or state", max_length=100, required=False)
    country = forms.ChoiceField()
    tax_id = forms.CharField(
        label="Tax ID",
        max_length=40,
        required=False,
        help_text="Your VAT or tax number, checked against the country. A business in "
        "another EU country with a VAT number is invoiced without VAT (reverse charge).",
    )
    billing_emails = forms.CharField(
        label="Billing email addresses",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=f"Invoices and receipts also go here, besides owners and billing admins. "
        f"One address a line, at most {MAX_BILLING_EMAILS}.",
    )
    po_number = forms.CharField(
        label="Purchase order number",
        max_length=64,
        required=False,
        help_text="Printed on your invoices, if your accounts team needs one.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", "Choose a country"), *countries().items()]
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("autocomplete", AUTOCOMPLETE.get(name, "off"))

    @classmethod
    def initial_from(cls, details: BillingDetails | None) -> dict:
        if details is None:
            return {}
        return {
            **{name: getattr(details, name) for name in cls.base_fields},
            "billing_emails": "\n".join(details.billing_emails),
        }

    def emails(self) -> list[str]:
        text = self.cleaned_data["billing_emails"].replace(",", "\n")
        return [line.strip() for line in text.splitlines() if line.strip()]


AUTOCOMPLETE = {
    "legal_name": "organization",
    "address_line1": "address-line1",
    "address_line2": "address-line2",
    "city": "address-level2",
    "postal_code": "postal-code",
    "region": "address-level1",
    "country": "country",
}


def _tax_explained(details: BillingDetails | None) -> str:
    """The case of the tax rule that applies to this organization today, in words."""
    decision = tax_decision(details=details, on=clock.today())
    return explain(
        decision,
        rate_country=country_name(decision.rate_country) if decision.rate_country else "",
        buyer_known=bool(details and details.country),
    )


def _next_url(request: HttpRequest) -> str | None:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return None


@login_required
@require_http_methods(["GET", "POST"])
def billing_details(request: HttpRequest, slug: str) -> HttpResponse:
    membership, organizations = get_membership_and_organizations(request, slug)
    require_billing(membership, "see or change the billing details")
    organization = membership.organization
    details = BillingDetails.objects.filter(organization=organization).first()
    form = BillingDetailsForm(
        request.POST if request.method == "POST" else None,
        initial=BillingDetailsForm.initial_from(details),
    )
    if request.method == "POST" and form.is_valid():
        data = {**form.cleaned_data}
        del data["billing_emails"]
        try:
            billing_details_update(
                organization=organization,
                actor=request.user,
                billing_emails=form.emails(),
                **data,
            )
        except ValidationError as refused:
            form.add_error(None, refused)
        else:
            messages.success(request, "Your billing details are saved.")
            return redirect(_next_url(request) or request.path)
    history = billing_details_history(details, limit=HISTORY_SHOWN) if details else []
    return render(
        request,
        "billing/billing_details.html",
        {
            "membership": membership,
            "nav_membership": membership,
            "nav_organizations": organizations,
            "organization": organization,
            "details": details,
            "country": country_name(details.country) if details and details.country else "",
            "tax_explained": _tax_explained(details),
            "form": form,
            "next": _next_url(request),
            "history": history,
        },
        status=422 if form.errors else 200,
    )
