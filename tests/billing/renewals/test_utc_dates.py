"""Business dates are UTC dates: a customer at UTC-8 who buys at 17:00 local time on 31
January buys on 1 February (UTC), and the subscription renews on the 1st of each month."""

from datetime import UTC, date, datetime, timedelta, timezone

import time_machine

from billing.models import Invoice
from billing.renewals.services import Outcome, subscription_renew
from tests.helpers.checkout import confirm

PACIFIC = timezone(timedelta(hours=-8))


def test_a_purchase_at_17_00_at_utc_minus_8_on_31_january_is_dated_1_february(
    organization, catalog, owner, now
):
    bought_at = datetime(2026, 1, 31, 17, 0, tzinfo=PACIFIC)
    assert bought_at.astimezone(UTC) == datetime(2026, 2, 1, 1, 0, tzinfo=UTC)
    with time_machine.travel(bought_at, tick=False):
        _, checkout = confirm(
            organization, None, owner, tier="team", seats=5, cycle="monthly", currency="USD"
        )
    license = checkout.license
    assert (license.term_start, license.term_end) == (date(2026, 2, 1), date(2026, 2, 28))
    assert checkout.invoice.issued_on == date(2026, 2, 1)

    license.refresh_from_db()
    result = subscription_renew(
        subscription=license.subscription,
        today=date(2026, 3, 1),
        at=datetime(2026, 3, 1, 0, 2, tzinfo=UTC),
    )

    assert result.outcome == Outcome.RENEWED
    license.refresh_from_db()
    assert (license.term_start, license.term_end) == (date(2026, 3, 1), date(2026, 3, 31))
    assert Invoice.objects.filter(license=license).count() == 2
