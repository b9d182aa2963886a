"""The book's readiness signals and ARR (billing.accounts.signals): tables of known cases
at each rule's edges. No database (make mutate runs these)."""

from datetime import date
from decimal import Decimal

import pytest

from billing.accounts.signals import (
    LABELS,
    AccountFacts,
    Found,
    LimitUsage,
    PlanFacts,
    Signal,
    TrialFacts,
    account_signals,
    annual_recurring_revenue,
    days_to_go,
    seat_growth,
    totals_by_currency,
    trial_counts,
)
from billing.discounts import negotiated
from billing.money import Money
from billing.pricing import SeatPrice

TODAY = date(2026, 3, 14)


def plan(**changes) -> PlanFacts:
    """A plan no rule fires on: renews in a year, price locked for a year, half the seats
    used, no limit over."""
    facts = {
        "renews": True,
        "renews_on": date(2027, 3, 14),
        "price_locked_until": date(2027, 3, 13),
        "seats_bought": 10,
        "seats_used": 5,
        "seats_used_before": 5,
        "limits": (),
    } | changes
    return PlanFacts(**facts)


def signals_of(*plans: PlanFacts, trials=(), overdue_invoices=0) -> list[Signal]:
    facts = AccountFacts(plans=plans, trials=tuple(trials), overdue_invoices=overdue_invoices)
    return [found.signal for found in account_signals(facts, TODAY)]


def test_a_quiet_account_has_no_signal():
    assert signals_of(plan()) == []
    assert signals_of() == []


@pytest.mark.parametrize(
    "renews_on, renews, expected",
    [
        (date(2026, 6, 12), True, [Signal.RENEWAL_SOON]),  # 90 days: inside
        (date(2026, 6, 13), True, []),  # 91 days
        (date(2026, 3, 14), True, [Signal.RENEWAL_SOON]),  # today
        (date(2026, 3, 1), True, [Signal.RENEWAL_SOON]),  # past its term, unrenewed
        (date(2026, 4, 1), False, []),  # ends with its term: no renewal to prepare
    ],
)
def test_renewal_within_90_days(renews_on, renews, expected):
    assert signals_of(plan(renews_on=renews_on, renews=renews)) == expected


@pytest.mark.parametrize(
    "renews_on, why",
    [
        (date(2026, 4, 1), "renews in 18 days"),
        (date(2026, 3, 14), "renews in 0 days"),
        (date(2026, 3, 10), "renewal 4 days late"),
    ],
)
def test_the_renewal_says_how_far(renews_on, why):
    [found] = account_signals(AccountFacts((plan(renews_on=renews_on),), (), 0), TODAY)
    assert found.why == why


@pytest.mark.parametrize(
    "until, expected",
    [
        (date(2026, 6, 12), [Signal.PRICE_LOCK_ENDING]),  # 90 days
        (date(2026, 6, 13), []),  # 91 days
        (date(2026, 3, 14), [Signal.PRICE_LOCK_ENDING]),  # ends today
        (date(2026, 3, 13), []),  # already ended: nothing left to end
        (None, []),  # no end set
    ],
)
def test_price_lock_ending_within_90_days(until, expected):
    assert signals_of(plan(price_locked_until=until)) == expected


def test_the_price_lock_names_its_last_day():
    [found] = account_signals(
        AccountFacts((plan(price_locked_until=date(2026, 4, 30)),), (), 0), TODAY
    )
    assert found.why == "price locked until 30 Apr 2026"


@pytest.mark.parametrize(
    "bought, used, before, why",
    [
        (10, 9, 9, "9 of 10 seats in use"),  # 90%: nearly full
        (10, 8, 8, None),  # 80%
        (12, 11, 11, "11 of 12 seats in use"),  # 91.7%
        (20, 17, 18, None),  # 85%, shrinking
        (10, 6, 5, "seats in use grew from 5 to 6 in 3 months"),  # +20%
        (100, 59, 50, None),  # +18%
        (100, 60, 50, "seats in use grew from 50 to 60 in 3 months"),  # exactly +20%
        (10, 3, 0, None),  # none before: growth from nothing is not measured
        (10, 3, None, None),  # no figure three months back
        (10, None, None, None),  # seats not metered
        (10, 12, 4, "12 of 10 seats in use"),  # over: nearly full wins
        (99, 89, 89, None),  # 89.9%: just under nearly full
        (1000, 121, 101, None),  # +19.8%: just under the growth
    ],
)
def test_seat_growth(bought, used, before, why):
    assert seat_growth(bought=bought, used=used, before=before) == why
    expected = [Signal.SEAT_GROWTH] if why else []
    facts = plan(seats_bought=bought, seats_used=used, seats_used_before=before)
    assert signals_of(facts) == expected
    found = account_signals(AccountFacts((facts,), (), 0), TODAY)
    assert [f.why for f in found if f.signal == Signal.SEAT_GROWTH] == ([why] if why else [])


@pytest.mark.parametrize(
    "completed, limit, expected",
    [
        ((0, 0, 0, 120, 130, 90), 100, True),  # 2 of the last 3
        ((0, 0, 0, 120, 90, 130), 100, True),
        ((0, 0, 0, 90, 90, 500), 100, False),  # one spike
        ((200, 200, 200, 90, 100, 100), 100, False),  # at the limit is not over
        ((0, 0, 0, 120, 130, 140), None, False),  # unlimited
    ],
)
def test_sustained_need_is_the_usage_nudges_rule(completed, limit, expected):
    usage = LimitUsage(name="API calls", limit=limit, completed=completed)
    assert signals_of(plan(limits=(usage,))) == ([Signal.SUSTAINED_NEED] if expected else [])


def test_sustained_need_names_the_limit():
    usage = LimitUsage(name="Storage", limit=10, completed=(11, 12, 3))
    [found] = account_signals(AccountFacts((plan(limits=(usage,)),), (), 0), TODAY)
    assert found.why == "Storage over the limit in 2 of the last 3 months"
    assert found.label == "Sustained need"
    assert not found.is_risk


@pytest.mark.parametrize("used, expected", [(0, []), (1, [Signal.TRIAL_FEATURES])])
def test_trial_features_used(used, expected):
    assert signals_of(plan(), trials=[TrialFacts(features_used=used)]) == expected


@pytest.mark.parametrize(
    "trial, expected",
    [
        (TrialFacts(features_used=2), True),  # running
        (TrialFacts(features_used=2, ended_on=TODAY), True),
        (TrialFacts(features_used=2, ended_on=date(2026, 2, 12)), True),  # 30 days ago
        (TrialFacts(features_used=2, ended_on=date(2026, 2, 11)), False),  # 31 days ago
        (TrialFacts(features_used=2, bought=True), False),
        (TrialFacts(features_used=2, ended_on=TODAY, bought=True), False),
    ],
)
def test_a_trial_counts_while_running_and_for_30_days_after_unless_bought(trial, expected):
    assert trial_counts(trial, TODAY) is expected
    assert signals_of(plan(), trials=[trial]) == ([Signal.TRIAL_FEATURES] if expected else [])


def test_the_trials_features_add_up_over_the_trials_that_count():
    trials = (
        TrialFacts(features_used=2),
        TrialFacts(features_used=1, ended_on=date(2026, 3, 1)),
        TrialFacts(features_used=5, ended_on=date(2026, 2, 11)),  # too long ago
        TrialFacts(features_used=7, bought=True),
    )
    [found] = account_signals(AccountFacts((plan(),), trials, 0), TODAY)
    assert found == Found(Signal.TRIAL_FEATURES, "3 trial features used")


def test_an_overdue_invoice_is_a_risk():
    facts = AccountFacts((plan(),), trials=(), overdue_invoices=2)
    [found] = account_signals(facts, TODAY)
    assert found == Found(Signal.OVERDUE, "2 invoices overdue")
    assert found.is_risk
    assert found.label == "Overdue invoice"
    assert signals_of(plan(), overdue_invoices=0) == []


def test_every_signal_at_once_comes_once_each_in_order():
    over = LimitUsage(name="API calls", limit=10, completed=(11, 12, 13))
    busy = plan(
        renews_on=date(2026, 4, 1),
        price_locked_until=date(2026, 3, 31),
        seats_used=10,
        limits=(over, over),
    )
    found = signals_of(busy, busy, trials=[TrialFacts(features_used=3)], overdue_invoices=1)
    assert found == list(Signal)
    facts = AccountFacts((busy,), trials=(TrialFacts(features_used=3),), overdue_invoices=1)
    whys = {f.signal: f.why for f in account_signals(facts, TODAY)}
    assert whys[Signal.TRIAL_FEATURES] == "3 trial features used"
    assert [f.is_risk for f in account_signals(facts, TODAY)] == [False] * 5 + [True]


def test_every_signal_has_a_label():
    assert set(LABELS) == set(Signal)


@pytest.mark.parametrize(
    "renews_on, expected", [(date(2026, 3, 15), 1), (date(2026, 3, 14), 0), (date(2026, 3, 4), -10)]
)
def test_days_to_go(renews_on, expected):
    assert days_to_go(renews_on, TODAY) == expected


def price(amount, cycle, currency="USD", per_seat=False, min_seats=1) -> SeatPrice:
    return SeatPrice(Money(Decimal(amount), currency), cycle, per_seat, min_seats)


@pytest.mark.parametrize(
    "seat_price, seats, status, expected",
    [
        (price("19.00", "monthly", per_seat=True, min_seats=3), 12, "active", "2736.00"),
        (price("19.00", "monthly", per_seat=True, min_seats=3), 2, "active", "684.00"),  # min 3
        (price("730.00", "annual", "EUR"), 6, "active", "730.00"),  # flat
        (price("79.99", "monthly"), 1, "past_due", "959.88"),  # still billed
        (price("33.333", "monthly"), 1, "active", "400.00"),  # rounded once: 399.996
        (price("79.00", "monthly"), 1, "trialing", "0"),
        (price("79.00", "monthly"), 1, "suspended", "0"),
        (price("79.00", "annual", "JPY"), 1, "canceled", "0"),
    ],
)
def test_arr_is_the_locked_price_over_a_year(seat_price, seats, status, expected):
    arr = annual_recurring_revenue(price=seat_price, seats=seats, status=status)
    assert arr == Money(Decimal(expected), seat_price.amount.currency)
    assert arr.currency == seat_price.amount.currency


@pytest.mark.parametrize(
    "seat_price, seats, status, percent, expected",
    [
        (
            price("19.00", "monthly", per_seat=True),
            12,
            "active",
            "10",
            "2462.40",
        ),  # 2736 less 273.60
        (price("730.00", "annual", "EUR"), 1, "past_due", "20", "584.00"),
        (price("33.333", "monthly"), 1, "active", "15", "340.00"),  # 400.00 less 60.00
        (price("99.99", "annual"), 1, "active", "12.5", "87.49"),  # 12.49875 off: 12.50
        (price("79.00", "monthly"), 1, "suspended", "10", "0"),
    ],
)
def test_arr_is_less_the_negotiated_discount(seat_price, seats, status, percent, expected):
    arr = annual_recurring_revenue(
        price=seat_price, seats=seats, status=status, discounts=negotiated(Decimal(percent), "x")
    )
    assert arr == Money(Decimal(expected), seat_price.amount.currency)


def test_arr_refuses_an_unknown_cycle():
    with pytest.raises(ValueError, match="'weekly' is not a billing cycle"):
        annual_recurring_revenue(price=price("1.00", "weekly"), seats=1, status="active")


def test_totals_are_per_currency_in_code_order():
    amounts = [
        Money(Decimal("10.00"), "USD"),
        Money(Decimal("5.50"), "EUR"),
        Money(Decimal("2.25"), "USD"),
    ]
    assert totals_by_currency(amounts) == [
        Money(Decimal("5.50"), "EUR"),
        Money(Decimal("12.25"), "USD"),
    ]
    assert totals_by_currency([]) == []


@pytest.mark.parametrize(
    ("trials", "overdue", "whys"),
    [
        ((TrialFacts(features_used=1),), 1, ["1 trial feature used", "1 invoice overdue"]),
        ((TrialFacts(features_used=2),), 2, ["2 trial features used", "2 invoices overdue"]),
    ],
)
def test_the_reasons_say_one_and_many_properly(trials, overdue, whys):
    found = account_signals(AccountFacts((plan(),), trials, overdue), TODAY)
    assert [f.why for f in found] == whys
