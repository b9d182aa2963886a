"""The price lock's rule (billing.renewals.terms): which version and price the next term
runs on. Known cases, then properties."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.renewals import terms
from billing.renewals.terms import Source, Version

CURRENT = Version(1, retired=True, successor=2)
RENEWS_ON = date(2027, 4, 1)


@pytest.mark.parametrize(
    ("locked_until", "ends"),
    [
        (None, True),
        (date(2027, 3, 31), True),
        (date(2027, 4, 1), True),
        (date(2027, 4, 2), False),
        (date(2028, 1, 1), False),
    ],
    ids=["no-day", "day-before", "same-day", "day-after", "next-year"],
)
def test_the_lock_ends_on_or_after_its_last_day(locked_until, ends):
    assert terms.lock_ends(renews_on=RENEWS_ON, locked_until=locked_until) is ends


@pytest.mark.parametrize(
    ("locked_until", "version", "scheduled", "priced", "expected"),
    [
        (date(2027, 3, 31), CURRENT, False, True, Source.SUCCESSOR),
        (date(2027, 4, 1), CURRENT, False, True, Source.SUCCESSOR),
        (date(2027, 4, 2), CURRENT, False, True, Source.LOCKED),
        (date(2027, 3, 31), CURRENT, True, True, Source.SCHEDULED),
        (date(2027, 4, 2), CURRENT, True, True, Source.SCHEDULED),
        (date(2027, 3, 31), CURRENT, False, False, Source.LOCKED),
        (date(2027, 3, 31), Version(3, retired=False, successor=4), False, True, Source.LOCKED),
        (date(2027, 3, 31), Version(3, retired=False), False, True, Source.LOCKED),
        (date(2027, 3, 31), Version(5, retired=True), False, True, Source.LOCKED),
        (None, CURRENT, False, True, Source.SUCCESSOR),
    ],
    ids=[
        "lock-ended",
        "lock-ends-that-day",
        "lock-holds",
        "scheduled-first",
        "scheduled-while-locked",
        "successor-unpriced",
        "not-retired-with-successor",
        "not-retired",
        "no-successor",
        "no-lock-day",
    ],
)
def test_where_the_next_terms_price_comes_from(locked_until, version, scheduled, priced, expected):
    assert (
        terms.source(
            renews_on=RENEWS_ON,
            locked_until=locked_until,
            version=version,
            scheduled=scheduled,
            successor_priced=priced,
        )
        == expected
    )


@pytest.mark.parametrize(
    ("term_end", "notice_date", "expected"),
    [
        (date(2027, 3, 31), None, date(2027, 3, 31)),
        (date(2027, 3, 31), date(2027, 6, 30), date(2027, 6, 30)),
        (date(2027, 3, 31), date(2027, 1, 31), date(2027, 3, 31)),
        (date(2027, 3, 31), date(2027, 3, 31), date(2027, 3, 31)),
    ],
    ids=["no-notice", "notice-later", "notice-earlier", "same-day"],
)
def test_the_lock_holds_to_the_later_of_term_end_and_notice_date(term_end, notice_date, expected):
    assert terms.locked_until(term_end=term_end, notice_date=notice_date) == expected


days = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))


@given(term_end=days, notice_date=st.none() | days)
def test_the_lock_never_ends_before_the_term_nor_the_notice(term_end, notice_date):
    until = terms.locked_until(term_end=term_end, notice_date=notice_date)
    assert until >= term_end
    assert notice_date is None or until >= notice_date
    assert until in (term_end, notice_date)
    # A renewal right after the term moves on only once the notice date has come.
    renews_on = term_end + timedelta(days=1)
    moves = terms.lock_ends(renews_on=renews_on, locked_until=until)
    assert moves is (notice_date is None or notice_date <= renews_on)


@given(
    locked_until=st.none() | days,
    renews_on=days,
    retired=st.booleans(),
    scheduled=st.booleans(),
    priced=st.booleans(),
)
def test_a_customer_moves_only_off_a_retired_version_once_the_lock_ends(
    locked_until, renews_on, retired, scheduled, priced
):
    version = Version(1, retired=retired, successor=3)
    got = terms.source(
        renews_on=renews_on,
        locked_until=locked_until,
        version=version,
        scheduled=scheduled,
        successor_priced=priced,
    )
    if scheduled:
        assert got == Source.SCHEDULED
    elif got == Source.SUCCESSOR:
        assert retired and priced
        assert locked_until is None or renews_on >= locked_until
    else:
        assert got == Source.LOCKED
        assert not (
            retired and priced and terms.lock_ends(renews_on=renews_on, locked_until=locked_until)
        )
