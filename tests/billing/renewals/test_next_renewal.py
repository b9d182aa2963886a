"""What the next renewal bills (billing.renewals.selectors.next_renewal): the locked
price, a change scheduled for the day, and the successor once the lock ends."""

from datetime import date
from decimal import Decimal

import pytest

from billing.money import Money
from billing.renewals.selectors import next_renewal
from billing.renewals.terms import Source
from tests.helpers.checkout import subscribed


@pytest.fixture
def license(organization, catalog):
    return subscribed(organization, catalog, "team", seats=5)


def test_the_next_term_is_billed_at_the_locked_price(license):
    renewal = next_renewal(license.subscription)
    subscription = license.subscription
    assert renewal.renews_on == date(2026, 4, 1)
    assert renewal.source == Source.LOCKED
    assert [(line.period_start, line.period_end) for line in renewal.lines] == [
        (date(2026, 4, 1), date(2026, 4, 30))
    ]
    assert renewal.subtotal == (subscription.cycle_price).rounded()
    assert renewal.subtotal == renewal.current_subtotal
    assert renewal.total == renewal.subtotal + renewal.tax
    assert not renewal.rises


def test_the_lock_is_set_to_the_terms_last_day_when_the_price_is_locked(license):
    assert license.subscription.price_locked_until == date(2026, 3, 31)


def test_a_change_scheduled_for_the_renewal_day_is_what_it_bills(downgraded):
    renewal = next_renewal(downgraded.license.subscription)
    assert renewal.source == Source.SCHEDULED
    assert renewal.plan.tier == "team"
    assert renewal.plan.seats == 8
    assert not renewal.auto_renew
    assert renewal.subtotal == Money(downgraded.price.amount * 8, "USD").rounded()
    assert renewal.subtotal.amount > Decimal(0)
    assert not renewal.rises
