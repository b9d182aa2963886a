"""billing.checkout.quote, pure: the unused time is credited net of what credit notes gave
back of the invoices that paid for the term, and the credit line says so. The catalog
and "today" are test_quote_rules' (14 March 2026 in a March term: 18 of 31 days left;
Team 5 seats is $95 a month, 8 seats $152)."""

from datetime import date
from decimal import Decimal

import pytest

from billing.checkout.quote import Credited, QuoteRefused
from billing.money import Money
from tests.billing.checkout.test_quote_rules import change, lines_of, plan, usd

D = Decimal
MARCH_1 = date(2026, 3, 1)
TODAY = date(2026, 3, 14)
END = date(2026, 3, 31)
UNUSED = "Unused time: 18 of 31 days of Team, 5 seats at $95.00 a month"
REMAINING = ("Remaining time: 18 of 31 days of Team, 8 seats at $152.00 a month", D(1))


def more_seats(*credited, **extra):
    return change(plan("team", 5), plan("team", 8), credited=credited, **extra)


def test_nothing_given_back_credits_the_unused_share_of_the_price():
    quote = more_seats()
    assert [line.amount for line in quote.lines] == [usd("-55.16"), usd("88.26")]
    assert quote.lines[0].description == UNUSED


def test_a_partial_credit_note_reduces_the_credit_by_its_unused_share():
    # 95 * 18/31 - 20 * 18/31 = 75 * 18/31 = 43.548...
    quote = more_seats(Credited(usd("20.00"), MARCH_1))
    assert lines_of(quote) == [
        (
            f"{UNUSED}, less 18 of 31 days of the $20.00 credit notes gave back",
            D(1),
            D("-43.55"),
            D("-43.55"),
            TODAY,
            END,
        ),
        (*REMAINING, D("88.26"), D("88.26"), TODAY, END),
    ]
    assert quote.amount_due == usd("44.71")


def test_a_voided_term_gives_no_credit_and_the_rest_is_charged_in_full():
    quote = more_seats(Credited(usd("95.00"), MARCH_1))
    assert lines_of(quote) == [(*REMAINING, D("88.26"), D("88.26"), TODAY, END)]
    assert quote.amount_due == usd("88.26")


def test_a_change_invoice_given_back_weighs_on_the_days_it_paid_for():
    # An invoice that paid from today: $10 over its 18 days, all still to come.
    quote = more_seats(Credited(usd("10.00"), TODAY))
    assert quote.lines[0].amount == usd("-45.16")
    assert quote.lines[0].description.endswith(
        "less 18 of 18 days of the $10.00 credit notes gave back"
    )


def test_an_invoice_that_paid_from_before_the_term_counts_from_its_first_day():
    before = more_seats(Credited(usd("20.00"), date(2026, 2, 1)))
    assert lines_of(before) == lines_of(more_seats(Credited(usd("20.00"), MARCH_1)))


def test_nothing_given_back_or_after_the_paid_days_is_left_out():
    plain = lines_of(more_seats())
    assert lines_of(more_seats(Credited(usd("0.00"), MARCH_1))) == plain
    # Staff extended the term to 30 April free; an invoice billing from April pays for
    # none of the paid days.
    extended = {"term": (MARCH_1, date(2026, 4, 30)), "paid_through": END}
    assert lines_of(more_seats(Credited(usd("30.00"), date(2026, 4, 1)), **extended)) == plain


def test_two_corrected_invoices_are_each_said():
    quote = more_seats(Credited(usd("20.00"), MARCH_1), Credited(usd("9.00"), TODAY))
    # 75 * 18/31 - 9 = 34.548...
    assert quote.lines[0].amount == usd("-34.55")
    assert quote.lines[0].description.endswith(
        "less 18 of 31 days of the $20.00 credit notes gave back and 18 of 18 days of the "
        "$9.00 credit notes gave back"
    )


def test_a_voided_month_gives_no_credit_on_a_move_to_annual():
    quote = change(
        plan("team", 5), plan("team", 5, "annual"), credited=[Credited(usd("95.00"), MARCH_1)]
    )
    assert [line.kind for line in quote.lines] == ["recurring"]
    assert quote.amount_due == usd("950.00")
    partly = change(
        plan("team", 5), plan("team", 5, "annual"), credited=[Credited(usd("20.00"), MARCH_1)]
    )
    assert partly.lines[0].amount == usd("-43.55")
    assert "less 18 of 31 days of the $20.00" in partly.lines[0].description


def test_a_credit_note_in_another_currency_is_refused():
    with pytest.raises(QuoteRefused) as refused:
        more_seats(Credited(Money(D("5.00"), "EUR"), MARCH_1))
    assert refused.value.errors == {"currency": "A credit note is not in USD."}


def test_an_invoice_that_paid_for_the_last_day_only_counts_on_that_day():
    # On 31 March: 95 * 1/31 = 3.06 less the $1.00 of the one day that invoice paid for.
    quote = more_seats(Credited(usd("1.00"), END), today=END)
    assert quote.lines[0].amount == usd("-2.06")
    assert quote.lines[0].description == (
        "Unused time: 1 of 31 days of Team, 5 seats at $95.00 a month, less 1 of 1 day of "
        "the $1.00 credit notes gave back"
    )


def test_an_entry_left_out_does_not_stop_the_next_being_counted():
    counted = more_seats(Credited(usd("0.00"), MARCH_1), Credited(usd("20.00"), MARCH_1))
    assert lines_of(counted) == lines_of(more_seats(Credited(usd("20.00"), MARCH_1)))
