"""All business dates are UTC dates (issue 18, item 5), and the policy page says so. A
customer at UTC-8 who buys at 17:00 local time on a month's last day buys at 01:00 UTC
the next day: the term starts on that UTC date, and the pages show it."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
import time_machine

from tests.helpers.checkout import confirm

pytestmark = pytest.mark.django_db

UTC_MINUS_8 = timezone(timedelta(hours=-8))


def test_the_policy_page_says_business_dates_are_utc_dates(client, catalog):
    page = client.get("/policy/upgrades/").content.decode()
    assert "All business dates are UTC dates" in page
    assert "its term starts on 1 May" in page


def test_a_purchase_at_17_00_on_the_last_day_at_utc_minus_8_starts_on_the_utc_date(
    organization, owner, catalog, client_for
):
    local = datetime(2026, 4, 30, 17, 0, tzinfo=UTC_MINUS_8)
    assert local.astimezone(UTC) == datetime(2026, 5, 1, 1, 0, tzinfo=UTC)
    with time_machine.travel(local, tick=False):
        _, checkout = confirm(
            organization, None, owner, tier="team", seats=5, cycle="monthly", currency="USD"
        )
        license = checkout.license
        assert (license.term_start, license.term_end) == (date(2026, 5, 1), date(2026, 5, 31))
        assert license.subscription.billing_anchor == date(2026, 5, 1)
        assert checkout.invoice.issued_on == date(2026, 5, 1)
        page = client_for(owner).get("/app/northwind/").content.decode()
    assert '<time datetime="2026-05-01">1 May 2026</time>' in page
    assert "30 Apr 2026" not in page and "30 April 2026" not in page
    assert '<time datetime="2026-06-01">1 June 2026</time> (UTC)' in page
