"""The tax rule (billing.tax.rules): known cases in a table, and its invariants for any
buyer."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.tax.rules import (
    EXPORT_WORDING,
    REVERSE_CHARGE_WORDING,
    Decision,
    Seller,
    Treatment,
    decide,
    tax_label,
)

D = Decimal
UNION = frozenset({"IE", "DE", "FR", "NL"})
SELLER = Seller(country="IE", union=UNION)
RATES = {"IE": D("23"), "DE": D("19"), "FR": D("20")}

CASES = [
    # buyer country, tax ID, override -> treatment, rate, rate country, wording
    ("IE", "", None, Treatment.DOMESTIC, D("23"), "IE", ""),
    ("IE", "IE6388047V", None, Treatment.DOMESTIC, D("23"), "IE", ""),
    ("", "", None, Treatment.DOMESTIC, D("23"), "IE", ""),
    ("DE", "DE136695976", None, Treatment.REVERSE_CHARGE, D(0), None, REVERSE_CHARGE_WORDING),
    ("DE", "", None, Treatment.UNION_CONSUMER, D("19"), "DE", ""),
    ("DE", "   ", None, Treatment.UNION_CONSUMER, D("19"), "DE", ""),
    ("FR", "", None, Treatment.UNION_CONSUMER, D("20"), "FR", ""),
    # A union country with no rate in the table charges none.
    ("NL", "", None, Treatment.UNION_CONSUMER, D(0), "NL", ""),
    ("US", "", None, Treatment.EXPORT, D(0), None, EXPORT_WORDING),
    ("GB", "980780684", None, Treatment.EXPORT, D(0), None, EXPORT_WORDING),
    ("DE", "DE136695976", D("7"), Treatment.OVERRIDE, D("7"), None, ""),
    ("US", "", D("0"), Treatment.OVERRIDE, D(0), None, ""),
    ("IE", "", D("100"), Treatment.OVERRIDE, D("100"), None, ""),
]


@pytest.mark.parametrize(
    ("country", "tax_id", "override", "treatment", "rate", "rate_country", "wording"), CASES
)
def test_known_cases(country, tax_id, override, treatment, rate, rate_country, wording):
    decision = decide(
        seller=SELLER, buyer_country=country, buyer_tax_id=tax_id, rates=RATES, override=override
    )
    assert decision == Decision(treatment, rate, rate_country, wording)


def test_the_seller_outside_any_union_charges_its_own_rate_at_home_and_none_abroad():
    seller = Seller(country="GB", union=frozenset())
    rates = {"GB": D("20")}
    home = decide(seller=seller, buyer_country="GB", buyer_tax_id="", rates=rates)
    abroad = decide(seller=seller, buyer_country="DE", buyer_tax_id="DE136695976", rates=rates)
    assert (home.treatment, home.rate) == (Treatment.DOMESTIC, D("20"))
    assert (abroad.treatment, abroad.rate, abroad.wording) == (Treatment.EXPORT, 0, EXPORT_WORDING)


@pytest.mark.parametrize("override", [D("-0.01"), D("100.01")])
def test_an_override_is_a_percentage(override):
    with pytest.raises(ValueError, match="from 0 to 100"):
        decide(seller=SELLER, buyer_country="IE", buyer_tax_id="", rates=RATES, override=override)


def test_the_labels_name_each_treatment():
    labels = {
        decide(seller=SELLER, buyer_country=c, buyer_tax_id=t, rates=RATES).label
        for c, t in [("IE", ""), ("DE", ""), ("DE", "X"), ("US", "")]
    }
    assert labels == {
        "Domestic",
        "Consumer in the tax union (buyer's country rate)",
        "Reverse charge",
        "Export (no tax)",
    }


countries = st.sampled_from(["", "IE", "DE", "FR", "NL", "US", "GB", "JP"])
tax_ids = st.sampled_from(["", " ", "X123", "DE136695976"])
rates = st.dictionaries(
    st.sampled_from(["IE", "DE", "FR", "NL", "US"]),
    st.integers(0, 10000).map(lambda cents: D(cents).scaleb(-2)),
)


@given(country=countries, tax_id=tax_ids, table=rates)
def test_property_the_rate_is_a_table_rate_of_the_place_of_supply_or_zero(country, tax_id, table):
    decision = decide(seller=SELLER, buyer_country=country, buyer_tax_id=tax_id, rates=table)
    if decision.rate_country is None:
        assert decision.rate == 0
        assert decision.wording  # no tax is always explained on the invoice
    else:
        assert decision.rate == table.get(decision.rate_country, D(0))
        assert decision.wording == ""
        assert decision.rate_country in {SELLER.country, country}


@given(country=countries, tax_id=tax_ids, table=rates)
def test_property_only_a_business_in_another_union_country_is_reverse_charged(
    country, tax_id, table
):
    decision = decide(seller=SELLER, buyer_country=country, buyer_tax_id=tax_id, rates=table)
    reverse = decision.treatment == Treatment.REVERSE_CHARGE
    assert reverse == (country in UNION - {"IE"} and bool(tax_id.strip()))


@given(
    country=countries,
    tax_id=tax_ids,
    table=rates,
    override=st.integers(0, 10000).map(lambda cents: D(cents).scaleb(-2)),
)
def test_property_an_override_wins_over_every_rule(country, tax_id, table, override):
    decision = decide(
        seller=SELLER, buyer_country=country, buyer_tax_id=tax_id, rates=table, override=override
    )
    assert (decision.treatment, decision.rate, decision.wording) == (
        Treatment.OVERRIDE,
        override,
        "",
    )


@given(tax_id=tax_ids, table=rates)
def test_property_at_home_the_tax_id_changes_nothing(tax_id, table):
    with_id = decide(seller=SELLER, buyer_country="IE", buyer_tax_id=tax_id, rates=table)
    without = decide(seller=SELLER, buyer_country="IE", buyer_tax_id="", rates=table)
    assert with_id == without


@pytest.mark.parametrize(
    ("treatment", "rate", "label"),
    [
        (Treatment.DOMESTIC, D("23.00"), "23 %"),
        (Treatment.UNION_CONSUMER, D("25.50"), "25.5 %"),
        (Treatment.OVERRIDE, D("20"), "20 %"),
        # Never "Tax (Export (no tax), 0 %)": brackets inside the line's brackets.
        (Treatment.REVERSE_CHARGE, D("0.00"), "reverse charge, 0 %"),
        (Treatment.EXPORT, D("0"), "export, 0 %"),
        ("", D("0.00"), "0 %"),  # an invoice finalized before the rule
    ],
)
def test_the_tax_line_is_labelled_alike_everywhere(treatment, rate, label):
    assert tax_label(treatment, rate) == label
