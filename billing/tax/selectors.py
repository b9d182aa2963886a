"""Reads of the tax: the rates in force on a day, and the decision for an organization
that the checkout preview and the invoice both take (the same call, so what a customer
confirms is what the invoice charges)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import Q

from billing.models import BillingDetails, TaxRate
from billing.tax import rules
from billing.tax.seller import seller
from portal.prepared import PreparedRead


def _rates(*, buyer: str, seller: str, on: date):
    return (
        TaxRate.objects.filter(Q(country=buyer) | Q(country=seller), effective_from__lte=on)
        .order_by("country", "-effective_from")
        .values_list("country", "rate")
    )


# Every invoice and every checkout preview asks: compiled once per process.
_RATES = PreparedRead(_rates, buyer=str, seller=str, on=date)


def rates_in_force(*, on: date, seller: str, buyer: str = "") -> dict[str, Decimal]:
    """The seller's and the buyer's country's rate in force on `on` (the latest to take
    effect by then); the buyer's country may be unknown ("")."""
    rates: dict[str, Decimal] = {}
    for country, rate in _RATES.read(buyer=buyer, seller=seller, on=on):
        rates.setdefault(country, rate)
    return rates


def tax_decision(*, details: BillingDetails | None, on: date) -> rules.Decision:
    """The tax of an invoice to the organization with `details` (None: none entered
    yet) issued on `on`."""
    the_seller = seller()
    country = details.country if details else ""
    tax_id = details.tax_id if details else ""
    override = details.tax_rate_override if details else None
    return rules.decide(
        seller=the_seller,
        buyer_country=country,
        buyer_tax_id=tax_id,
        rates=rates_in_force(on=on, seller=the_seller.country, buyer=country),
        override=override,
    )


def decision_key(details: BillingDetails | None, on: date) -> tuple:
    """What of the details and the day tax_decision reads: two invoices with one key get
    one decision (a batch decides each key once)."""
    if details is None:
        return (on,)
    return (on, details.country, details.tax_id, details.tax_rate_override)


def tax_decision_for(*, organization_id: int, on: date) -> rules.Decision:
    details = BillingDetails.objects.filter(organization_id=organization_id).first()
    return tax_decision(details=details, on=on)
