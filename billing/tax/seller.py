"""The seller, from settings.TIERWISE_SELLER and TIERWISE_TAX_UNION: the block every
invoice prints, and the seller the tax rule decides for. A deploy check warns while the
demo company is in use."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Warning, register
from django.core.exceptions import ImproperlyConfigured

from billing.tax.countries import country_name
from billing.tax.rules import Seller

# The demo company's VAT number (a published example): no real seller holds it.
DEMO_TAX_ID = "IE6388047V"


def seller() -> Seller:
    country = settings.TIERWISE_SELLER["country"].upper()
    union = frozenset(code.upper() for code in settings.TIERWISE_TAX_UNION)
    if union and country not in union:
        raise ImproperlyConfigured(
            f"SELLER_COUNTRY {country} is not in TAX_UNION; add it, or empty TAX_UNION."
        )
    return Seller(country=country, union=union)


def seller_block() -> dict:
    """What an invoice names as its issuer; copied onto each invoice at finalization."""
    config = settings.TIERWISE_SELLER
    return {
        "legal_name": config["legal_name"],
        "address": list(config["address"]),
        "country": config["country"].upper(),
        "country_name": country_name(config["country"]),
        "tax_id": config["tax_id"],
        "registration": config["registration"],
        "email": config["email"],
    }


@register("billing", deploy=True)
def demo_seller_check(app_configs, **kwargs) -> list[Warning]:
    """A production invoice must not name the demo company as its issuer."""
    if settings.TIERWISE_SELLER["tax_id"].replace(" ", "").upper() != DEMO_TAX_ID:
        return []
    return [
        Warning(
            "Invoices name the demo company as the seller.",
            hint=(
                "Set SELLER_LEGAL_NAME, SELLER_ADDRESS, SELLER_COUNTRY, SELLER_TAX_ID, "
                "SELLER_REGISTRATION and SELLER_BILLING_EMAIL."
            ),
            id="billing.W002",
        )
    ]
