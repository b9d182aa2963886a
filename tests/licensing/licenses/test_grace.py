"""Renewal grace (licensing.licenses.grace): a usable license stays usable
RENEWAL_GRACE_DAYS after its term, renewing by itself or by hand, unless its customer
canceled it. No database (make mutate runs these)."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from licensing.licenses.grace import grace_until

TERM_END = date(2026, 3, 31)


@pytest.mark.parametrize(
    "usable, auto_renew, ends_with_term, grace_days, until",
    [
        (True, True, False, 7, date(2026, 4, 7)),
        (True, True, False, 1, date(2026, 4, 1)),
        (True, True, False, 0, None),  # no grace configured
        (True, False, False, 7, date(2026, 4, 7)),  # renewed by hand: expires after it
        (True, False, False, 0, None),
        (True, False, True, 7, None),  # canceled by its customer: ends with its term
        (True, True, True, 7, date(2026, 4, 7)),  # renewing again (resumed): the grace
        (False, True, False, 7, None),  # suspended, canceled or expired: nothing to extend
        (False, False, False, 7, None),
        (False, False, True, 7, None),
    ],
)
def test_a_usable_license_has_a_grace_unless_its_customer_canceled_it(
    usable, auto_renew, ends_with_term, grace_days, until
):
    assert (
        grace_until(
            term_end=TERM_END,
            usable=usable,
            auto_renew=auto_renew,
            grace_days=grace_days,
            ends_with_term=ends_with_term,
        )
        == until
    )


def test_without_saying_so_a_license_was_not_canceled():
    assert grace_until(term_end=TERM_END, usable=True, auto_renew=False, grace_days=7) == date(
        2026, 4, 7
    )


@given(
    term_end=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)),
    grace_days=st.integers(1, 366),
    auto_renew=st.booleans(),
)
def test_the_grace_ends_its_days_after_the_term(term_end, grace_days, auto_renew):
    until = grace_until(
        term_end=term_end, usable=True, auto_renew=auto_renew, grace_days=grace_days
    )
    assert until - term_end == timedelta(days=grace_days)


@given(grace_days=st.integers(-366, 0), auto_renew=st.booleans(), usable=st.booleans())
def test_no_days_no_grace(grace_days, auto_renew, usable):
    assert (
        grace_until(term_end=TERM_END, usable=usable, auto_renew=auto_renew, grace_days=grace_days)
        is None
    )
