"""A free extension granted by staff on a term invoiced a year at a time (an accepted
three-year option, "Each year"): refused until its last year is invoiced, since days
added after the term would read as billed to its end and leave the later years
uninvoiced; granted once the last year is billed."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from billing.models import PeriodReason, Subscription
from billing.proposals.acceptance import proposal_accept
from billing.renewals.services import subscription_term_end
from billing.renewals.tasks import due_ids
from billing.subscriptions.services import subscription_extend
from licensing.licenses.services import SYSTEM
from tests.billing.proposals.test_per_cycle_changes import REASON, at
from tests.helpers.proposals import sent_version

THREE_YEARS = {
    "tier": "business",
    "seats": 10,
    "term_cycles": 3,
    "billing": "per_cycle",
    "discount_percent": Decimal(20),
    "discount_reason": REASON,
}


@pytest.fixture
def three_years(license, catalog, owner):
    version = sent_version(license, catalog, [THREE_YEARS])
    checkout = proposal_accept(version=version, option=version.options.get(), user=owner).checkout
    subscription = Subscription.objects.get(license=checkout.license)
    assert checkout.license.term_end == date(2029, 3, 13)
    return subscription


def _extend(subscription, to: date):
    return subscription_extend(
        subscription=subscription, term_end=to, actor=SYSTEM, reason="A month for the outage."
    )


def test_an_extension_before_the_last_year_is_invoiced_is_refused(three_years):
    with pytest.raises(ValidationError, match="invoiced a year at a time and is invoiced to"):
        _extend(three_years, date(2029, 4, 13))
    three_years.refresh_from_db()
    assert three_years.license.term_end == date(2029, 3, 13)
    assert not three_years.periods.filter(reason=PeriodReason.EXTENSION).exists()
    # The second year is still found due as it begins, and invoiced.
    assert three_years.pk in due_ids(date(2027, 3, 14))


def test_once_the_last_year_is_invoiced_the_term_is_extended(three_years):
    for first_day in (date(2027, 3, 14), date(2028, 3, 14)):
        with at(first_day):
            result = subscription_term_end(subscription=three_years, today=first_day)
        assert result.invoice.money("total").format() == "$3,120.00"
    period = _extend(three_years, date(2029, 4, 13))
    assert (period.starts_on, period.ends_on, period.reason) == (
        date(2029, 3, 14),
        date(2029, 4, 13),
        PeriodReason.EXTENSION,
    )
    assert three_years.pk not in due_ids(date(2029, 3, 20))  # nothing more to invoice
