"""billing.discounts: known cases and properties (pure: these are the mutation run's)."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.discounts import (
    ORDER,
    Applied,
    Discount,
    DiscountKind,
    apply,
    format_percent,
    needs_approval,
    negotiated,
)
from billing.money import Money

D = Decimal
N = DiscountKind.NEGOTIATED


def usd(amount: str) -> Money:
    return Money(D(amount), "USD")


@pytest.mark.parametrize(
    ("percent", "text"),
    [
        (D("20"), "20%"),
        (D("20.00"), "20%"),
        (D("12.50"), "12.5%"),
        (D("0.5"), "0.5%"),
        (D("100"), "100%"),
        (D("10"), "10%"),
        (D("100.00"), "100%"),
        (D("7.05"), "7.05%"),
    ],
)
def test_it_formats_a_percent_without_trailing_zeros(percent, text):
    assert format_percent(percent) == text


@pytest.mark.parametrize("percent", [D("0.01"), D("1"), D("99.99"), D("100")])
def test_a_discount_is_more_than_zero_and_at_most_a_hundred(percent):
    assert Discount(N, percent, "why").percent == percent


@pytest.mark.parametrize("percent", [D("0"), D("-1"), D("100.01"), D("-0.01")])
def test_a_discount_out_of_range_is_refused(percent):
    with pytest.raises(ValueError, match=r"^A discount is more than 0% and at most 100%\.$"):
        Discount(N, percent, "why")


@pytest.mark.parametrize("percent", [20, 20.0, D("NaN"), D("Infinity"), "20"])
def test_a_discount_is_a_finite_decimal(percent):
    with pytest.raises(TypeError, match=r"^A discount's percent is a finite Decimal\.$"):
        Discount(N, percent, "why")


@pytest.mark.parametrize("reason", ["", "   ", "\n"], ids=["empty", "spaces", "newline"])
def test_a_discount_says_why(reason):
    with pytest.raises(ValueError, match=r"^A discount says why it is given\.$"):
        Discount(N, D(10), reason)


def test_it_describes_a_discount():
    assert Discount(N, D("20.00"), "  three-year commitment ").describe() == (
        "Negotiated discount 20% (three-year commitment)"
    )


def test_negotiated_is_none_for_zero_and_one_discount_otherwise():
    assert negotiated(D(0), "") == ()
    assert negotiated(D("0.00"), "why") == ()
    assert negotiated(D("20"), "why") == (Discount(N, D(20), "why"),)


# (list, percent, off, net): each amount off is rounded half up to cents, once.
KNOWN = [
    ("790.00", "20", "158.00", "632.00"),
    ("33.33", "15", "5.00", "28.33"),  # 4.9995 → 5.00
    ("33.33", "10", "3.33", "30.00"),  # 3.333 → 3.33
    ("0.10", "5", "0.01", "0.09"),  # 0.005 → 0.01 (half up)
    ("0.10", "4", "0.00", "0.10"),  # 0.004 → 0.00
    ("100.00", "100", "100.00", "0.00"),
    ("0.00", "50", "0.00", "0.00"),
    ("1234.56", "12.5", "154.32", "1080.24"),
]


@pytest.mark.parametrize(("amount", "percent", "off", "net"), KNOWN)
def test_it_applies_a_discount_rounded_once(amount, percent, off, net):
    result = apply(usd(amount), negotiated(D(percent), "why"))
    assert result.list_amount == usd(amount)
    assert result.applied == (Applied(Discount(N, D(percent), "why"), usd(amount), usd(off)),)
    assert result.net == usd(net)
    assert result.total_off == usd(off)


def test_no_discount_leaves_the_amount():
    result = apply(usd("79.00"), ())
    assert (result.applied, result.net, result.total_off) == ((), usd("79.00"), usd("0"))


def test_it_rounds_in_the_currencys_minor_units():
    result = apply(Money(D("1005"), "JPY"), negotiated(D("15"), "why"))
    assert result.net == Money(D("854"), "JPY")  # 150.75 off → 151


def test_it_refuses_a_credit_and_two_discounts_of_one_kind():
    with pytest.raises(ValueError, match=r"^Discount a price, not a credit\.$"):
        apply(usd("-0.01"), negotiated(D(10), "why"))
    with pytest.raises(ValueError, match=r"^At most one discount of each kind\.$"):
        apply(usd("10"), negotiated(D(10), "a") + negotiated(D(5), "b"))


def test_the_order_is_published():
    assert ORDER == (N,)


@pytest.mark.parametrize(
    ("percents", "threshold", "needed"),
    [
        ((), "15", False),
        ((), "0", False),
        (("15",), "15", False),  # exactly the threshold: no approval
        (("15.01",), "15", True),
        (("14.99",), "15", False),
        (("20",), "15", True),
        (("100",), "15", True),
        (("0.01",), "0", True),
        (("10", "6"), "15", True),  # 15.4% together: above, though each is below
        (("10", "5"), "15", False),  # 14.5% together
        (("20",), "20", False),
        (("20",), "19.99", True),
    ],
)
def test_it_needs_approval_above_the_threshold(percents, threshold, needed):
    discounts = [Discount(N, D(p), "why") for p in percents]
    assert needs_approval(discounts, D(threshold)) is needed


amounts = st.decimals(min_value=0, max_value=10**7, places=2).map(usd)
percents = st.decimals(min_value=D("0.01"), max_value=100, places=2)


@given(amounts, percents)
def test_the_net_and_what_comes_off_make_the_list_price(amount, percent):
    result = apply(amount, negotiated(percent, "why"))
    assert result.net + result.total_off == amount
    assert usd("0") <= result.net <= amount
    assert result.total_off == result.total_off.rounded()
    assert abs(result.total_off.amount - amount.amount * percent / 100) <= D("0.005")


@given(amounts, percents, percents)
def test_a_larger_discount_never_leaves_more(amount, low, high):
    low, high = sorted((low, high))
    assert apply(amount, negotiated(high, "x")).net <= apply(amount, negotiated(low, "x")).net


@given(percents, st.decimals(min_value=0, max_value=100, places=2))
def test_one_discount_needs_approval_exactly_when_above(percent, threshold):
    assert needs_approval(negotiated(percent, "x"), threshold) is (percent > threshold)
