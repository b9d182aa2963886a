"""The invoice rules: numbers, due dates, settled at once or open, what payments have
paid and what is owed, and when an invoice is credited or voided and what goes back to
the customer's credit. No database (make mutate runs these)."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.invoices.rules import (
    correction_refusal,
    credit_refusal,
    due_now,
    due_on,
    format_number,
    note_tax,
    outstanding,
    over_credit_refusal,
    paid,
    paid_towards,
    reason_refusal,
    remaining,
    status_when_finalized,
    terms_phrase,
    void_refusal,
)
from billing.money import Money


def eur(amount: str) -> Money:
    return Money(Decimal(amount), "EUR")


@pytest.mark.parametrize(
    "series, year, number, text",
    [
        ("INV", 2026, 1, "INV-2026-000001"),
        ("CN", 2027, 123, "CN-2027-000123"),
        ("INV", 2026, 999_999, "INV-2026-999999"),
        ("INV", 2026, 1_234_567, "INV-2026-1234567"),  # past six digits it grows
    ],
    ids=["first", "credit-note", "last-of-six", "seven-digits"],
)
def test_a_number_is_its_series_year_and_six_digits(series, year, number, text):
    assert format_number(series, year, number) == text


def test_an_invoice_is_due_its_days_to_pay_after_it_is_issued():
    assert due_on(date(2026, 3, 14), 30) == date(2026, 4, 13)
    assert due_on(date(2026, 12, 20), 14) == date(2027, 1, 3)
    assert due_on(date(2026, 3, 14), 0) == date(2026, 3, 14)


# (amount, due on, today) -> due now? "Due now" is said only when it is.
@pytest.mark.parametrize(
    "amount, due, today, expected",
    [
        ("120.00", date(2026, 3, 14), date(2026, 3, 14), True),  # due on receipt
        ("0.01", date(2026, 3, 1), date(2026, 3, 14), True),  # past its due date
        ("120.00", date(2026, 3, 15), date(2026, 3, 14), False),  # net terms: later
        ("0.00", date(2026, 3, 14), date(2026, 3, 14), False),  # credit paid it all
        ("-5.00", date(2026, 3, 14), date(2026, 3, 14), False),  # a credit
    ],
    ids=["on-receipt", "overdue", "not-yet", "nothing", "a-credit"],
)
def test_money_is_due_now_only_when_something_is_owed_from_today(amount, due, today, expected):
    assert due_now(amount=eur(amount), due_on=due, today=today) is expected


@pytest.mark.parametrize(
    "days, text",
    [(0, "due on receipt"), (1, "net 1 day"), (30, "net 30 days")],
    ids=["receipt", "one", "thirty"],
)
def test_the_terms_are_said_in_words(days, text):
    assert terms_phrase(days) == text


@pytest.mark.parametrize(
    "amount_due, status",
    [("0.01", "open"), ("120.00", "open"), ("0.00", "paid"), ("-5.00", "paid")],
    ids=["a-cent", "an-amount", "nothing", "a-credit"],
)
def test_an_invoice_with_nothing_to_pay_is_settled_when_finalized(amount_due, status):
    assert status_when_finalized(eur(amount_due)) == status


@pytest.mark.parametrize(
    "received, amount_due, expected",
    [
        ([], "100.00", "0.00"),
        (["30.00", "20.00"], "100.00", "50.00"),
        (["60.00", "40.00"], "100.00", "100.00"),
        (["80.00", "40.00"], "100.00", "100.00"),  # the overpayment went to credit
    ],
    ids=["nothing", "partly", "exactly", "overpaid"],
)
def test_payments_pay_up_to_the_amount_due(received, amount_due, expected):
    assert paid(received=[eur(a) for a in received], amount_due=eur(amount_due)) == eur(expected)


@pytest.mark.parametrize(
    "status, expected",
    [("open", "70.00"), ("paid", "0.00"), ("void", "0.00"), ("draft", "0.00")],
    ids=["open", "paid", "void", "draft"],
)
def test_only_an_open_invoice_is_still_owed(status, expected):
    owed = outstanding(status=status, amount_due=eur("100.00"), paid=eur("30.00"))
    assert owed == eur(expected)


def test_nothing_owed_is_in_the_invoices_currency():
    assert outstanding(status="paid", amount_due=Money(Decimal("5"), "JPY"), paid=eur("0")) == (
        Money.zero("JPY")
    )


def test_what_remains_is_what_no_credit_note_has_credited():
    assert remaining(eur("119.00"), []) == eur("119.00")
    assert remaining(eur("119.00"), [eur("20.00"), eur("9.50")]) == eur("89.50")
    assert remaining(Money(Decimal("500"), "JPY"), []) == Money(Decimal("500"), "JPY")


@pytest.mark.parametrize(
    "reason, refusal",
    [
        ("Double charge.", None),
        ("", {"reason": "Say why; the reason is kept on record."}),
        (" \n", {"reason": "Say why; the reason is kept on record."}),
    ],
    ids=["a-reason", "none", "blank"],
)
def test_a_credit_note_says_why(reason, refusal):
    assert reason_refusal(reason) == refusal


@pytest.mark.parametrize(
    "subtotal, total, refusal",
    [
        ("73.16", "89.99", None),
        ("73.17", "90.00", None),
        ("73.17", "90.01", "That credits more than remains of INV-2026-000007 (\u20ac90.00)."),
        # Its tax rounded down, a part could take more net than is left: refused too.
        (
            "73.18",
            "90.00",
            "That credits more than remains of INV-2026-000007 (\u20ac73.17 before tax).",
        ),
    ],
    ids=["less", "all-that-remains", "more", "more-net"],
)
def test_a_credit_note_never_credits_more_than_remains(subtotal, total, refusal):
    given = {
        "total": eur(total),
        "remaining": eur("90.00"),
        "number": "INV-2026-000007",
        "subtotal": eur(subtotal),
        "rest_subtotal": eur("73.17"),
    }
    assert over_credit_refusal(**given) == refusal


@pytest.mark.parametrize(
    "status, refusal",
    [
        ("draft", "A draft has nothing to correct; change or delete it instead."),
        ("open", None),
        ("paid", None),
        ("void", None),
    ],
    ids=["draft", "open", "paid", "void"],
)
def test_only_a_finalized_invoice_is_corrected(status, refusal):
    assert correction_refusal(status) == refusal


@pytest.mark.parametrize(
    "status, subtotal, refusal",
    [
        ("paid", eur("0.01"), None),
        ("open", eur("10.00"), "Credit an open invoice by voiding it; this one is not paid."),
        ("void", eur("10.00"), "Credit an open invoice by voiding it; this one is not paid."),
        ("paid", eur("0.00"), "Credit a positive amount in EUR."),
        ("paid", eur("-1.00"), "Credit a positive amount in EUR."),
        ("paid", Money(Decimal("10.00"), "USD"), "Credit a positive amount in EUR."),
    ],
    ids=["a-cent", "open", "void", "zero", "negative", "another-currency"],
)
def test_part_of_a_paid_invoice_is_credited_by_a_positive_amount_in_its_currency(
    status, subtotal, refusal
):
    assert credit_refusal(status=status, currency="EUR", subtotal=subtotal) == refusal


@pytest.mark.parametrize(
    "status, left, refusal",
    [
        ("open", "0.01", None),
        ("paid", "50.00", None),
        ("void", "50.00", "Invoice INV-2026-000007 is already void."),
        ("open", "0.00", "Nothing of INV-2026-000007 remains to credit."),
        ("paid", "-0.01", "Nothing of INV-2026-000007 remains to credit."),
    ],
    ids=["a-cent-left", "paid", "void", "nothing-left", "over-credited"],
)
def test_an_invoice_is_voided_once_and_only_while_something_remains(status, left, refusal):
    assert void_refusal(status=status, number="INV-2026-000007", remaining=eur(left)) == refusal


@pytest.mark.parametrize(
    "status, expected",
    [("paid", "80.00"), ("open", "35.00")],
    ids=["paid-all-that-remains", "open-credit-and-payments"],
)
def test_what_was_paid_towards_a_voided_invoice_goes_back_to_credit(status, expected):
    towards = paid_towards(
        status=status, remaining=eur("80.00"), credit_applied=eur("15.00"), paid=eur("20.00")
    )
    assert towards == eur(expected)


CENTS = st.integers(min_value=1, max_value=10**9).map(lambda c: Money(Decimal(c) / 100, "EUR"))


@settings(max_examples=80)
@given(received=st.lists(CENTS, max_size=5), amount_due=CENTS)
def test_payments_never_pay_more_than_is_due_and_the_rest_is_still_owed(received, amount_due):
    total = Money.total(received, "EUR")
    paid_so_far = paid(received=received, amount_due=amount_due)
    assert paid_so_far == (total if total < amount_due else amount_due)
    owed = outstanding(status="open", amount_due=amount_due, paid=paid_so_far)
    assert owed + paid_so_far == amount_due
    assert owed.amount >= 0


@pytest.mark.parametrize(
    "subtotal, rest_subtotal, rest_tax, tax",
    [
        # 23 % of 100.50 is 23.115: rounded half up, 23.12.
        ("100.50", "301.00", "69.23", "23.12"),
        # The rest of that invoice after it: the rest of its tax (46.11), not 23 % of
        # 200.50 (46.115, 46.12), which would credit a cent more than remains.
        ("200.50", "200.50", "46.11", "46.11"),
        # A part whose rounded tax exceeds the tax left: capped at it.
        ("1.62", "1.63", "0.37", "0.37"),
        ("1.00", "1.63", "0.37", "0.23"),
        ("0.01", "0.01", "0.00", "0.00"),
    ],
)
def test_a_credit_notes_tax_is_the_rate_on_it_or_what_is_left(
    subtotal, rest_subtotal, rest_tax, tax
):
    assert note_tax(
        subtotal=eur(subtotal),
        tax_rate=Decimal(23),
        rest_subtotal=eur(rest_subtotal),
        rest_tax=eur(rest_tax),
    ) == eur(tax)


@settings(max_examples=300)
@given(
    net=st.integers(1, 10**7),
    rate=st.sampled_from([Decimal(0), Decimal(7), Decimal("19"), Decimal("23"), Decimal("8.25")]),
    parts=st.lists(st.integers(1, 10**6), max_size=4),
)
def test_an_invoices_credit_notes_add_up_to_its_tax_and_total(net, rate, parts):
    """Any partial credit notes, then one for the rest (a void): their taxes add up to
    the invoice's own tax and their totals to its total, to the cent; none carries more
    tax than was left."""
    from billing.invoices.totals import tax_on

    subtotal = eur(str(Decimal(net) / 100))
    invoice_tax = tax_on(subtotal, rate)
    notes: list[tuple[Money, Money]] = []
    for part in parts:
        left = remaining(subtotal, (n for n, _ in notes))
        amount = min(eur(str(Decimal(part) / 100)), left)
        if amount.is_zero:
            break
        rest_tax = remaining(invoice_tax, (t for _, t in notes))
        tax = note_tax(subtotal=amount, tax_rate=rate, rest_subtotal=left, rest_tax=rest_tax)
        assert eur("0") <= tax <= rest_tax
        notes.append((amount, tax))
    left = remaining(subtotal, (n for n, _ in notes))
    if not left.is_zero:
        rest_tax = remaining(invoice_tax, (t for _, t in notes))
        notes.append(
            (left, note_tax(subtotal=left, tax_rate=rate, rest_subtotal=left, rest_tax=rest_tax))
        )
    assert Money.total((n for n, _ in notes), "EUR") == subtotal
    assert Money.total((t for _, t in notes), "EUR") == invoice_tax
