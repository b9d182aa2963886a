"""The invoice's arithmetic: hand-worked tables, then properties over random lines."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.invoices.totals import invoice_totals, line_amount, tax_on
from billing.money import Money


def usd(amount: str) -> Money:
    return Money(Decimal(amount), "USD")


@pytest.mark.parametrize(
    ("quantity", "unit_price", "amount"),
    [
        (12, "12.00", "144.00"),
        (Decimal("0.5"), "0.05", "0.03"),  # 0.025 rounds half up
        (3, "0.3333", "1.00"),  # 0.9999 → 1.00
        (1, "-16.665", "-16.67"),  # a credit line, half away from zero
    ],
)
def test_it_rounds_each_line_once(quantity, unit_price, amount):
    assert line_amount(quantity=quantity, unit_price=usd(unit_price)) == usd(amount)


@pytest.mark.parametrize(
    ("lines", "rate", "credit", "expected"),
    [
        # subtotal, tax, total, credit applied, due, credit granted
        (["144.00", "9.00"], "20", "0", ["153.00", "30.60", "183.60", "0", "183.60", "0"]),
        (["10.00"], "7.25", "0", ["10.00", "0.73", "10.73", "0", "10.73", "0"]),  # 0.725
        (["100.00"], "0", "30.00", ["100.00", "0", "100.00", "30.00", "70.00", "0"]),
        (["100.00"], "10", "500.00", ["100.00", "10.00", "110.00", "110.00", "0", "0"]),
        (["26.67", "-46.67"], "0", "5.00", ["-20.00", "0", "-20.00", "0", "0", "20.00"]),
    ],
)
def test_it_adds_up_tables(lines, rate, credit, expected):
    totals = invoice_totals(
        line_amounts=[usd(line) for line in lines],
        tax_rate=Decimal(rate),
        credit_balance=usd(credit),
        currency="USD",
    )
    assert [
        totals.subtotal,
        totals.tax,
        totals.total,
        totals.credit_applied,
        totals.amount_due,
        totals.credit_granted,
    ] == [usd(value) for value in expected]


def test_it_refuses_a_rate_over_100_percent():
    with pytest.raises(ValueError, match="0 to 100"):
        tax_on(usd("10.00"), Decimal("101"))


def test_a_zero_total_takes_no_credit_and_creates_none():
    totals = invoice_totals(
        line_amounts=[usd("5.00"), usd("-5.00")],
        tax_rate=Decimal("20"),
        credit_balance=usd("10.00"),
        currency="USD",
    )
    assert (totals.total, totals.credit_applied, totals.amount_due) == (usd("0"),) * 3
    assert totals.credit_granted == usd("0")


def test_it_refuses_a_negative_credit_balance():
    with pytest.raises(ValueError, match=r"^A credit balance cannot be negative\.$"):
        invoice_totals(
            line_amounts=[usd("1.00")],
            tax_rate=Decimal(0),
            credit_balance=usd("-1"),
            currency="USD",
        )


prices = st.decimals(min_value=-(10**6), max_value=10**6, places=4)
quantities = st.decimals(min_value=0, max_value=1000, places=2)
rates = st.decimals(min_value=0, max_value=100, places=2)


@given(
    lines=st.lists(st.tuples(quantities, prices), min_size=1, max_size=20),
    rate=rates,
    credit=st.integers(min_value=0, max_value=10**8).map(lambda c: Decimal(c) / 100),
)
def test_it_always_adds_up_to_the_cent(lines, rate, credit):
    amounts = [line_amount(quantity=q, unit_price=Money(p, "USD")) for q, p in lines]
    totals = invoice_totals(
        line_amounts=amounts, tax_rate=rate, credit_balance=usd(str(credit)), currency="USD"
    )
    for money in (totals.subtotal, totals.tax, totals.total, totals.amount_due):
        assert money == money.rounded()
    assert totals.subtotal == Money.total(amounts, "USD")
    assert totals.total == totals.subtotal + totals.tax
    # What is paid by credit, what is still due and what is owed back make the total.
    assert totals.credit_applied + totals.amount_due - totals.credit_granted == totals.total
    assert Money.zero("USD") <= totals.credit_applied <= usd(str(credit))
    assert totals.amount_due.amount >= 0 and totals.credit_granted.amount >= 0
