"""Amounts to and from Stripe: integers in the currency's minor units, from Money's
Decimal, never through a float."""

from decimal import Decimal

import pytest

from billing.cards.gateway import csp_sources, from_minor_units, to_minor_units
from billing.money import Money


@pytest.mark.parametrize(
    ("money", "minor"),
    [
        (Money(Decimal("239.88"), "USD"), 23988),
        (Money(Decimal("0.10"), "EUR"), 10),
        (Money(Decimal("1500"), "JPY"), 1500),
        (Money(Decimal("12.345"), "BHD"), 12345),
        # Beyond a float's exact integers: still exact.
        (Money(Decimal("90071992547409.93"), "USD"), 9007199254740993),
    ],
)
def test_money_goes_to_stripe_in_minor_units_and_comes_back_equal(money, minor):
    assert to_minor_units(money) == minor
    assert from_minor_units(minor, money.currency.lower()) == money


def test_an_amount_finer_than_the_minor_unit_is_refused():
    with pytest.raises(ValueError, match="minor units"):
        to_minor_units(Money(Decimal("1.005"), "USD"))
    with pytest.raises(ValueError, match="minor units"):
        to_minor_units(Money(Decimal("10.5"), "JPY"))


def test_real_stripe_adds_its_own_origins_only(settings):
    settings.STRIPE_API_BASE = ""
    settings.STRIPE_JS_URL = "https://js.stripe.com/v3/"
    assert csp_sources() == {
        "script-src": ["https://js.stripe.com"],
        "connect-src": ["https://api.stripe.com", "https://js.stripe.com"],
        "frame-src": ["https://js.stripe.com", "https://hooks.stripe.com"],
    }
