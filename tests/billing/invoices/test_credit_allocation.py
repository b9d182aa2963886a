"""billing.invoices.credit: the rule by which credit pays open invoices, pure."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.invoices.credit import Application, Owed, allocate
from billing.money import Money


def usd(amount) -> Money:
    return Money(Decimal(amount), "USD")


def owed(number: str, day: int, amount) -> Owed:
    return Owed(number, date(2026, 3, day), usd(amount))


@pytest.mark.parametrize(
    ("balance", "invoices", "expected"),
    [
        # Oldest first: the older invoice is paid in full before the newer gets anything.
        ("100", [owed("B", 5, "80"), owed("A", 1, "60")], [("A", "60"), ("B", "40")]),
        # Less credit than the oldest owes: all of it to the oldest.
        ("30", [owed("A", 1, "60"), owed("B", 5, "80")], [("A", "30")]),
        # More credit than all owe: each paid in full, the rest left over.
        ("500", [owed("A", 1, "60"), owed("B", 5, "80")], [("A", "60"), ("B", "80")]),
        # Exactly enough.
        ("140", [owed("A", 1, "60"), owed("B", 5, "80")], [("A", "60"), ("B", "80")]),
        # The same day: by number.
        (
            "70",
            [owed("INV-2", 1, "60"), owed("INV-1", 1, "60")],
            [("INV-1", "60"), ("INV-2", "10")],
        ),
        # An invoice that owes nothing takes nothing; the next one gets the credit.
        ("50", [owed("A", 1, "0"), owed("B", 5, "80")], [("B", "50")]),
        # No credit, or a negative balance: nothing.
        ("0", [owed("A", 1, "60")], []),
        ("-5", [owed("A", 1, "60")], []),
        # No open invoice: the credit waits.
        ("50", [], []),
        # Cents.
        ("0.01", [owed("A", 1, "0.02")], [("A", "0.01")]),
    ],
)
def test_allocation(balance, invoices, expected):
    assert allocate(usd(balance), invoices) == [
        Application(number, usd(amount)) for number, amount in expected
    ]


def test_an_invoice_in_another_currency_is_refused():
    with pytest.raises(ValueError, match="EUR"):
        allocate(usd("10"), [Owed("A", date(2026, 3, 1), Money(Decimal("5"), "EUR"))])


cents = st.integers(min_value=0, max_value=10_000_000).map(lambda n: usd(Decimal(n) / 100))
open_invoices = st.lists(
    st.tuples(st.integers(min_value=1, max_value=28), cents), max_size=8, unique_by=lambda t: t
).map(
    lambda rows: [
        Owed(f"INV-{index:03d}", date(2026, 2, day), amount)
        for index, (day, amount) in enumerate(rows)
    ]
)


@given(balance=cents, invoices=open_invoices)
def test_property_min_of_balance_and_owed_oldest_first(balance, invoices):
    applications = allocate(balance, invoices)
    owed_total = Money.total((invoice.outstanding for invoice in invoices), "USD")
    applied = Money.total((application.amount for application in applications), "USD")
    # Total applied = min(balance, all that is owed).
    assert applied == min(balance, owed_total)
    by_number = {invoice.number: invoice for invoice in invoices}
    ordered = sorted(invoices, key=lambda invoice: (invoice.issued_on, invoice.number))
    # Each takes no more than it owes, nothing when it owes nothing, in age order.
    assert [a.number for a in applications] == [
        i.number for i in ordered if i.number in {a.number for a in applications}
    ]
    taken = {a.number: a.amount for a in applications}
    for application in applications:
        assert usd(0) < application.amount <= by_number[application.number].outstanding
    # Oldest first: an invoice not paid in full leaves every later one without credit.
    short = False
    for invoice in ordered:
        got = taken.get(invoice.number, usd(0))
        if short:
            assert got == usd(0)
        elif got < invoice.outstanding:
            short = True
