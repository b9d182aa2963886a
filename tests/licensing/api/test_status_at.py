"""A license's status by the clock alone (licensing.api.answer.status_at), pure: what
validate's code and the entitlements endpoint's status both follow. A usable license
past its term (and grace) is expired whatever its stored status says; the others keep
theirs."""

from datetime import UTC, datetime, timedelta

import pytest

from licensing.api.answer import status_at

ENDS = datetime(2026, 4, 1, tzinfo=UTC)
SECOND = timedelta(seconds=1)


@pytest.mark.parametrize(
    "status, at, expected",
    [
        ("active", ENDS - SECOND, "active"),
        ("trialing", ENDS - SECOND, "trialing"),
        ("past_due", ENDS - SECOND, "past_due"),
        ("active", ENDS, "expired"),
        ("trialing", ENDS, "expired"),
        ("past_due", ENDS + SECOND, "expired"),
        ("suspended", ENDS, "suspended"),
        ("canceled", ENDS + SECOND, "canceled"),
        ("expired", ENDS - SECOND, "expired"),
    ],
    ids=lambda value: value.isoformat() if isinstance(value, datetime) else value,
)
def test_a_usable_license_is_expired_by_the_clock_at_its_end(status, at, expected):
    assert status_at(status, valid_until=ENDS, at=at) == expected
