"""The upgrade policy's proration calculator: the credit, charge and amount due of a
change mid-term, with the arithmetic written out, from billing.proration (the function
a checkout and its invoice use too).

Public and read-only. A GET form, so every result has a URL and the page works without
JavaScript; `format=json` answers the same figures as JSON for scripts and support."""

from __future__ import annotations

import re
from calendar import monthrange
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from billing.locale import preferred_currency, visitor_locale
from billing.money import Money, minor_unit_places
from billing.proration import InvalidProration, Proration, prorate
from billing.roi.forms import CurrencyField
from licensing.catalog.selectors import enabled_currencies
from portal import clock

TEMPLATE = "catalog/policy_calculator.html"
INPUTS = ("currency", "current_price", "new_price", "term_start", "term_end", "change_date")
FORMATS = ("", "html", "json")
# Far above any one term's price; a bound keeps a typo from becoming a 200-digit figure.
MAX_PRICE = Decimal("1000000000")
# Digits with at most one decimal point: Decimal() also takes "NaN", "Infinity" and
# "1e999", none of which is a price.
PLAIN_NUMBER = re.compile(r"^\+?(\d+(\.\d*)?|\.\d+)$")
NEGATIVE_NUMBER = re.compile(r"^-(\d+(\.\d*)?|\.\d+)$")
# The policy's own example, shown to a visitor who has not typed anything yet.
EXAMPLE_PRICES = (Decimal(50), Decimal(80))


def _capitalized(text: str) -> str:
    return text[0].upper() + text[1:]


class TermPriceField(forms.DecimalField):
    """A price of one whole term, typed as plain digits. How many decimals it may have
    depends on the currency, which billing.proration checks."""

    widget = forms.TextInput

    def __init__(self, *, what: str, **kwargs) -> None:
        capital = _capitalized(what)
        super().__init__(
            min_value=Decimal(0),
            max_value=MAX_PRICE,
            error_messages={
                "required": f"Enter {what}.",
                "invalid": f"Enter {what} using digits and at most one decimal point, e.g. 49.50.",
                "min_value": f"{capital} cannot be negative.",
                "max_value": f"{capital} can be at most {MAX_PRICE:,}.",
            },
            **kwargs,
        )
        self.widget.attrs.update(inputmode="decimal", autocomplete="off")

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip()
        if NEGATIVE_NUMBER.match(text):
            raise ValidationError(self.error_messages["min_value"], code="min_value")
        if not PLAIN_NUMBER.match(text):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(text)


class IsoDateField(forms.DateField):
    widget = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})

    def __init__(self, *, what: str, **kwargs) -> None:
        super().__init__(
            input_formats=["%Y-%m-%d"],
            error_messages={
                "required": f"Enter {what}.",
                "invalid": f"Enter {what} as a date written year-month-day, e.g. 2025-11-21.",
            },
            **kwargs,
        )


class ProrationForm(forms.Form):
    """What the calculator reads from the query string."""

    currency = CurrencyField(label="Currency")
    current_price = TermPriceField(
        what="the current price",
        label="Current price of the term",
        help_text="What the whole term costs today (for a per-seat price, all the seats).",
    )
    new_price = TermPriceField(
        what="the new price",
        label="New price of the term",
        help_text="What the same whole term costs after the change.",
    )
    term_start = IsoDateField(what="the term's first day", label="First day of the term")
    term_end = IsoDateField(
        what="the term's last day",
        label="Last day of the term",
        help_text="Included: a November term ends on 30 November.",
    )
    change_date = IsoDateField(
        what="the change date",
        label="First day at the new price",
        help_text="The day of the upgrade. It counts as a day at the new price.",
    )
    format = forms.ChoiceField(
        required=False,
        choices=[(value, value) for value in FORMATS],
        widget=forms.HiddenInput,
        error_messages={
            "invalid_choice": "Ask for format=json, or leave the format out for this page."
        },
    )

    def __init__(self, *args, currencies: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        listed = ", ".join(currencies) or "none yet"
        self.fields["currency"].choices = [(code, code) for code in currencies]
        self.fields["currency"].error_messages.update(
            required="Choose a currency.",
            invalid_choice=f"Choose a currency we sell in: {listed}.",
        )

    def proration(self) -> Proration | None:
        """The lines, or None after adding the calculation's own objections (a price
        with too many decimals for its currency, a change outside the term) to the
        fields they concern."""
        if not self.is_valid():
            return None
        data = self.cleaned_data
        currency = data["currency"]
        try:
            return prorate(
                current_price=Money(data["current_price"], currency),
                new_price=Money(data["new_price"], currency),
                term_start=data["term_start"],
                term_end=data["term_end"],
                change_date=data["change_date"],
            )
        except InvalidProration as error:
            for field, message in error.errors.items():
                self.add_error(field, message)
            return None


def _example(request: HttpRequest, currencies: list[str]) -> QueryDict:
    """A change today in this calendar month at the policy's example prices."""
    today = clock.today()
    days_in_month = monthrange(today.year, today.month)[1]
    currency = preferred_currency(visitor_locale(request), currencies) or ""
    # 50.00 in dollars, 50 in yen: as many decimals as the currency has.
    places = minor_unit_places(currency) if currency else 0
    current, new = (f"{price:.{places}f}" for price in EXAMPLE_PRICES)
    example = QueryDict(mutable=True)
    example.update(
        {
            "currency": currency,
            "current_price": current,
            "new_price": new,
            "term_start": today.replace(day=1).isoformat(),
            "term_end": today.replace(day=days_in_month).isoformat(),
            "change_date": today.isoformat(),
        }
    )
    return example


def _as_json(form: ProrationForm, proration: Proration | None) -> JsonResponse:
    if proration is None:
        errors = {name: " ".join(messages) for name, messages in form.errors.items()}
        return JsonResponse(
            {"code": "invalid_request", "detail": "Some inputs need fixing.", "errors": errors},
            status=400,
        )
    return JsonResponse(
        {
            "currency": proration.currency,
            "term_days": proration.term_days,
            "remaining_days": proration.remaining_days,
            "credit": str(proration.credit.amount),
            "charge": str(proration.charge.amount),
            "due": str(proration.due.amount),
            "method": proration.method,
        }
    )


def _shown(proration: Proration, locale: str) -> dict[str, str]:
    """Every amount the working mentions, as the visitor's locale writes money."""
    currency = proration.currency
    return {
        "current_price": proration.current_price.format(locale),
        "new_price": proration.new_price.format(locale),
        "credit": proration.credit.format(locale),
        "charge": proration.charge.format(locale),
        "due": proration.due.format(locale),
        "owed_back": abs(proration.due).format(locale),
        "minor_unit": Money(Decimal(1).scaleb(-minor_unit_places(currency)), currency).format(
            locale
        ),
    }


@require_GET
def calculator(request: HttpRequest) -> HttpResponse:
    currencies = enabled_currencies()
    wants_json = request.GET.get("format") == "json"
    asked = any(name in request.GET for name in INPUTS)
    params = request.GET if asked or wants_json else _example(request, currencies)
    form = ProrationForm(params, currencies=currencies)
    proration = form.proration()
    if wants_json:
        response = _as_json(form, proration)
    else:
        locale = visitor_locale(request)
        json_query = params.copy()
        json_query["format"] = "json"
        context = {
            "form": form,
            "proration": proration,
            "shown": _shown(proration, locale) if proration else None,
            "is_example": not asked,
            "json_url": f"{reverse('policy_upgrades_calculator')}?{json_query.urlencode()}",
        }
        response = render(request, TEMPLATE, context, status=200 if proration else 400)
    patch_vary_headers(response, ["Accept-Language"])
    return response
