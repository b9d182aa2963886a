"""billing.checkout.quote, pure (no database, so `make mutate` runs it): hand-worked
tables of what each change costs and when it takes effect, the refusals word for word,
the calendar arithmetic of terms, then properties over random catalogs and changes.

The catalog of the tables is the demo's, in USD: Starter flat $29 a month or $290 a year
(at most 3 seats), Team $19 / $190 per seat from 3 seats (at most 15), Business $39 /
$390 per seat from 10 seats (at most 50). "Today" is 14 March 2026 in a March term:
18 of its 31 days are left (14 to 31 March, both included).
"""

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from billing.checkout.quote import (
    Line,
    Plan,
    QuoteRefused,
    check_plan,
    quote_change,
)
from billing.money import Money
from billing.pricing import SeatPrice
from billing.subscriptions.periods import term_end_for

D = Decimal
TODAY = date(2026, 3, 14)
MARCH = (date(2026, 3, 1), date(2026, 3, 31))
NO_TAX = D(0)
UNUSED_TEAM_5 = "Unused time: 18 of 31 days of Team, 5 seats at $95.00 a month"


def usd(amount: str) -> Money:
    return Money(D(amount), "USD")


def price(amount: str, cycle: str, *, per_seat: bool = True, min_seats: int = 1, currency="USD"):
    return SeatPrice(Money(D(amount), currency), cycle, per_seat=per_seat, min_seats=min_seats)


PRICES = {
    ("starter", "monthly"): price("29.00", "monthly", per_seat=False),
    ("starter", "annual"): price("290.00", "annual", per_seat=False),
    ("team", "monthly"): price("19.00", "monthly", min_seats=3),
    ("team", "annual"): price("190.00", "annual", min_seats=3),
    ("business", "monthly"): price("39.00", "monthly", min_seats=10),
    ("business", "annual"): price("390.00", "annual", min_seats=10),
}
TIERS = {"starter": ("Starter", 0, 3), "team": ("Team", 1, 15), "business": ("Business", 2, 50)}


def plan(tier: str, seats: int, cycle: str = "monthly", *, auto_renew: bool = True, **changes):
    name, rank, max_seats = TIERS[tier]
    return replace(
        Plan(
            tier=tier,
            tier_name=name,
            rank=rank,
            price=PRICES[(tier, cycle)],
            seats=seats,
            cycle=cycle,
            auto_renew=auto_renew,
            max_seats=max_seats,
        ),
        **changes,
    )


def change(
    current, target, *, today=TODAY, term=MARCH, tax="0", credit="0", prices=PRICES, **extra
):
    return quote_change(
        current=current,
        target=target,
        term_start=term[0] if current else None,
        term_end=term[1] if current else None,
        today=today,
        tax_rate=D(tax),
        credit_balance=usd(credit),
        prices=prices,
        **extra,
    )


def lines_of(quote) -> list[tuple]:
    return [
        (
            line.description,
            line.quantity,
            line.unit_price.amount,
            line.amount.amount,
            line.period_start,
            line.period_end,
        )
        for line in quote.lines
    ]


def refusal(current, target, **kwargs) -> dict[str, str]:
    with pytest.raises(QuoteRefused) as refused:
        change(current, target, **kwargs)
    assert str(refused.value) == " ".join(refused.value.errors.values())
    return refused.value.errors


# --- Purchases: a whole term from today ------------------------------------------------

# fmt: off
PURCHASES = {
    "Team, 8 seats a month: 8 x $19": (
        plan("team", 8), ("Team, 8 seats, monthly", D(8), D("19.00"), D("152.00"),
                          date(2026, 3, 14), date(2026, 4, 13)),
        "152.00", date(2026, 4, 13),
    ),
    "Team, 8 seats a year: 8 x $190": (
        plan("team", 8, "annual"), ("Team, 8 seats, annual", D(8), D("190.00"), D("1520.00"),
                                    date(2026, 3, 14), date(2027, 3, 13)),
        "1520.00", date(2027, 3, 13),
    ),
    "Starter is flat: one line of $29 whatever the seats": (
        plan("starter", 2), ("Starter, 2 seats, monthly", D(1), D("29.00"), D("29.00"),
                             date(2026, 3, 14), date(2026, 4, 13)),
        "29.00", date(2026, 4, 13),
    ),
    "Starter a year, one seat": (
        plan("starter", 1, "annual"), ("Starter, 1 seat, annual", D(1), D("290.00"),
                                       D("290.00"), date(2026, 3, 14), date(2027, 3, 13)),
        "290.00", date(2027, 3, 13),
    ),
    "Business at its minimum, 10 seats": (
        plan("business", 10), ("Business, 10 seats, monthly", D(10), D("39.00"), D("390.00"),
                               date(2026, 3, 14), date(2026, 4, 13)),
        "390.00", date(2026, 4, 13),
    ),
}
# fmt: on


@pytest.mark.parametrize(("target", "line", "total", "term_end"), PURCHASES.values(), ids=PURCHASES)
def test_it_charges_a_purchase_a_whole_term_from_today(target, line, total, term_end):
    quote = change(None, target)
    assert lines_of(quote) == [line]
    assert quote.is_purchase and quote.changes_now and quote.charges_now
    assert (quote.subtotal, quote.tax, quote.total) == (usd(total), usd("0"), usd(total))
    assert (quote.credit_applied, quote.amount_due) == (usd("0"), usd(total))
    assert (quote.term_start, quote.term_end) == (TODAY, term_end)
    assert quote.now == target and quote.final == target
    assert quote.later is None and quote.later_on is None
    assert quote.renewal == usd(total) and quote.renews_on == term_end + timedelta(days=1)


def test_a_two_year_term_charges_both_years_a_line_per_period():
    quote = change(None, plan("team", 4, "annual", term_cycles=2))
    assert lines_of(quote) == [
        ("Team, 4 seats, annual (1 of 2)", D(4), D("190.00"), D("760.00"),
         date(2026, 3, 14), date(2027, 3, 13)),
        ("Team, 4 seats, annual (2 of 2)", D(4), D("190.00"), D("760.00"),
         date(2027, 3, 14), date(2028, 3, 13)),
    ]  # fmt: skip
    assert [line.kind for line in quote.lines] == ["recurring", "recurring"]
    assert quote.amount_due == usd("1520.00") and quote.term_end == date(2028, 3, 13)


def test_a_purchase_line_is_recurring_at_the_list_price():
    (line,) = change(None, plan("team", 8)).lines
    assert (line.kind, line.list_unit_price) == ("recurring", usd("19.00"))


def test_a_purchase_ignores_the_prices_map():
    """A purchase is priced from the plan itself (the map is for changes)."""
    assert change(None, plan("team", 8), prices={}).amount_due == usd("152.00")


# --- Changes that take effect now ------------------------------------------------------

# Each row worked by hand: (from, to) -> lines (description, amount) and the amount due.
# fmt: off
INCREASES = {
    "add seats: Team 5 -> 8; credit 95 x 18/31, charge 152 x 18/31": (
        plan("team", 5), plan("team", 8),
        [("Unused time: 18 of 31 days of Team, 5 seats at $95.00 a month", "-55.16"),
         ("Remaining time: 18 of 31 days of Team, 8 seats at $152.00 a month", "88.26")],
        "33.10",
    ),
    "upgrade the tier: Team 12 -> Business 12; 228 and 468 x 18/31": (
        plan("team", 12), plan("business", 12),
        [("Unused time: 18 of 31 days of Team, 12 seats at $228.00 a month", "-132.39"),
         ("Remaining time: 18 of 31 days of Business, 12 seats at $468.00 a month", "271.74")],
        "139.35",
    ),
    "upgrade the tier and add seats: Team 12 -> Business 20; 780 x 18/31": (
        plan("team", 12), plan("business", 20),
        [("Unused time: 18 of 31 days of Team, 12 seats at $228.00 a month", "-132.39"),
         ("Remaining time: 18 of 31 days of Business, 20 seats at $780.00 a month", "452.90")],
        "320.51",
    ),
    "from flat to per seat below the minimum: Starter 2 -> Team 3 (billed 3 x 19)": (
        plan("starter", 2), plan("team", 3),
        [("Unused time: 18 of 31 days of Starter, 2 seats at $29.00 a month", "-16.84"),
         ("Remaining time: 18 of 31 days of Team, 3 seats at $57.00 a month", "33.10")],
        "16.26",
    ),
    "more seats on a flat price cost nothing more: Starter 1 -> 3": (
        plan("starter", 1), plan("starter", 3),
        [], "0.00",
    ),
    "seats up to a per-seat minimum cost nothing more: Team 2 -> 3, both billed as 3": (
        plan("team", 2), plan("team", 3),
        [], "0.00",
    ),
}
# fmt: on


@pytest.mark.parametrize(("current", "target", "lines", "due"), INCREASES.values(), ids=INCREASES)
def test_it_prorates_an_increase_by_day_for_the_rest_of_the_term(current, target, lines, due):
    quote = change(current, target, credit="0")
    assert [(line.description, line.amount) for line in quote.lines] == [
        (text, usd(amount)) for text, amount in lines
    ]
    for line in quote.lines:
        assert (line.quantity, line.unit_price) == (D(1), line.amount)
        assert (line.period_start, line.period_end) == (TODAY, MARCH[1])
    assert quote.amount_due == usd(due) and quote.subtotal == usd(due)
    assert quote.now == target and quote.later is None and quote.later_on is None
    assert (quote.term_start, quote.term_end) == MARCH
    assert quote.changes_now and not quote.is_purchase
    assert quote.renewal == target.term_price.rounded()
    assert quote.renews_on == date(2026, 4, 1)


def test_monthly_to_annual_credits_the_month_and_starts_a_year_today():
    quote = change(plan("team", 5), plan("team", 5, "annual"))
    assert lines_of(quote) == [
        (UNUSED_TEAM_5, D(1), D("-55.16"), D("-55.16"), TODAY, MARCH[1]),
        ("Team, 5 seats, annual", D(5), D("190.00"), D("950.00"), TODAY, date(2027, 3, 13)),
    ]
    assert quote.amount_due == usd("894.84")
    assert (quote.term_start, quote.term_end) == (TODAY, date(2027, 3, 13))
    assert quote.renews_on == date(2027, 3, 14) and quote.renewal == usd("950.00")
    assert quote.later is None


def test_proration_lines_say_their_kind_and_the_list_price_of_their_plan():
    quote = change(plan("team", 12), plan("business", 12))
    assert [(line.kind, line.list_unit_price) for line in quote.lines] == [
        ("proration_credit", usd("19.00")),
        ("proration_charge", usd("39.00")),
    ]
    quote = change(plan("team", 5), plan("team", 5, "annual"))
    assert [line.kind for line in quote.lines] == ["proration_credit", "recurring"]


# A term of March extended free of charge by staff to 10 April: the month's price paid
# for March only, so a change on the 14th is prorated over March's 31 days.
EXTENDED = (MARCH[0], date(2026, 4, 10))


def test_a_change_after_an_extension_is_prorated_over_the_paid_days_only():
    extended = change(
        plan("team", 5), plan("team", 8), term=EXTENDED, paid_through=MARCH[1], credit="0"
    )
    plain = change(plan("team", 5), plan("team", 8), credit="0")
    assert lines_of(extended) == lines_of(plain)
    assert [line.amount for line in extended.lines] == [usd("-55.16"), usd("88.26")]
    assert (extended.term_start, extended.term_end) == EXTENDED
    assert extended.renews_on == date(2026, 4, 11)


def test_a_change_that_costs_something_is_refused_inside_a_free_extension():
    errors = refusal(
        plan("team", 5),
        plan("team", 8),
        term=EXTENDED,
        paid_through=MARCH[1],
        today=date(2026, 4, 2),
    )
    assert errors == {
        "": "Your term was extended free of charge from 1 April 2026 to 10 April 2026; a change "
        "that costs something waits for the renewal, or your account manager can make it."
    }


def test_a_decrease_inside_a_free_extension_waits_for_the_end_of_the_term():
    quote = change(
        plan("team", 8), plan("team", 5), term=EXTENDED, paid_through=MARCH[1],
        today=date(2026, 4, 2),
    )  # fmt: skip
    assert quote.lines == () and quote.later_on == date(2026, 4, 11)


def test_monthly_to_annual_with_an_upgrade_starts_the_year_on_the_higher_tier():
    quote = change(plan("team", 5), plan("business", 10, "annual"))
    assert lines_of(quote) == [
        (UNUSED_TEAM_5, D(1), D("-55.16"), D("-55.16"), TODAY, MARCH[1]),
        ("Business, 10 seats, annual", D(10), D("390.00"), D("3900.00"), TODAY, date(2027, 3, 13)),
    ]
    assert quote.amount_due == usd("3844.84")
    assert quote.now == plan("business", 10, "annual") and quote.later is None


def test_monthly_to_annual_keeps_a_term_of_two_cycles():
    # A term of two cycles stays two cycles long on the new cycle: two years from today,
    # not one.
    current = plan("team", 5, term_cycles=2)
    quote = change(
        current, plan("team", 5, "annual", term_cycles=2), term=(MARCH[0], date(2026, 4, 30))
    )
    assert quote.now == plan("team", 5, "annual", term_cycles=2) and quote.later is None
    assert lines_of(quote)[1:] == [
        ("Team, 5 seats, annual (1 of 2)", D(5), D("190.00"), D("950.00"),
         TODAY, date(2027, 3, 13)),
        ("Team, 5 seats, annual (2 of 2)", D(5), D("190.00"), D("950.00"),
         date(2027, 3, 14), date(2028, 3, 13)),
    ]  # fmt: skip
    assert (quote.term_end, quote.renews_on) == (date(2028, 3, 13), date(2028, 3, 14))


def test_monthly_to_annual_on_the_first_day_credits_the_whole_month():
    quote = change(plan("team", 5), plan("team", 5, "annual"), today=MARCH[0])
    assert [line.amount for line in quote.lines] == [usd("-95.00"), usd("950.00")]
    assert quote.term_end == date(2027, 2, 28)


def test_monthly_to_annual_from_a_free_plan_has_no_credit_line():
    free = replace(plan("team", 5), price=price("0.00", "monthly"))
    quote = change(
        free, plan("team", 5, "annual"), prices={**PRICES, ("team", "monthly"): free.price}
    )
    assert [line.description for line in quote.lines] == ["Team, 5 seats, annual"]
    assert quote.amount_due == usd("950.00")


def test_a_cheaper_higher_tier_owes_the_customer_and_charges_nothing():
    """An increase of rank at a lower price: the negative total is not charged (and
    becomes credit when the invoice is finalized), and no credit balance is spent."""
    cheap = {**PRICES, ("business", "monthly"): price("5.00", "monthly", min_seats=10)}
    target = replace(plan("business", 12), price=cheap[("business", "monthly")])
    quote = change(plan("team", 12), target, credit="50", prices=cheap)
    assert [line.amount for line in quote.lines] == [usd("-132.39"), usd("34.84")]
    assert quote.total == usd("-97.55")
    assert (quote.credit_applied, quote.amount_due) == (usd("0"), usd("0"))


def test_the_current_price_is_the_locked_one_not_the_catalogs():
    """A grandfathered price (here $15 a seat) is what the unused time is worth."""
    locked = replace(plan("team", 5), price=price("15.00", "monthly", min_seats=3))
    quote = change(locked, plan("team", 8), prices={**PRICES, ("team", "monthly"): locked.price})
    assert quote.lines[0].amount == usd("-43.55")  # 75 x 18/31 = 43.548…
    assert quote.lines[1].amount == usd("69.68")  # 120 x 18/31 = 69.677…
    assert quote.now.price == locked.price


# --- Changes that wait for the end of the term -----------------------------------------

# fmt: off
DECREASES = {
    "a lower tier": (plan("business", 12), plan("team", 12), "228.00"),
    "fewer seats": (plan("team", 8), plan("team", 5), "95.00"),
    "a lower tier and fewer seats": (plan("business", 12), plan("team", 8), "152.00"),
    "annual to monthly": (plan("team", 5, "annual"), plan("team", 5), "95.00"),
    "a lower tier on a flat price": (plan("team", 3), plan("starter", 3), "29.00"),
}
# fmt: on


@pytest.mark.parametrize(("current", "target", "renewal"), DECREASES.values(), ids=DECREASES)
def test_it_schedules_a_decrease_for_the_day_after_the_term(current, target, renewal):
    quote = change(current, target, credit="40", tax="10")
    assert quote.lines == () and not quote.charges_now and not quote.changes_now
    assert quote.now == current and quote.later == target and quote.final == target
    assert quote.later_on == date(2026, 4, 1)
    assert (quote.term_start, quote.term_end) == MARCH
    zero = usd("0")
    assert (quote.subtotal, quote.tax, quote.total, quote.credit_applied, quote.amount_due) == (
        zero,
        zero,
        zero,
        zero,
        zero,
    )
    assert quote.renewal == usd(renewal)
    assert quote.renewal_tax == (usd(renewal) * D("0.1")).rounded()
    assert quote.renews_on == date(2026, 4, 1)


def test_a_decrease_in_an_annual_term_waits_for_the_year_to_end():
    year = (date(2026, 1, 1), date(2026, 12, 31))
    quote = change(plan("team", 8, "annual"), plan("team", 5, "annual"), term=year)
    assert quote.later_on == date(2027, 1, 1) and quote.renews_on == date(2027, 1, 1)
    assert quote.renewal == usd("950.00")


def test_a_higher_tier_with_fewer_seats_upgrades_now_and_removes_seats_later():
    quote = change(plan("team", 12), plan("business", 10))
    assert quote.now == plan("business", 12)
    assert quote.later == plan("business", 10) and quote.later_on == date(2026, 4, 1)
    assert [(line.description, line.amount) for line in quote.lines] == [
        ("Unused time: 18 of 31 days of Team, 12 seats at $228.00 a month", usd("-132.39")),
        ("Remaining time: 18 of 31 days of Business, 12 seats at $468.00 a month", usd("271.74")),
    ]
    assert quote.amount_due == usd("139.35")
    assert quote.renewal == usd("390.00")  # 10 x 39, what the later plan renews at
    assert quote.changes_now and quote.charges_now


def test_a_tier_of_the_same_rank_waits_for_the_end_of_the_term():
    # Tiers may share a rank (a tier's order is not unique): a move between them is no
    # upgrade, so like a move down it waits for the term's end; only the seats come now.
    level = plan("business", 12, rank=TIERS["team"][1])
    quote = change(plan("team", 10), level)
    assert quote.now == plan("team", 12)
    assert quote.later == level and quote.later_on == date(2026, 4, 1)


def test_more_seats_on_a_lower_tier_adds_the_seats_now_and_moves_down_later():
    quote = change(plan("business", 12), plan("team", 14))
    assert quote.now == plan("business", 14)
    assert quote.later == plan("team", 14) and quote.later_on == date(2026, 4, 1)
    assert [line.amount for line in quote.lines] == [usd("-271.74"), usd("317.03")]


def test_monthly_to_annual_with_fewer_seats_starts_the_year_now_and_removes_seats_after_it():
    quote = change(plan("team", 8), plan("team", 5, "annual"))
    assert quote.now == plan("team", 8, "annual") and quote.later == plan("team", 5, "annual")
    assert quote.term_end == date(2027, 3, 13) and quote.later_on == date(2027, 3, 14)
    assert [line.amount for line in quote.lines] == [usd("-88.26"), usd("1520.00")]
    assert quote.renewal == usd("950.00")


def test_turning_auto_renew_off_is_scheduled_and_ends_the_subscription():
    quote = change(plan("team", 5), plan("team", 5, auto_renew=False), credit="30")
    assert quote.lines == () and quote.now == plan("team", 5)
    assert quote.later == plan("team", 5, auto_renew=False) and quote.later_on == date(2026, 4, 1)
    assert quote.renews_on is None and quote.amount_due == usd("0")
    assert quote.renewal == usd("95.00")


def test_turning_auto_renew_back_on_takes_effect_now_for_nothing():
    quote = change(plan("team", 5, auto_renew=False), plan("team", 5), credit="30")
    assert quote.lines == () and quote.now == plan("team", 5) and quote.later is None
    assert quote.changes_now and not quote.charges_now
    assert quote.renews_on == date(2026, 4, 1) and quote.later_on is None
    assert quote.credit_applied == usd("0") and quote.amount_due == usd("0")


def test_more_seats_with_auto_renew_off_add_the_seats_now_and_stop_renewing_later():
    quote = change(plan("team", 5), plan("team", 8, auto_renew=False))
    assert quote.now == plan("team", 8) and quote.later == plan("team", 8, auto_renew=False)
    assert quote.amount_due == usd("33.10") and quote.renews_on is None


# --- Tax and credit --------------------------------------------------------------------

# fmt: off
TAX_AND_CREDIT = {
    "no tax, no credit": ("0", "0", "33.10", "0.00", "33.10", "0.00", "33.10"),
    "20% tax": ("20", "0", "33.10", "6.62", "39.72", "0.00", "39.72"),
    "20% tax and $10 of credit": ("20", "10", "33.10", "6.62", "39.72", "10.00", "29.72"),
    "credit beyond the total pays all of it": ("20", "100", "33.10", "6.62", "39.72", "39.72",
                                               "0.00"),
    "a tax rate with decimals: 8.875% of 33.10 = 2.937...": ("8.875", "0", "33.10", "2.94",
                                                            "36.04", "0.00", "36.04"),
    "tax rounds half up: 2.5% of 33.10 = 0.8275": ("2.5", "0", "33.10", "0.83", "33.93", "0.00",
                                                   "33.93"),
}
# fmt: on


@pytest.mark.parametrize(
    ("tax", "credit", "subtotal", "tax_amount", "total", "applied", "due"),
    TAX_AND_CREDIT.values(),
    ids=TAX_AND_CREDIT,
)
def test_it_adds_tax_and_spends_credit(tax, credit, subtotal, tax_amount, total, applied, due):
    quote = change(plan("team", 5), plan("team", 8), tax=tax, credit=credit)
    assert (quote.subtotal, quote.tax, quote.total) == (usd(subtotal), usd(tax_amount), usd(total))
    assert (quote.credit_applied, quote.amount_due) == (usd(applied), usd(due))
    assert quote.tax_rate == D(tax)
    assert quote.renewal == usd("152.00")
    assert quote.renewal_tax == (usd("152.00") * D(tax) / 100).rounded()


def test_a_purchase_spends_credit_and_taxes_the_renewal():
    quote = change(None, plan("team", 8), tax="20", credit="100")
    assert (quote.total, quote.credit_applied, quote.amount_due) == (
        usd("182.40"),
        usd("100.00"),
        usd("82.40"),
    )
    assert (quote.renewal, quote.renewal_tax) == (usd("152.00"), usd("30.40"))


# --- Refusals, word for word, per field ------------------------------------------------


def test_it_refuses_more_seats_than_the_tier_allows():
    assert refusal(plan("team", 5), plan("team", 16)) == {
        "seats": "Team allows at most 15 seats; choose fewer or a higher tier."
    }
    assert refusal(None, plan("starter", 4)) == {
        "seats": "Starter allows at most 3 seats; choose fewer or a higher tier."
    }


def test_it_allows_exactly_the_tiers_maximum():
    assert change(plan("team", 5), plan("team", 15)).now.seats == 15


def test_it_refuses_fewer_seats_than_a_per_seat_price_is_sold_from():
    assert refusal(plan("team", 12), plan("business", 9)) == {
        "seats": "Business is sold from 10 seats; choose 10 or more."
    }
    assert refusal(None, plan("team", 2)) == {
        "seats": "Team is sold from 3 seats; choose 3 or more."
    }


def test_a_flat_price_has_no_minimum_and_a_per_seat_price_allows_its_minimum():
    assert (
        check_plan(
            replace(
                plan("starter", 1), price=price("29.00", "monthly", per_seat=False, min_seats=5)
            )
        )
        == {}
    )
    assert check_plan(plan("business", 10)) == {}
    assert check_plan(replace(plan("business", 10), max_seats=None)) == {}
    assert check_plan(replace(plan("business", 1000), max_seats=None)) == {}


@pytest.mark.parametrize("seats", [0, -1])
def test_it_refuses_no_seats(seats):
    assert refusal(plan("team", 5), plan("team", seats)) == {"seats": "Choose at least one seat."}
    assert refusal(None, plan("starter", seats)) == {"seats": "Choose at least one seat."}


def test_it_refuses_the_plan_the_customer_has():
    assert refusal(plan("team", 5), plan("team", 5)) == {
        "": "That is the plan you have; change the tier, seats or billing."
    }


@pytest.mark.parametrize("today", [date(2026, 2, 28), date(2026, 4, 1), date(2027, 3, 14)], ids=str)
def test_it_refuses_a_change_outside_the_term(today):
    assert refusal(plan("team", 5), plan("team", 8), today=today) == {
        "": "Your term runs from 1 March 2026 to 31 March 2026; "
        "a change can only be made within it."
    }


@pytest.mark.parametrize("today", [MARCH[0], MARCH[1]], ids=str)
def test_it_allows_a_change_on_the_terms_first_and_last_day(today):
    quote = change(plan("team", 5), plan("team", 8), today=today)
    days = (MARCH[1] - today).days + 1
    assert quote.lines[1].amount == (usd("152.00") * days / 31).rounded()


def test_the_outside_the_term_refusal_is_said_even_for_the_same_plan():
    assert refusal(plan("team", 5), plan("team", 5), today=date(2026, 4, 2)) == {
        "": "Your term runs from 1 March 2026 to 31 March 2026; "
        "a change can only be made within it."
    }


def test_it_refuses_a_change_of_currency():
    eur = replace(plan("team", 8), price=price("18.00", "monthly", min_seats=3, currency="EUR"))
    assert refusal(plan("team", 5), eur) == {
        "currency": "Your subscription is billed in USD; a change stays in it."
    }


def test_it_refuses_a_cycle_without_a_price():
    prices = {key: value for key, value in PRICES.items() if key != ("business", "annual")}
    assert refusal(plan("team", 5), plan("business", 10, "annual"), prices=prices) == {
        "cycle": "Business has no annual price in USD."
    }


def test_it_refuses_a_change_when_the_current_price_is_missing():
    assert refusal(plan("team", 5), plan("team", 8), prices={}) == {
        "cycle": "Team has no monthly price in USD."
    }
    assert refusal(plan("team", 5), plan("team", 8), prices=None) == {
        "cycle": "Team has no monthly price in USD."
    }


def test_it_refuses_a_price_of_another_cycle():
    wrong = replace(plan("team", 8), price=PRICES[("team", "annual")])
    assert refusal(plan("team", 5), wrong) == {
        "cycle": "The price does not match the billing cycle."
    }


def test_it_says_every_field_that_is_wrong_at_once():
    eur = replace(
        plan("team", 16, "annual"), price=price("18.00", "monthly", min_seats=3, currency="EUR")
    )
    assert refusal(plan("team", 5), eur, today=date(2026, 5, 1)) == {
        "seats": "Team allows at most 15 seats; choose fewer or a higher tier.",
        "cycle": "The price does not match the billing cycle.",
        "currency": "Your subscription is billed in USD; a change stays in it.",
        "": "Your term runs from 1 March 2026 to 31 March 2026; "
        "a change can only be made within it.",
    }


def test_it_refuses_what_the_plan_from_today_cannot_be():
    """More seats on a lower tier keep the current tier until the term ends: with the
    seats too many for it, the change is refused with the current tier's limit."""
    small = replace(plan("business", 40), max_seats=45)
    roomy = replace(plan("team", 48), max_seats=60)
    assert refusal(small, roomy) == {
        "seats": "Business allows at most 45 seats; choose fewer or a higher tier."
    }


def test_a_purchase_is_quoted_whatever_the_term_given():
    quote = quote_change(
        current=None,
        target=plan("team", 8),
        term_start=MARCH[0],
        term_end=MARCH[1],
        today=date(2026, 5, 2),
        tax_rate=NO_TAX,
        credit_balance=usd("0"),
    )
    assert (quote.term_start, quote.term_end) == (date(2026, 5, 2), date(2026, 6, 1))


def test_a_refusal_carries_its_fields():
    refused = QuoteRefused({"seats": "A.", "": "B."})
    assert refused.errors == {"seats": "A.", "": "B."} and str(refused) == "A. B."


# --- What a plan is --------------------------------------------------------------------


def test_a_plan_describes_itself_and_prices_its_term():
    assert plan("team", 1).describe() == "Team, 1 seat, monthly"
    assert plan("team", 2, "annual").describe() == "Team, 2 seats, annual"
    assert plan("team", 2).term_price == usd("57.00")  # billed from 3 seats
    assert plan("team", 4, "annual", term_cycles=3).term_price == usd("2280.00")
    assert plan("starter", 3).term_price == usd("29.00")
    assert plan("team", 4).currency == "USD"


def test_same_money_terms_ignores_auto_renew_only():
    base = plan("team", 5)
    assert base.same_money_terms(replace(base, auto_renew=False, tier_name="Other", rank=9))
    assert not base.same_money_terms(replace(base, tier="other"))
    assert not base.same_money_terms(replace(base, seats=6))
    assert not base.same_money_terms(replace(base, cycle="annual"))
    assert not base.same_money_terms(replace(base, price=price("20.00", "monthly", min_seats=3)))


def test_an_invoice_line_keeps_its_period():
    line = change(plan("team", 5), plan("team", 8)).lines[0]
    assert isinstance(line, Line) and line.period_start == TODAY


# --- Properties ------------------------------------------------------------------------

CYCLES = ("monthly", "annual")
NAMES = ("Basic", "Plus", "Max")


@st.composite
def catalogs(draw):
    """Three tiers of rising rank, each with a monthly and an annual price in one
    currency (flat or per seat with a minimum), seat limits rising with the rank."""
    currency = draw(st.sampled_from(["USD", "EUR", "JPY"]))
    places = 0 if currency == "JPY" else 2
    cents = st.integers(min_value=0, max_value=500_000)
    tiers = {}
    prices = {}
    limits = [draw(st.integers(3, 20)), draw(st.integers(21, 60)), None]
    for rank, (name, limit) in enumerate(zip(NAMES, limits, strict=True)):
        per_seat = draw(st.booleans())
        minimum = draw(st.integers(1, 3)) if per_seat else 1
        tiers[name.lower()] = (name, rank, limit, minimum)
        for cycle in CYCLES:
            amount = D(draw(cents)).scaleb(-places)
            prices[(name.lower(), cycle)] = SeatPrice(
                Money(amount, currency), cycle, per_seat=per_seat, min_seats=minimum
            )
    return tiers, prices


@st.composite
def plans(draw, catalog):
    tiers, prices = catalog
    slug = draw(st.sampled_from(sorted(tiers)))
    name, rank, limit, minimum = tiers[slug]
    cycle = draw(st.sampled_from(CYCLES))
    seats = draw(st.integers(minimum, limit or 80))
    return Plan(
        tier=slug,
        tier_name=name,
        rank=rank,
        price=prices[(slug, cycle)],
        seats=seats,
        cycle=cycle,
        auto_renew=draw(st.booleans()),
        max_seats=limit,
    )


@st.composite
def changes(draw):
    """Keyword arguments of quote_change for a change within a term, and the term."""
    catalog = draw(catalogs())
    prices = catalog[1]
    current = draw(plans(catalog))
    target = draw(plans(catalog))
    assume(target != current)
    term_start = draw(st.dates(date(2023, 1, 1), date(2030, 12, 31)))
    term_end = term_end_for(term_start, cycle=current.cycle)
    today = term_start + timedelta(days=draw(st.integers(0, (term_end - term_start).days)))
    currency = current.currency
    credit = Money(D(draw(st.integers(0, 200_000))).scaleb(-2), currency).rounded()
    return dict(
        current=current,
        target=target,
        term_start=term_start,
        term_end=term_end,
        today=today,
        tax_rate=D(draw(st.integers(0, 3000))).scaleb(-2),
        credit_balance=credit,
        prices=prices,
    )


def quoted(inputs):
    try:
        return quote_change(**inputs)
    except QuoteRefused:
        assume(False)


def unused_credit(quote) -> Money:
    return -sum(
        (line.amount for line in quote.lines if line.description.startswith("Unused time")),
        Money.zero(quote.currency),
    )


@given(changes())
def test_property_lines_add_up_and_credit_never_makes_the_due_negative(inputs):
    quote = quoted(inputs)
    zero = Money.zero(quote.currency)
    assert Money.total((line.amount for line in quote.lines), quote.currency) == quote.subtotal
    for line in quote.lines:
        assert line.amount == (line.unit_price * line.quantity).rounded()
    assert quote.total == quote.subtotal + quote.tax
    assert quote.amount_due == quote.total - quote.credit_applied or quote.total < zero
    assert quote.amount_due >= zero
    assert zero <= quote.credit_applied <= inputs["credit_balance"]
    if quote.total > zero:
        assert quote.amount_due == quote.total - quote.credit_applied
    else:
        assert quote.credit_applied == zero and quote.amount_due == zero


@given(changes())
def test_property_an_immediate_change_never_credits_more_than_the_term_costs(inputs):
    quote = quoted(inputs)
    assert unused_credit(quote) <= inputs["current"].term_price.rounded()
    assert unused_credit(quote) >= Money.zero(quote.currency)


@given(changes(), st.integers(1, 400))
def test_property_a_later_change_date_never_raises_the_credit(inputs, days):
    later_day = min(inputs["today"] + timedelta(days=days), inputs["term_end"])
    earlier = quoted(inputs)
    later = quoted({**inputs, "today": later_day})
    assert unused_credit(later) <= unused_credit(earlier)


@given(changes())
def test_property_increases_take_effect_now_and_decreases_wait(inputs):
    current, target = inputs["current"], inputs["target"]
    quote = quoted(inputs)
    cycle_up = (current.cycle, target.cycle) == ("monthly", "annual")
    cycle_down = (current.cycle, target.cycle) == ("annual", "monthly")
    if (
        target.rank >= current.rank
        and target.seats >= current.seats
        and not cycle_down
        and target.auto_renew >= current.auto_renew
    ):
        assert quote.later is None and quote.later_on is None and quote.now == target
    if (
        target.rank <= current.rank
        and target.seats <= current.seats
        and not cycle_up
        and target.auto_renew <= current.auto_renew
    ):
        assert quote.lines == () and quote.now == current and quote.later == target
        assert quote.later_on == inputs["term_end"] + timedelta(days=1)
        assert quote.amount_due == Money.zero(quote.currency)
    assert quote.final == target
    assert quote.renewal == target.term_price.rounded()
    assert (quote.renews_on is None) == (not target.auto_renew)


def shown(quote) -> tuple:
    """Every figure and plan the customer is shown."""
    return (
        quote.currency,
        quote.today,
        quote.current,
        quote.now,
        quote.later,
        quote.later_on,
        quote.term_start,
        quote.term_end,
        quote.lines,
        quote.subtotal,
        quote.tax,
        quote.total,
        quote.credit_applied,
        quote.amount_due,
        quote.tax_rate,
        quote.renewal,
        quote.renewal_tax,
        quote.renews_on,
    )


@given(changes(), st.data())
def test_property_the_fingerprint_is_the_figures_shown(inputs, data):
    quote = quoted(inputs)
    again = quoted({**inputs, "prices": dict(inputs["prices"])})
    assert again.fingerprint() == quote.fingerprint()
    moved = data.draw(st.sampled_from(["today", "tax_rate", "credit_balance", "target", "current"]))
    other = dict(inputs)
    if moved == "today":
        day = data.draw(st.dates(inputs["term_start"], inputs["term_end"]))
        other["today"] = day
    elif moved == "tax_rate":
        other["tax_rate"] = D(data.draw(st.integers(0, 3000))).scaleb(-2)
    elif moved == "credit_balance":
        other["credit_balance"] = inputs["credit_balance"] + Money(
            D(data.draw(st.integers(-100, 100))), quote.currency
        )
        assume(other["credit_balance"].amount >= 0)
    else:
        plan_ = inputs[moved]
        seats = data.draw(st.integers(1, (plan_.max_seats or 80)))
        other[moved] = replace(plan_, seats=seats, auto_renew=data.draw(st.booleans()))
    try:
        changed = quote_change(**other)
    except QuoteRefused:
        assume(False)
    assert (changed.fingerprint() == quote.fingerprint()) == (shown(changed) == shown(quote))


def test_the_fingerprint_changes_with_each_figure():
    base = change(plan("team", 5), plan("team", 8), tax="10", credit="5")
    variants = [
        change(plan("team", 5), plan("team", 9), tax="10", credit="5"),
        change(plan("team", 5), plan("team", 8), tax="11", credit="5"),
        change(plan("team", 5), plan("team", 8), tax="10", credit="6"),
        change(plan("team", 5), plan("team", 8), tax="10", credit="5", today=date(2026, 3, 15)),
        change(plan("team", 6), plan("team", 8), tax="10", credit="5"),
        change(plan("team", 5), plan("team", 8, auto_renew=False), tax="10", credit="5"),
    ]
    prints = {base.fingerprint(), *(variant.fingerprint() for variant in variants)}
    assert len(prints) == len(variants) + 1
    assert (
        base.fingerprint()
        == change(plan("team", 5), plan("team", 8), tax="10.0", credit="5").fingerprint()
    )


def test_the_fingerprint_names_the_renewal_figure_the_services_put_in():
    """The checkout puts the renewal's own figure in the quote (a retired version's
    successor, a held discount: billing.checkout.services.renewal_after), which the
    plan's parts do not give: retiring the version between preview and confirm changes
    that figure alone, and the confirmation must see it."""
    base = change(plan("team", 5), plan("team", 8), tax="10", credit="5")
    moved = replace(base, renewal=base.renewal + Money(D("0.01"), base.currency))
    assert moved.fingerprint() != base.fingerprint()


def test_the_fingerprint_names_the_tax_rate_even_when_nothing_is_due_now():
    # A decrease waits for the term's end: no line today, so no tax today, and the same
    # renewal; only the rate tells the renewal's tax apart, which the preview shows.
    ten = change(plan("team", 8), plan("team", 5), tax="10")
    twenty = change(plan("team", 8), plan("team", 5), tax="20")
    assert (ten.lines, ten.amount_due, ten.renewal) == ((), usd("0"), twenty.renewal)
    assert (ten.renewal_tax, twenty.renewal_tax) == (usd("9.50"), usd("19.00"))
    assert ten.fingerprint() != twenty.fingerprint()


def test_the_fingerprint_names_the_plan_today_even_when_nothing_else_differs():
    # More seats on a flat price cost nothing now, so the lines, the later plan and the
    # renewal are the same whether auto-renew was on or off before: only the plan today
    # tells these two previews apart.
    target = plan("starter", 3, auto_renew=True)
    was_off = change(plan("starter", 1, auto_renew=False), target)
    was_on = change(plan("starter", 1, auto_renew=True), target)
    assert (was_off.lines, was_off.later, was_off.renewal) == (was_on.lines, None, usd("29.00"))
    assert was_off.fingerprint() != was_on.fingerprint()


def test_the_fingerprint_names_the_plan_from_today_even_when_nothing_else_differs():
    # Two or three seats on a flat price: no lines, no later plan, the same renewal; only
    # the plan from today differs.
    two = change(plan("starter", 1), plan("starter", 2))
    three = change(plan("starter", 1), plan("starter", 3))
    assert (two.lines, two.later, two.renewal) == (three.lines, None, three.renewal)
    assert (two.now.seats, three.now.seats) == (2, 3)
    assert two.fingerprint() != three.fingerprint()


def test_the_fingerprint_names_the_plan_at_the_terms_end_even_when_nothing_else_differs():
    # Fewer seats on a flat price wait for the term's end and cost the same at renewal:
    # no lines, the same plan today and the same renewal; only the plan the term ends on
    # tells two and one seat apart.
    two = change(plan("starter", 3), plan("starter", 2))
    one = change(plan("starter", 3), plan("starter", 1))
    assert (two.lines, two.now, two.renewal) == (one.lines, one.now, one.renewal)
    assert (two.later.seats, one.later.seats) == (2, 1)
    assert two.fingerprint() != one.fingerprint()
