"""A free extension granted by staff on a term invoiced a year at a time (an accepted
three-year option, "Each year"): refused until its last year is invoiced, since days
added after the term would read as billed to its end and leave the later years
uninvoiced; granted once the last year is billed."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from billing.models import PeriodReason, Subscription
from billing.renewals.services import subscription_term_end
from billing.renewals.tasks import due_ids
from billing.subscriptions.services import subscription_extend
from licensing.licenses.services import SYSTEM
from tests.billing.proposals.test_per_cycle_changes import accept_three_years, at


@pytest.fixture
def three_years(license, catalog, owner):
    license = accept_three_years(license, catalog, owner)
    assert license.term_end == date(2029, 3, 13)
    return Subscription.objects.get(license=license)


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
