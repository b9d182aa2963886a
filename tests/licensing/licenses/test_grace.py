"""Renewal grace (licensing.licenses.grace): an auto-renewing usable license stays usable
RENEWAL_GRACE_DAYS after its term. No database (make mutate runs these)."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from licensing.licenses.grace import grace_until

TERM_END = date(2026, 3, 31)


@pytest.mark.parametrize(
    "usable, auto_renew, grace_days, until",
    [
        (True, True, 7, date(2026, 4, 7)),
        (True, True, 1, date(2026, 4, 1)),
        (True, True, 0, None),  # no grace configured
        (True, False, 7, None),  # does not renew by itself: it ends with its term
        (False, True, 7, None),  # suspended, canceled or expired: nothing to extend
        (False, False, 7, None),
    ],
)
def test_only_an_auto_renewing_usable_license_has_a_grace(usable, auto_renew, grace_days, until):
    assert (
        grace_until(term_end=TERM_END, usable=usable, auto_renew=auto_renew, grace_days=grace_days)
        == until
    )


@given(
    term_end=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)),
    grace_days=st.integers(1, 366),
)
def test_the_grace_ends_its_days_after_the_term(term_end, grace_days):
    until = grace_until(term_end=term_end, usable=True, auto_renew=True, grace_days=grace_days)
    assert until - term_end == timedelta(days=grace_days)
