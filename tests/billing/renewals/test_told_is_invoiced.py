"""What the reminder, the dashboard's renewal panel and the checkout say a renewal bills
is what its invoice bills, for the terms an accepted proposal or a change of cycle
leaves: a term of several years invoiced one year at a time, and a multi-year term the
customer moves to monthly billing. "Now" is 14 March 2026."""

from datetime import UTC, date, datetime

import pytest

from billing.models import Subscription
from billing.models.subscriptions import Billing
from billing.renewals.selectors import next_renewal
from billing.renewals.services import Outcome, subscription_renew
from billing.renewals.summary import renewal_summary
from licensing.models import License
from tests.helpers.checkout import confirm, subscribed_for_three_years

pytestmark = pytest.mark.django_db


def _three_years(organization, catalog, *, billing: str):
    return subscribed_for_three_years(
        organization, catalog, billing=billing, term_start=date(2026, 3, 1)
    )


def test_a_term_invoiced_per_year_is_told_one_years_invoice(organization, catalog, owner, now):
    """The reminder and the panel said "Will bill" the three years (with lines 1, 2 and
    3 of 3); the renewal invoices the first year, the others as they start."""
    subscription = _three_years(organization, catalog, billing=Billing.PER_CYCLE)
    told = renewal_summary(subscription, today=date(2029, 1, 29))
    assert [line.description for line in told.lines] == ["Team, 5 seats, annual (1 of 3)"]

    result = subscription_renew(
        subscription=subscription,
        today=date(2029, 3, 1),
        at=datetime(2029, 3, 1, 0, 2, tzinfo=UTC),
    )

    assert result.outcome == Outcome.RENEWED
    assert told.total == result.invoice.money("total").format()
    assert told.subtotal == result.invoice.money("subtotal").format()
    # The term is still three years.
    assert License.objects.get(pk=subscription.license_id).term_end == date(2032, 2, 29)


def test_a_three_year_term_moved_to_monthly_renews_one_month_at_a_time(
    organization, catalog, owner, now
):
    """Monthly chosen in the checkout is scheduled for the term's end; it renewed as a
    "monthly" term of three months in one invoice (the term's cycles were kept)."""
    subscription = _three_years(organization, catalog, billing=Billing.UPFRONT)
    license = subscription.license

    shown, _ = confirm(
        organization, license, owner, tier="team", seats=5, cycle="monthly", auto_renew=True
    )
    assert shown.quote.later is not None and shown.quote.later.term_cycles == 1

    subscription = Subscription.objects.select_related("license__organization").get(
        pk=subscription.pk
    )
    renewal = next_renewal(subscription)
    monthly = renewal.plan.price.for_seats(5).rounded()
    assert [line.description for line in renewal.lines] == ["Team, 5 seats, monthly"]
    assert renewal.subtotal == monthly == shown.quote.renewal
    assert renewal.term_end == date(2029, 3, 31)

    result = subscription_renew(
        subscription=subscription,
        today=date(2029, 3, 1),
        at=datetime(2029, 3, 1, 0, 2, tzinfo=UTC),
    )
    assert result.invoice.money("subtotal") == monthly
    subscription.refresh_from_db()
    assert (subscription.cycle, subscription.term_cycles, subscription.billing) == (
        "monthly",
        1,
        Billing.UPFRONT,
    )
    assert License.objects.get(pk=subscription.license_id).term_end == date(2029, 3, 31)
