"""The payment terms box of the billing details page states the tax case that applies
to this organization (the same decision an invoice takes), and a staff override as set
by Tierwise, never as agreed by the customer."""

from datetime import date
from decimal import Decimal

import pytest

from billing.models import BillingDetails, TaxRate

URL = "/app/northwind/settings/billing/"


@pytest.fixture
def rates(db):
    TaxRate.objects.create(country="IE", rate=Decimal("23"), effective_from=date(2024, 1, 1))
    TaxRate.objects.create(country="DE", rate=Decimal("19"), effective_from=date(2024, 1, 1))


def details(organization, **fields) -> BillingDetails:
    return BillingDetails.objects.create(
        organization=organization,
        legal_name="Northwind Traders GmbH",
        address_line1="Friedrichstraße 68",
        city="Berlin",
        **fields,
    )


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        (
            {"country": "DE", "tax_id": "DE136695976"},
            "No VAT: reverse charge — you are a business in another EU country with a VAT number",
        ),
        ({"country": "DE"}, "19 %, the rate of Germany — you are in another EU country"),
        ({"country": "US"}, "No VAT: you are outside the EU"),
        ({"country": "IE"}, "23 %, the rate of Ireland — you are in the same country"),
        (
            {
                "country": "DE",
                "tax_id": "DE136695976",
                "tax_rate_override": Decimal("19.00"),
                "tax_override_reason": "Exemption withdrawn",
            },
            "19 %, set by Tierwise",
        ),
    ],
)
def test_the_tax_case_that_applies_is_stated(client_for, owner, organization, rates, fields, says):
    details(organization, **fields)

    html = client_for(owner).get(URL).content.decode()

    assert says in html
    assert "as agreed with us" not in html
    assert "none for a business elsewhere in the EU" not in html


def test_before_any_details_the_sellers_rate_is_said_until_a_country_is_entered(
    client_for, owner, rates
):
    html = client_for(owner).get(URL).content.decode()

    assert "23 %, the rate of Ireland, where we are, until you enter your country" in html
