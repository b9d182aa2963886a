"""The builder's forms: they parse what the account manager types; the services decide
whether it is allowed (billing.proposals.services.check_option and friends), and their
refusals are put back on the form, field by field."""

from __future__ import annotations

import re
from decimal import Decimal
from urllib.parse import urlsplit

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import QueryDict

from billing.models import RoiScenario
from billing.models.proposals import MAX_PROPOSAL_TERM_CYCLES
from billing.models.subscriptions import Billing
from billing.pricing import BillingCycle
from billing.proposals.services import Edit, OptionInput, ProposalRefused
from licensing.models import License, TierVersion, VersionStatus

ROI_NONE, ROI_SCENARIO, ROI_INPUTS = "none", "scenario", "inputs"


def _version_label(version: TierVersion) -> str:
    retired = "" if version.status == VersionStatus.PUBLISHED else " (retired)"
    return f"{version.tier.name} v{version.number}{retired}"


class _BuilderForm(forms.Form):
    """Every control points at its help text and its error slot; a service's refusal is
    put back on the field it names (or on the form)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            auto_id = self[name].auto_id
            described = [f"{auto_id}_error"]
            if field.help_text:
                described.insert(0, f"{auto_id}_helptext")
            field.widget.attrs["aria-describedby"] = " ".join(described)

    def field_for(self, error_key: str) -> str | None:
        return error_key if error_key in self.fields else None

    def refuse(self, refused: ProposalRefused) -> None:
        for key, message in refused.errors.items():
            self.add_error(self.field_for(key), message)


class VersionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: TierVersion) -> str:
        return _version_label(obj)


def offered_versions(license: License):
    """What an option may offer: the product's published versions and the license's own
    (even retired: renewing as is)."""
    return (
        TierVersion.objects.filter(tier__product_id=license.product_id)
        .filter(Q(status=VersionStatus.PUBLISHED) | Q(pk=license.version_id))
        .select_related("tier")
        .order_by("tier__order", "number")
    )


class PlainDecimalField(forms.DecimalField):
    """A decimal typed as a plain number: Python reads "1e2" as 100, which no one typing a
    discount means, so scientific notation is refused with a message of its own."""

    default_error_messages = {
        "scientific": "Enter the number as digits, e.g. 20 or 12.5, not as 1e2.",
    }

    def to_python(self, value):
        if isinstance(value, str) and SCIENTIFIC.fullmatch(value.strip()):
            raise ValidationError(self.error_messages["scientific"], code="scientific")
        return super().to_python(value)


SCIENTIFIC = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)e[+-]?\d+", re.IGNORECASE)


class OptionForm(_BuilderForm):
    tier_version = VersionChoiceField(
        label="Tier",
        queryset=TierVersion.objects.none(),
        error_messages={
            "required": "Choose a tier.",
            "invalid_choice": "Choose one of the tiers on offer.",
        },
    )
    seats = forms.IntegerField(
        label="Seats",
        min_value=1,
        max_value=100_000,
        error_messages={
            "required": "Enter the number of seats.",
            "invalid": "Enter a whole number of seats.",
            "min_value": "Choose at least one seat.",
            "max_value": "That is more seats than any tier allows.",
        },
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    cycle = forms.ChoiceField(
        label="Billing cycle",
        choices=BillingCycle.choices,
        error_messages={"invalid_choice": "Choose monthly or annual billing."},
    )
    term_cycles = forms.TypedChoiceField(
        label="Term",
        coerce=int,
        choices=[(n, f"{n} year{'s' if n > 1 else ''}") for n in range(1, 4)],
        initial=1,
        help_text=f"1 to {MAX_PROPOSAL_TERM_CYCLES} years on annual billing; a month on monthly.",
        error_messages={"invalid_choice": "Choose a term of 1 to 3 years."},
    )
    billing = forms.ChoiceField(
        label="Invoiced",
        choices=[(Billing.UPFRONT, "Up front, one invoice"), (Billing.PER_CYCLE, "Each year")],
        initial=Billing.UPFRONT,
        error_messages={"invalid_choice": "Choose up front or each year."},
    )
    # No max_digits: the range is the bounds' to say, and a count of digits would answer
    # "0 to 100%" to 12.3456, whose fault is its decimal places.
    discount_percent = PlainDecimalField(
        label="Discount (%)",
        min_value=Decimal(0),
        max_value=Decimal(100),
        decimal_places=2,
        initial=Decimal(0),
        required=False,
        error_messages={
            "invalid": "Enter the discount as a number, e.g. 20 or 12.5.",
            "scientific": "Enter the discount as digits, e.g. 20 or 12.5, not as 1e2.",
            "min_value": "A discount is 0 to 100%%.",
            "max_value": "A discount is 0 to 100%%.",
            "max_decimal_places": "Use at most two decimal places.",
        },
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    discount_reason = forms.CharField(
        label="Reason for the discount",
        max_length=300,
        required=False,
        help_text="Required with a discount; the customer reads it.",
    )
    renew_as_is = forms.BooleanField(
        label="Renew as is (the license's own tier, seats and cycle)", required=False
    )
    at_renewal = forms.BooleanField(
        label="Starts at the renewal",
        required=False,
        help_text="From the day after the current term, not on acceptance: how a lower "
        "tier or fewer seats are offered (they take effect at the term's end).",
    )

    def __init__(self, *args, license: License, **kwargs):
        super().__init__(*args, **kwargs)
        self.license = license
        self.fields["tier_version"].queryset = offered_versions(license)

    def option(self) -> OptionInput:
        data = self.cleaned_data
        return OptionInput(
            tier_version=data["tier_version"],
            seats=data["seats"],
            cycle=data["cycle"],
            term_cycles=data["term_cycles"],
            billing=data["billing"],
            discount_percent=data["discount_percent"] or Decimal(0),
            discount_reason=data["discount_reason"],
            renew_as_is=data["renew_as_is"],
            at_renewal=data["at_renewal"],
        )


class DetailsForm(_BuilderForm):
    cover_note = forms.CharField(
        label="Cover note",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="The letter the PDF opens with.",
    )
    valid_until = forms.DateField(
        label="Valid until",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": "Enter the last day the customer may accept.",
            "invalid": "Enter a date such as 2026-04-30.",
        },
        help_text="The last day the customer may accept; at most 90 days from today.",
    )
    roi = forms.ChoiceField(
        label="ROI projection",
        widget=forms.RadioSelect,
        choices=[
            (ROI_NONE, "None"),
            (ROI_SCENARIO, "One of the organization's saved scenarios"),
            (ROI_INPUTS, "The customer's numbers from the calculator"),
        ],
        initial=ROI_NONE,
    )
    roi_scenario = forms.ModelChoiceField(
        label="Saved scenario",
        queryset=RoiScenario.objects.none(),
        required=False,
        empty_label="Choose a scenario",
        error_messages={"invalid_choice": "Choose one of the organization's saved scenarios."},
    )
    roi_link = forms.CharField(
        label="Calculator link",
        required=False,
        max_length=4000,
        help_text="Open the ROI calculator with the customer's numbers and paste its address.",
    )

    def __init__(self, *args, organization, kept_scenario: str = "", **kwargs):
        """`kept_scenario`: the name of the saved scenario whose numbers the version holds
        ("" for none). Choosing no scenario keeps that copy as it is, even once the
        customer has deleted the scenario; choosing one copies its numbers afresh."""
        super().__init__(*args, **kwargs)
        self.kept_scenario = kept_scenario
        field = self.fields["roi_scenario"]
        field.queryset = RoiScenario.objects.filter(organization=organization).order_by("name")
        if kept_scenario:
            field.empty_label = f"Keep the numbers copied from “{kept_scenario}”"

    def clean(self):
        data = super().clean()
        choice = data.get("roi")
        if choice == ROI_SCENARIO and not data.get("roi_scenario") and not self.kept_scenario:
            self.add_error("roi_scenario", "Choose the scenario.")
        if choice == ROI_INPUTS:
            link = (data.get("roi_link") or "").strip()
            query = urlsplit(link).query if "?" in link or "://" in link else link
            if not query:
                self.add_error("roi_link", "Paste the calculator's address with its numbers.")
            data["roi_query"] = QueryDict(query)
        return data

    def edit(self) -> Edit:
        """What to change; a scenario chosen is copied, none chosen keeps the copy the
        version holds (the Edit leaves its ROI as it is)."""
        data = self.cleaned_data
        choice = data["roi"]
        return Edit(
            cover_note=data["cover_note"],
            valid_until=data["valid_until"],
            roi_scenario=data["roi_scenario"] if choice == ROI_SCENARIO else None,
            roi_inputs=data["roi_query"].dict() if choice == ROI_INPUTS else None,
            clear_roi=choice == ROI_NONE,
        )

    def field_for(self, error_key: str) -> str | None:
        # The calculator's own fields come back as roi_<field>: they were in the link.
        if error_key.startswith("roi_") and error_key != "roi_scenario":
            return "roi_link"
        return super().field_for(error_key)


class CommentForm(_BuilderForm):
    comment = forms.CharField(
        label="Comment",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required either way: why it is approved or rejected. It is kept with the"
        " approval, and the account manager reads it.",
    )
