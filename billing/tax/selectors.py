"""Reads of the tax: the rates in force on a day, and the decision for an organization
that the checkout preview and the invoice both take (the same call, so what a customer
confirms is what the invoice charges)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from billing.models import BillingDetails, TaxRate
from billing.tax import rules
from billing.tax.seller import seller


def rates_in_force(*, on: date, countries: set[str]) -> dict[str, Decimal]:
    """Each of `countries`' rate in force on `on` (the latest to take effect by then)."""
    rates: dict[str, Decimal] = {}
    rows = (
        TaxRate.objects.filter(country__in=countries, effective_from__lte=on)
        .order_by("country", "-effective_from")
        .values_list("country", "rate")
    )
    for country, rate in rows:
        rates.setdefault(country, rate)
    return rates


def tax_decision(*, details: BillingDetails | None, on: date) -> rules.Decision:
    """The tax of an invoice to the organization with `details` (None: none entered
    yet) issued on `on`."""
    the_seller = seller()
    country = details.country if details else ""
    tax_id = details.tax_id if details else ""
    override = details.tax_rate_override if details else None
    needed = {the_seller.country} | ({country} if country else set())
    return rules.decide(
        seller=the_seller,
        buyer_country=country,
        buyer_tax_id=tax_id,
        rates=rates_in_force(on=on, countries=needed),
        override=override,
    )


def tax_decision_for(*, organization_id: int, on: date) -> rules.Decision:
    details = BillingDetails.objects.filter(organization_id=organization_id).first()
    return tax_decision(details=details, on=on)
