"""The billing details page says which case of the tax rule applies to this buyer, in
words: a table of the cases (billing.tax.rules.explain, pure)."""

from decimal import Decimal

import pytest

from billing.tax.rules import EXPORT_WORDING, REVERSE_CHARGE_WORDING, Decision, Treatment, explain

D = Decimal


@pytest.mark.parametrize(
    ("decision", "rate_country", "buyer_known", "says"),
    [
        (Decision(Treatment.OVERRIDE, D("19.00"), None, ""), "", True, "19 %, set by Tierwise"),
        (
            Decision(Treatment.REVERSE_CHARGE, D(0), None, REVERSE_CHARGE_WORDING),
            "",
            True,
            "No VAT: reverse charge — you are a business in another EU country with a VAT "
            "number, so you account for the VAT yourself",
        ),
        (
            Decision(Treatment.EXPORT, D(0), None, EXPORT_WORDING),
            "",
            True,
            "No VAT: you are outside the EU, so our service is an export",
        ),
        (
            Decision(Treatment.UNION_CONSUMER, D("19"), "DE", ""),
            "Germany",
            True,
            "19 %, the rate of Germany — you are in another EU country without a VAT "
            "number, so your country's rate applies",
        ),
        (
            Decision(Treatment.DOMESTIC, D("23.00"), "IE", ""),
            "Ireland",
            True,
            "23 %, the rate of Ireland — you are in the same country as we are",
        ),
        (
            Decision(Treatment.DOMESTIC, D("23"), "IE", ""),
            "Ireland",
            False,
            "23 %, the rate of Ireland, where we are, until you enter your country",
        ),
    ],
    # ASCII ids: the mutation harness runs each test by its id (README, "Mutation testing").
    ids=[
        "override",
        "reverse-charge",
        "export",
        "union-consumer",
        "domestic",
        "domestic-country-unknown",
    ],
)
def test_each_case_is_said_for_the_buyer_it_applies_to(decision, rate_country, buyer_known, says):
    assert explain(decision, rate_country=rate_country, buyer_known=buyer_known) == says
