"""Forms that parse what visitors type into the ROI calculator and the scenarios kept
from it. Every bound is explicit, so a typo gets a message beside its field instead of
a 500 or a result in the trillions."""

from __future__ import annotations

import re
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict

from billing.models import RoiScenario
from billing.money import Money
from billing.pricing import BillingCycle
from billing.roi.calculator import Assumptions, TierInput
from billing.roi.selectors import CatalogTier

# Digits with at most one decimal point. Decimal() also takes "NaN", "Infinity" and
# "1e5"; none of them is a figure anyone means to type into a calculator.
PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
CYCLE_CHOICES = BillingCycle.choices

MAX_TEAM = 100_000
MAX_HOURLY_COST = Decimal("10000")
MAX_HOURS_PER_WEEK = Decimal("60")
MAX_ERRORS_PER_YEAR = Decimal("100000")
MAX_COST_PER_ERROR = Decimal("10000000")
MAX_IMPLEMENTATION = Decimal("100000000")
MAX_HORIZON = 10


def _text_input(*, decimal: bool = True, **attrs) -> forms.TextInput:
    # A text box, not type=number: browsers send "" for what a number box cannot parse,
    # and the visitor would be told "required" instead of what is wrong.
    return forms.TextInput(
        attrs={"inputmode": "decimal" if decimal else "numeric", "autocomplete": "off", **attrs}
    )


class PlainDecimalField(forms.DecimalField):
    default_error_messages = {
        "invalid": "Enter a number using digits and at most one decimal point, e.g. 75.50.",
        "max_decimal_places": "Use at most %(max)s decimal places.",
    }

    def __init__(self, *, what: str, minimum: Decimal, maximum: Decimal, positive=False, **kw):
        messages = {
            "required": f"Enter {what}.",
            "min_value": (
                f"{what[0].upper()}{what[1:]} must be more than zero."
                if positive
                else f"{what[0].upper()}{what[1:]} cannot be negative."
            ),
            "max_value": f"{what[0].upper()}{what[1:]} can be at most %(limit_value)s.",
        }
        super().__init__(
            min_value=minimum,
            max_value=maximum,
            max_digits=None,
            decimal_places=2,
            error_messages=messages,
            widget=_text_input(),
            **kw,
        )

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip()
        if not PLAIN_NUMBER.match(text):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(text)


def _integer(
    what: str, unit: str, *, example: int, minimum: int, maximum: int, **kw
) -> forms.IntegerField:
    capital = f"{what[0].upper()}{what[1:]}"
    return forms.IntegerField(
        min_value=minimum,
        max_value=maximum,
        error_messages={
            "required": f"Enter {what}.",
            "invalid": f"Enter a whole number of {unit}, e.g. {example}.",
            "min_value": f"{capital} must be at least %(limit_value)s.",
            "max_value": f"{capital} can be at most %(limit_value)s.",
        },
        widget=_text_input(decimal=False),
        **kw,
    )


class CurrencyField(forms.ChoiceField):
    """A currency code, however it is typed in a shared link: usd is USD."""

    def to_python(self, value):
        return super().to_python(value).strip().upper()


def hours_field_name(tier_slug: str) -> str:
    return f"hours_{tier_slug}"


def errors_field_name(tier_slug: str) -> str:
    return f"errors_{tier_slug}"


class RoiForm(forms.Form):
    """The calculator's inputs. Bound to the query string, so every result has a URL.
    The tiers' own fields (hours saved, errors avoided) are added per public tier."""

    product = forms.ChoiceField(label="Product", required=False)
    team_size = _integer(
        "the team size",
        "people",
        example=25,
        minimum=1,
        maximum=MAX_TEAM,
        label="Team size (people)",
        help_text="Everyone who would use the software.",
    )
    currency = CurrencyField(
        label="Currency", error_messages={"invalid_choice": "Choose one of the listed currencies."}
    )
    hourly_cost = PlainDecimalField(
        what="the hourly cost",
        minimum=Decimal("0.01"),
        maximum=MAX_HOURLY_COST,
        positive=True,
        label="Loaded hourly cost per person",
        help_text="Salary plus overheads, per hour.",
    )
    cost_per_error = PlainDecimalField(
        what="the cost of an error",
        minimum=Decimal("0"),
        maximum=MAX_COST_PER_ERROR,
        label="Cost of one error or incident",
        help_text="Rework, refunds, downtime. 0 to leave errors out.",
    )
    implementation_cost = PlainDecimalField(
        what="the implementation cost",
        minimum=Decimal("0"),
        maximum=MAX_IMPLEMENTATION,
        label="One-off implementation cost",
        help_text="Setup, migration and training, paid once.",
    )
    cycle = forms.ChoiceField(
        label="Billing cycle",
        choices=CYCLE_CHOICES,
        error_messages={"invalid_choice": "Choose monthly or annual billing."},
    )
    horizon_years = _integer(
        "the horizon",
        "years",
        example=3,
        minimum=1,
        maximum=MAX_HORIZON,
        label="Horizon (years)",
        help_text="1 to 10 years.",
    )
    discount_rate = PlainDecimalField(
        what="the discount rate",
        minimum=Decimal("0"),
        maximum=Decimal("100"),
        required=False,
        label="Discount rate (% a year, optional)",
        help_text="Your cost of capital; gives the net present value.",
    )

    def __init__(
        self,
        *args,
        tiers: list[CatalogTier],
        currencies: list[str],
        products: list[tuple[str, str]],
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.tiers = tiers
        self.fields["currency"].choices = [(code, code) for code in currencies]
        self.fields["product"].choices = products
        for tier in tiers:
            self.fields[hours_field_name(tier.slug)] = PlainDecimalField(
                what=f"the hours saved on {tier.name}",
                minimum=Decimal("0"),
                maximum=MAX_HOURS_PER_WEEK,
                label=f"{tier.name}: hours saved per person a week",
            )
            self.fields[errors_field_name(tier.slug)] = PlainDecimalField(
                what=f"the errors avoided on {tier.name}",
                minimum=Decimal("0"),
                maximum=MAX_ERRORS_PER_YEAR,
                label=f"{tier.name}: errors avoided a year",
            )
        for name, field in self.fields.items():
            # The error slot is always on the page (htmx refills it as the visitor types),
            # so every control points at it, empty or not.
            described_by = [f"id_{name}_error"]
            if field.help_text:
                described_by.insert(0, f"id_{name}_helptext")
            field.widget.attrs["aria-describedby"] = " ".join(described_by)

    @property
    def tier_fields(self) -> list[tuple[CatalogTier, forms.BoundField, forms.BoundField]]:
        return [
            (tier, self[hours_field_name(tier.slug)], self[errors_field_name(tier.slug)])
            for tier in self.tiers
        ]

    @property
    def shared_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("team_size", "currency", "hourly_cost", "cycle")]

    @property
    def cost_fields(self) -> list[forms.BoundField]:
        names = ("cost_per_error", "implementation_cost", "horizon_years", "discount_rate")
        return [self[name] for name in names]

    def assumptions(self) -> Assumptions:
        data = self.cleaned_data
        currency = data["currency"]
        return Assumptions(
            team_size=data["team_size"],
            hourly_cost=Money(data["hourly_cost"], currency),
            cost_per_error=Money(data["cost_per_error"], currency),
            implementation_cost=Money(data["implementation_cost"], currency),
            cycle=data["cycle"],
            horizon_years=data["horizon_years"],
            discount_rate_percent=data["discount_rate"],
        )

    def tier_inputs(self) -> list[TierInput]:
        data = self.cleaned_data
        return [
            tier.input(
                currency=data["currency"],
                cycle=data["cycle"],
                hours=data[hours_field_name(tier.slug)],
                errors=data[errors_field_name(tier.slug)],
                team_size=data["team_size"],
            )
            for tier in self.tiers
        ]

    def query(self) -> dict[str, str]:
        """The validated inputs as strings, in field order: what the URL and a saved
        scenario keep."""
        result = {}
        for name in self.fields:
            value = self.cleaned_data.get(name)
            if value is None or value == "":
                continue
            result[name] = format(value, "f") if isinstance(value, Decimal) else str(value)
        return result


def initial_query(
    tiers: list[CatalogTier],
    *,
    product: str,
    currency: str,
    team_size: int,
) -> dict[str, str]:
    """What the calculator starts from: the catalog's defaults for each tier and a
    plausible team. The visitor's own query string overrides any of it."""
    query = {
        "product": product,
        "team_size": str(team_size),
        "currency": currency,
        "hourly_cost": "75",
        "cost_per_error": "500",
        "implementation_cost": "0",
        "cycle": BillingCycle.ANNUAL,
        "horizon_years": "3",
        "discount_rate": "",
    }
    for tier in tiers:
        hours, errors = tier.hours_saved_per_person_week, tier.errors_avoided_per_year
        query[hours_field_name(tier.slug)] = format(hours.normalize(), "f")
        query[errors_field_name(tier.slug)] = format(errors.normalize(), "f")
    return query


class ScenarioForm(forms.Form):
    """Save the calculator's current inputs under a name."""

    name = forms.CharField(
        label="Scenario name",
        max_length=80,
        error_messages={
            "required": "Give the scenario a name.",
            "max_length": "Keep the name to %(limit_value)d characters (it has %(show_value)d).",
        },
    )
    query = forms.CharField(widget=forms.HiddenInput, max_length=4000)

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if RoiScenario.objects.filter(organization=self.organization, name__iexact=name).exists():
            raise ValidationError(
                f"{self.organization} already has a scenario called “{name}”. Pick another "
                "name, or delete the old one first."
            )
        return name

    def inputs(self) -> QueryDict:
        return QueryDict(self.cleaned_data["query"])
