"""Billing periods from a stored anchor (billing.subscriptions.periods): tables of known
cases (month ends, leap years, annual) and properties (consecutive periods tile, never
drift), and the tiling check."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.subscriptions.periods import (
    Span,
    add_months,
    index_of,
    period,
    periods_from_billed,
    term_end_for,
    tiling_problems,
)

D = date.fromisoformat


# fmt: off
ADD_MONTHS = {
    "the same day next month": ("2026-03-14", 1, "2026-04-14"),
    "31 January + 1 month: the last day of February": ("2026-01-31", 1, "2026-02-28"),
    "in a leap year, 29 February": ("2024-01-31", 1, "2024-02-29"),
    "31 March + 1 month: 30 April": ("2026-03-31", 1, "2026-04-30"),
    "December to January of the next year": ("2026-12-15", 1, "2027-01-15"),
    "31 December + 1 month": ("2026-12-31", 1, "2027-01-31"),
    "November + 3 months crosses the year into February": ("2026-11-30", 3, "2027-02-28"),
    "29 February + 12 months: 28 February": ("2024-02-29", 12, "2025-02-28"),
    "29 February + 48 months: 29 February again": ("2024-02-29", 48, "2028-02-29"),
    "12 months from December": ("2026-12-01", 12, "2027-12-01"),
    "24 months": ("2026-03-14", 24, "2028-03-14"),
    "no months": ("2026-01-31", 0, "2026-01-31"),
    "one month back crosses the year": ("2026-01-15", -1, "2025-12-15"),
    "11 months: November": ("2026-01-31", 10, "2026-11-30"),
}
TERM_ENDS = {
    "a month from the 14th": ("2026-03-14", "monthly", 1, "2026-04-13"),
    "a year from the 14th": ("2026-03-14", "annual", 1, "2027-03-13"),
    "a calendar month": ("2026-03-01", "monthly", 1, "2026-03-31"),
    "December's month ends on its 31st": ("2026-12-01", "monthly", 1, "2026-12-31"),
    "a month from mid-December ends in January": ("2026-12-15", "monthly", 1, "2027-01-14"),
    "a month from 31 January ends on 27 February": ("2026-01-31", "monthly", 1, "2026-02-27"),
    "February of a leap year": ("2024-02-01", "monthly", 1, "2024-02-29"),
    "a year from 1 March across a leap day": ("2023-03-01", "annual", 1, "2024-02-29"),
    "a year from 29 February": ("2024-02-29", "annual", 1, "2025-02-27"),
    "a calendar year": ("2026-01-01", "annual", 1, "2026-12-31"),
    "two years": ("2026-03-14", "annual", 2, "2028-03-13"),
    "three months": ("2026-11-15", "monthly", 3, "2027-02-14"),
}
# fmt: on


@pytest.mark.parametrize(("start", "months", "expected"), ADD_MONTHS.values(), ids=ADD_MONTHS)
def test_add_months(start, months, expected):
    assert add_months(date.fromisoformat(start), months) == date.fromisoformat(expected)


@pytest.mark.parametrize(
    ("start", "cycle", "cycles", "expected"), TERM_ENDS.values(), ids=TERM_ENDS
)
def test_term_end_for(start, cycle, cycles, expected):
    assert term_end_for(date.fromisoformat(start), cycle=cycle, cycles=cycles) == (
        date.fromisoformat(expected)
    )


def test_term_end_for_is_one_cycle_by_default():
    assert term_end_for(date(2026, 3, 14), cycle="annual") == date(2027, 3, 13)


def test_term_end_for_refuses_an_unknown_cycle():
    with pytest.raises(ValueError):
        term_end_for(date(2026, 3, 14), cycle="weekly")


# --- Periods from an anchor ------------------------------------------------------------

# fmt: off
PERIODS = {
    "31 January: no sticky 28th": ("2026-01-31", "monthly", [
        ("2026-01-31", "2026-02-27"), ("2026-02-28", "2026-03-30"),
        ("2026-03-31", "2026-04-29"), ("2026-04-30", "2026-05-30"),
    ]),
    "31 January in a leap year": ("2024-01-31", "monthly", [
        ("2024-01-31", "2024-02-28"), ("2024-02-29", "2024-03-30"),
    ]),
    "30 January, around February": ("2026-01-30", "monthly", [
        ("2026-01-30", "2026-02-27"), ("2026-02-28", "2026-03-29"),
    ]),
    "the first of the month: calendar months": ("2026-11-01", "monthly", [
        ("2026-11-01", "2026-11-30"), ("2026-12-01", "2026-12-31"),
        ("2027-01-01", "2027-01-31"), ("2027-02-01", "2027-02-28"),
    ]),
    "annual from 19 May: 365 days, not 366": ("2026-05-19", "annual", [
        ("2026-05-19", "2027-05-18"), ("2027-05-19", "2028-05-18"),
    ]),
    "annual from 29 February": ("2024-02-29", "annual", [
        ("2024-02-29", "2025-02-27"), ("2025-02-28", "2026-02-27"),
        ("2026-02-28", "2027-02-27"), ("2027-02-28", "2028-02-28"),
        ("2028-02-29", "2029-02-27"),
    ]),
}
# fmt: on


@pytest.mark.parametrize(("anchor", "cycle", "expected"), PERIODS.values(), ids=PERIODS)
def test_periods_from_an_anchor(anchor, cycle, expected):
    got = [period(D(anchor), index, cycle=cycle) for index in range(len(expected))]
    assert got == [Span(D(start), D(end)) for start, end in expected]


@pytest.mark.parametrize(("anchor", "cycle", "expected"), PERIODS.values(), ids=PERIODS)
def test_index_of_finds_each_period_by_its_first_and_last_day(anchor, cycle, expected):
    for index, (start, end) in enumerate(expected):
        assert index_of(D(anchor), D(start), cycle=cycle) == index
        assert index_of(D(anchor), D(end), cycle=cycle) == index


def test_a_span_counts_both_its_days():
    assert Span(D("2026-05-19"), D("2027-05-18")).days == 365
    assert Span(D("2026-05-19"), D("2026-05-19")).days == 1


def test_period_refuses_a_negative_index():
    with pytest.raises(ValueError, match=r"^A period's index is 0 or more\.$"):
        period(D("2026-01-31"), -1, cycle="monthly")


def test_term_end_for_refuses_a_term_of_no_cycles():
    with pytest.raises(ValueError, match=r"^A term lasts at least one cycle\.$"):
        term_end_for(D("2026-01-31"), cycle="monthly", cycles=0)


def test_index_of_refuses_a_day_before_the_anchor():
    with pytest.raises(ValueError, match=r"^The day is before the anchor\.$"):
        index_of(D("2026-01-31"), D("2026-01-30"), cycle="monthly")


anchors = st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31))
cycles = st.sampled_from(["monthly", "annual"])


@given(anchor=anchors, cycle=cycles, index=st.integers(0, 120))
def test_consecutive_periods_tile(anchor, cycle, index):
    this, following = period(anchor, index, cycle=cycle), period(anchor, index + 1, cycle=cycle)
    assert following.starts_on == this.ends_on + timedelta(days=1)
    assert this.starts_on <= this.ends_on


@given(anchor=anchors, cycle=cycles, index=st.integers(0, 120))
def test_periods_never_drift_from_the_anchor(anchor, cycle, index):
    start = period(anchor, index, cycle=cycle).starts_on
    # Each period starts on the anchor's day of the month, or the month's last day.
    assert start.day == anchor.day or (start + timedelta(days=1)).day == 1
    assert start.day <= anchor.day
    months = index * (12 if cycle == "annual" else 1)
    assert (start.year - anchor.year) * 12 + start.month - anchor.month == months


@given(anchor=anchors, cycle=cycles, offset=st.integers(0, 4000))
def test_index_of_names_the_period_containing_the_day(anchor, cycle, offset):
    day = anchor + timedelta(days=offset)
    span = period(anchor, index_of(anchor, day, cycle=cycle), cycle=cycle)
    assert span.starts_on <= day <= span.ends_on


@given(anchor=anchors, cycle=cycles, cycles_=st.integers(1, 5))
def test_a_term_of_n_cycles_ends_with_its_last_period(anchor, cycle, cycles_):
    assert term_end_for(anchor, cycle=cycle, cycles=cycles_) == (
        period(anchor, cycles_ - 1, cycle=cycle).ends_on
    )


# --- The tiling check ------------------------------------------------------------------

TERM = Span(D("2026-01-31"), D("2026-03-30"))
FEB = Span(D("2026-01-31"), D("2026-02-27"))
MAR = Span(D("2026-02-28"), D("2026-03-30"))


def test_periods_that_tile_the_term_have_no_problem():
    assert tiling_problems(TERM, [MAR, FEB]) == []


def test_an_earlier_term_before_the_current_one_is_fine_when_it_follows_on():
    earlier = Span(D("2025-12-31"), D("2026-01-30"))
    assert tiling_problems(TERM, [earlier, FEB, MAR]) == []


def test_no_periods():
    assert tiling_problems(TERM, []) == ["there are no periods"]


def test_a_gap_is_named_with_its_days():
    late = Span(D("2026-03-02"), D("2026-03-30"))
    assert tiling_problems(TERM, [FEB, late]) == [
        "a gap from 2026-02-28 to 2026-03-01 (no period bills those days)"
    ]


def test_an_overlap_is_named():
    early = Span(D("2026-02-27"), D("2026-03-30"))
    assert tiling_problems(TERM, [FEB, early]) == [
        "the period from 2026-02-27 overlaps the one ending 2026-02-27"
    ]


def test_periods_that_stop_before_the_term_ends():
    assert tiling_problems(TERM, [FEB]) == [
        "the last period ends on 2026-02-27, the term on 2026-03-30"
    ]


def test_the_term_of_366_days_against_a_year_of_periods():
    term = Span(D("2026-05-19"), D("2027-05-19"))
    year = period(D("2026-05-19"), 0, cycle="annual")
    assert tiling_problems(term, [year]) == [
        "the last period ends on 2027-05-18, the term on 2027-05-19"
    ]


def test_no_period_on_the_first_day_of_the_term():
    term = Span(D("2026-02-01"), D("2026-03-30"))
    assert tiling_problems(term, [FEB, MAR]) == [
        "no period starts on the term's first day, 2026-02-01"
    ]


def test_a_period_that_ends_before_it_starts():
    backwards = Span(D("2026-03-31"), D("2026-03-30"))
    assert "the period from 2026-03-31 ends before it starts, 2026-03-30" in tiling_problems(
        TERM, [FEB, MAR, backwards]
    )


# --- Periods rebuilt from what was invoiced --------------------------------------------

YEAR = Span(D("2026-05-19"), D("2027-05-18"))


def test_an_invoiced_year_in_a_366_day_term_gets_the_extra_day_as_an_extension():
    term = Span(D("2026-05-19"), D("2027-05-19"))
    assert periods_from_billed(term, [YEAR]) == [
        (YEAR, "purchase"),
        (Span(D("2027-05-19"), D("2027-05-19")), "extension"),
    ]


def test_the_previous_years_invoice_is_a_purchase_and_this_years_a_renewal():
    before = Span(D("2025-05-19"), D("2026-05-18"))
    assert periods_from_billed(YEAR, [YEAR, before]) == [(before, "purchase"), (YEAR, "renewal")]


def test_a_gap_between_invoices_is_an_extension_and_a_rebilled_span_is_left_out():
    april = Span(D("2026-04-01"), D("2026-04-30"))
    june = Span(D("2026-06-01"), D("2026-06-30"))
    twice = Span(D("2026-04-15"), D("2026-04-30"))
    term = Span(D("2026-06-01"), D("2026-06-30"))
    assert periods_from_billed(term, [june, twice, april]) == [
        (april, "purchase"),
        (Span(D("2026-05-01"), D("2026-05-31")), "extension"),
        (june, "renewal"),
    ]


def test_nothing_invoiced_makes_the_term_one_purchase():
    assert periods_from_billed(YEAR, []) == [(YEAR, "purchase")]


def test_days_of_the_term_before_the_first_invoice_are_an_extension():
    term = Span(D("2026-05-01"), D("2027-05-18"))
    assert periods_from_billed(term, [YEAR]) == [
        (Span(D("2026-05-01"), D("2026-05-18")), "extension"),
        (YEAR, "purchase"),
    ]


@given(
    start=anchors,
    cycle=cycles,
    count=st.integers(1, 6),
    skipped=st.sets(st.integers(0, 5)),
    extra=st.integers(0, 40),
)
def test_rebuilt_periods_always_tile_the_term(start, cycle, count, skipped, extra):
    spans = [period(start, index, cycle=cycle) for index in range(count)]
    billed = [span for index, span in enumerate(spans) if index not in skipped or index == 0]
    term = Span(start, spans[-1].ends_on + timedelta(days=extra))
    rebuilt = periods_from_billed(term, billed)
    assert tiling_problems(term, [span for span, _ in rebuilt]) == []
    assert [span for span, reason in rebuilt if reason != "extension"] == billed


def test_a_period_of_one_day_is_a_period():
    day = Span(D("2026-03-31"), D("2026-03-31"))
    assert tiling_problems(Span(FEB.starts_on, day.ends_on), [FEB, MAR, day]) == []


def test_a_span_billed_again_from_the_last_day_of_another_is_left_out():
    overlapping = Span(YEAR.ends_on, D("2028-05-18"))
    assert periods_from_billed(YEAR, [YEAR, overlapping]) == [(YEAR, "purchase")]
