"""billing.proration: the unused-time credit net of what credit notes gave back of the
invoices that paid for the term (pure, in `make mutate`). Hand-worked rows, then the
checks on the input, then a property: with nothing given back it is the plain credit,
and giving back more never credits more."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.money import Money
from billing.proration import GivenBack, InvalidProration, prorate

D = Decimal
# An annual term bought on 14 March 2026 (365 days); the change on 13 September, with
# 182 days left.
TERM = (date(2026, 3, 14), date(2027, 3, 13))
CHANGE = date(2026, 9, 13)


def eur(amount: str) -> Money:
    return Money(D(amount), "EUR")


def change(current: str, new: str, given_back=(), *, term=TERM, on=CHANGE):
    return prorate(
        current_price=eur(current),
        new_price=eur(new),
        term_start=term[0],
        term_end=term[1],
        change_date=on,
        given_back=given_back,
    )


# Each row by hand: (amount given back, days its invoice paid for) per invoice; then the
# credit, the charge and the amount due.
# fmt: off
CASES = {
    "nothing given back: 540 * 182/365": (
        (), "269.26", "448.77", "179.51",
    ),
    "the invoice voided: all 540 given back, nothing to credit": (
        (("540.00", 365),), "0.00", "448.77", "448.77",
    ),
    "a credit note of 100: (540 - 100) * 182/365 = 219.397": (
        (("100.00", 365),), "219.40", "448.77", "229.37",
    ),
    "a change's invoice paid for its 273 days: 540 * 182/365 - 180 * 182/273": (
        (("180.00", 273),), "149.26", "448.77", "299.51",
    ),
    "two invoices corrected: 540 * 182/365 - 100 * 182/365 - 30 * 182/273": (
        (("100.00", 365), ("30.00", 273)), "199.40", "448.77", "249.37",
    ),
    "more given back than the unused share: never below zero": (
        (("400.00", 365), ("200.00", 200)), "0.00", "448.77", "448.77",
    ),
    "an invoice that paid for fewer days than remain gives back all of it": (
        (("50.00", 100),), "219.26", "448.77", "229.51",
    ),
    "zero given back changes nothing": (
        (("0.00", 365),), "269.26", "448.77", "179.51",
    ),
}
# fmt: on


@pytest.mark.parametrize(
    ("given_back", "credit", "charge", "due"), list(CASES.values()), ids=list(CASES)
)
def test_the_credit_leaves_out_what_credit_notes_gave_back(given_back, credit, charge, due):
    result = change(
        "540.00", "900.00", [GivenBack(eur(amount), days) for amount, days in given_back]
    )
    assert (result.term_days, result.remaining_days) == (365, 182)
    assert (result.credit, result.charge, result.due) == (eur(credit), eur(charge), eur(due))
    assert result.given_back == tuple(GivenBack(eur(a), d) for a, d in given_back)


def test_the_credit_is_one_fraction_rounded_once():
    # 100 * 1/2 - 0.01 * 1/2 = 49.995, half up 50.00; rounding each part first would
    # make it 50.00 - 0.01 = 49.99.
    result = change(
        "100.00",
        "200.00",
        [GivenBack(eur("0.01"), 2)],
        term=(date(2026, 1, 1), date(2026, 1, 2)),
        on=date(2026, 1, 2),
    )
    assert (result.credit, result.charge, result.due) == (eur("50.00"), eur("100.00"), eur("50.00"))


def test_the_credit_rounds_at_the_currencys_own_minor_unit():
    # Dinars have three places: 4.939 * 1/2 - 0 = 2.4695 exactly, half up 2.470 (cut
    # at cents' tenths instead, it would be 2.469).
    kwd = Money(D("4.939"), "KWD")
    result = prorate(
        current_price=kwd,
        new_price=kwd,
        term_start=date(2026, 1, 1),
        term_end=date(2026, 1, 2),
        change_date=date(2026, 1, 2),
        given_back=[GivenBack(Money(D(0), "KWD"), 2)],
    )
    assert result.credit == Money(D("2.470"), "KWD")


def test_a_just_positive_credit_is_kept():
    # 540 * 182/365 - 538.99 * 182/365 = 0.5036: 0.50, not zero.
    assert change("540.00", "900.00", [GivenBack(eur("538.99"), 365)]).credit == eur("0.50")


def test_the_unused_share_of_an_invoice_is_its_days_still_to_come():
    result = change("540.00", "900.00", [GivenBack(eur("1.00"), 365), GivenBack(eur("1.00"), 90)])
    assert [result.unused_share(given) for given in result.given_back] == [182, 90]


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (
            GivenBack(Money(D("10.00"), "USD"), 10),
            "What credit notes gave back must be in EUR, not USD.",
        ),
        (GivenBack(eur("-0.01"), 10), "What credit notes gave back cannot be negative."),
        (GivenBack(eur("10.00"), 0), "An invoice paid for 1 to 365 days of the term, not 0."),
        (GivenBack(eur("10.00"), 366), "An invoice paid for 1 to 365 days of the term, not 366."),
    ],
)
def test_what_was_given_back_is_checked(given, message):
    with pytest.raises(InvalidProration) as refused:
        change("540.00", "900.00", [given])
    assert refused.value.errors == {"given_back": message}


def test_a_given_back_of_the_wrong_type_is_a_type_error():
    with pytest.raises(TypeError) as wrong:
        change("540.00", "900.00", [(eur("1.00"), 10)])
    assert str(wrong.value) == "given_back holds GivenBack, not tuple."
    with pytest.raises(TypeError) as wrong:
        change("540.00", "900.00", [GivenBack(D("1.00"), 10)])
    assert str(wrong.value) == "A GivenBack's amount must be Money, not Decimal."


def test_a_one_day_term_takes_an_invoice_of_one_day_only():
    one_day = (date(2026, 1, 1), date(2026, 1, 1))
    paid = change("10.00", "20.00", [GivenBack(eur("4.00"), 1)], term=one_day, on=one_day[0])
    assert paid.credit == eur("6.00")
    with pytest.raises(InvalidProration):
        change("10.00", "20.00", [GivenBack(eur("4.00"), 2)], term=one_day, on=one_day[0])


def test_a_whole_term_and_its_days_are_valid_bounds():
    assert change("540.00", "900.00", [GivenBack(eur("540.00"), 365)]).credit == eur("0.00")
    assert change("540.00", "900.00", [GivenBack(eur("0.01"), 1)]).credit == eur("269.25")


cents = st.integers(min_value=0, max_value=10**8).map(lambda n: eur(str(D(n) / 100)))


@given(
    price=cents,
    amounts=st.lists(cents, max_size=3),
    days=st.lists(st.integers(min_value=1, max_value=365), min_size=3, max_size=3),
    extra=st.integers(min_value=1, max_value=10**6),
)
def test_more_given_back_never_credits_more(price, amounts, days, extra):
    plain = change(price.amount, "0.00")
    given = [GivenBack(amount, day) for amount, day in zip(amounts, days, strict=False)]
    net = change(price.amount, "0.00", given)
    assert Money.zero("EUR") <= net.credit <= plain.credit
    if given:
        more = [GivenBack(given[0].amount + eur(str(D(extra) / 100)), given[0].days), *given[1:]]
        assert change(price.amount, "0.00", more).credit <= net.credit
    assert net.due == net.charge - net.credit
