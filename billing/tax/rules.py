"""Which tax an invoice charges, pure: no ORM, no clock, no settings.

The seller charges tax by where the buyer is and whether the buyer is a business:

- no country known, or the seller's own country: the domestic rate (the seller's
  country's rate in force);
- another country of the seller's tax union (the EU's VAT area), a business with a
  valid tax ID: reverse charge, rate 0, the buyer accounts for the tax;
- another country of the union, no tax ID (a consumer): the buyer's country's rate, as
  the union's place-of-supply rule for services to consumers says;
- outside the union: no tax, an export of services.

A staff override replaces the rate the rule chose (with a reason kept on record
elsewhere); the invoice then says the rate, without a legal mention. The rates come in
as a mapping of country to the percentage in force on the day; a country the mapping
lacks charges no tax (the table in the admin lists every country the seller charges in,
as before the table every organization's rate was 0 until staff typed one).
`make mutate` mutates this module against tests/billing/tax/test_tax_rules.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

HUNDRED = Decimal(100)
ZERO = Decimal(0)

REVERSE_CHARGE_WORDING = (
    "Reverse charge: VAT to be accounted for by the recipient, "
    "Article 196 Council Directive 2006/112/EC."
)
EXPORT_WORDING = (
    "Export of services: outside the scope of VAT in the supplier's country "
    "(place of supply is the recipient's country)."
)


class Treatment(StrEnum):
    DOMESTIC = "domestic"
    UNION_CONSUMER = "union_consumer"
    REVERSE_CHARGE = "reverse_charge"
    EXPORT = "export"
    OVERRIDE = "override"


LABELS = {
    Treatment.DOMESTIC: "Domestic",
    Treatment.UNION_CONSUMER: "Consumer in the tax union (buyer's country rate)",
    Treatment.REVERSE_CHARGE: "Reverse charge",
    Treatment.EXPORT: "Export (no tax)",
    Treatment.OVERRIDE: "Rate set by staff",
}
# The case named inside the tax line's brackets, "Tax (export, 0 %)": where the rule
# charges no tax.
LINE_NAMES = {Treatment.REVERSE_CHARGE: "reverse charge", Treatment.EXPORT: "export"}


@dataclass(frozen=True, slots=True)
class Seller:
    country: str
    # The countries of the seller's tax union, the seller's among them (or none).
    union: frozenset[str]


@dataclass(frozen=True, slots=True)
class Decision:
    treatment: Treatment
    rate: Decimal
    # The country whose rate applies (None when no tax is charged by rule).
    rate_country: str | None
    # The legal mention the invoice must carry ("" when none).
    wording: str

    @property
    def label(self) -> str:
        return LABELS[self.treatment]


def tax_label(treatment: str, rate: Decimal) -> str:
    """What the tax line says in brackets, on the checkout preview, the invoice page and
    the PDF alike: the rate, named when no tax is charged by rule."""
    shown = f"{rate.normalize():f} %"
    if treatment in LINE_NAMES:
        return f"{LINE_NAMES[Treatment(treatment)]}, {shown}"
    return shown


def explain(decision: Decision, *, rate_country: str, buyer_known: bool) -> str:
    """Which case of the rule applies to one buyer, in words for their billing details
    page: "No VAT: reverse charge — you are a business in another EU country with a VAT
    number". `rate_country` is the name of the country whose rate applies (if any);
    `buyer_known` says whether the buyer has said where they are."""
    rate = f"{decision.rate.normalize():f} %"
    match decision.treatment:
        case Treatment.OVERRIDE:
            return f"{rate}, set by Tierwise"
        case Treatment.REVERSE_CHARGE:
            return (
                "No VAT: reverse charge — you are a business in another EU country with a "
                "VAT number, so you account for the VAT yourself"
            )
        case Treatment.EXPORT:
            return "No VAT: you are outside the EU, so our service is an export"
        case Treatment.UNION_CONSUMER:
            return (
                f"{rate}, the rate of {rate_country} — you are in another EU country without "
                "a VAT number, so your country's rate applies"
            )
    if buyer_known:
        return f"{rate}, the rate of {rate_country} — you are in the same country as we are"
    return f"{rate}, the rate of {rate_country}, where we are, until you enter your country"


def decide(
    *,
    seller: Seller,
    buyer_country: str,
    buyer_tax_id: str,
    rates: Mapping[str, Decimal],
    override: Decimal | None = None,
) -> Decision:
    """The tax of a sale from `seller` to a buyer in `buyer_country` ("" when unknown)
    holding `buyer_tax_id` ("" for none; a stored one was validated for its country)."""
    if override is not None:
        if not ZERO <= override <= HUNDRED:
            raise ValueError(f"A tax rate is a percentage from 0 to 100, not {override}.")
        return Decision(Treatment.OVERRIDE, override, None, "")
    if not buyer_country or buyer_country == seller.country:
        return Decision(Treatment.DOMESTIC, rates.get(seller.country, ZERO), seller.country, "")
    if buyer_country not in seller.union:
        return Decision(Treatment.EXPORT, ZERO, None, EXPORT_WORDING)
    if buyer_tax_id.strip():
        return Decision(Treatment.REVERSE_CHARGE, ZERO, None, REVERSE_CHARGE_WORDING)
    return Decision(Treatment.UNION_CONSUMER, rates.get(buyer_country, ZERO), buyer_country, "")
