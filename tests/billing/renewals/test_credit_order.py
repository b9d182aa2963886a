"""Two renewals on the same day sharing a credit balance: the reminder and the dashboard's
renewal panel share it in the order the term-end job issues the invoices (by term end,
then subscription: billing.renewals.selectors.ISSUE_ORDER), not in the order the panels
are shown (licenses_open: organization, product order). Before, they told Widget $0.00
due while its invoice asked $24.00. "Now" is 14 March 2026."""

from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest
import time_machine

from billing.models import Invoice
from billing.money import Money
from billing.renewals.tasks import run_term_end
from licensing.models import Product
from tests.billing.renewals.test_reminder_credit import (
    _simulated,  # noqa: F401
    as_invoiced,
    reminder_to,
    send_reminders,
    told_in_text,
)
from tests.helpers.checkout import subscribed
from tests.portal.test_renewal_panel import (
    DASHBOARD,
    figure,
    hold_credit,
    renewal_list,
    widget_license,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def same_day(organization, catalog, now):
    """Team ($95.00) subscribed first, Widget ($29.00) second, both renewing on 1 April,
    no tax; staff list Widget before Team (Product.order); $100.00 of credit."""
    team = subscribed(organization, catalog, seats=5)
    widget = widget_license(organization, date(2026, 3, 1), date(2026, 3, 31))
    Product.objects.filter(pk=team.product_id).update(order=2)
    Product.objects.filter(pk=widget.product_id).update(order=1)
    hold_credit(organization, Money(Decimal("100.00"), "USD"))
    return {"Team": team, "Widget": widget}


def test_it_reminds_what_each_invoice_the_job_issues_then_asks(owner, same_day):
    send_reminders(date(2026, 3, 26))
    told = {
        name: told_in_text(reminder_to(owner.email, license).body_text)
        for name, license in same_day.items()
    }

    invoiced = _invoiced_by_the_job(same_day, date(2026, 4, 1))

    assert told == invoiced
    # The job invoices Team first (term end, then subscription): all of Team, $5 of Widget.
    assert {name: told_in[2] for name, told_in in invoiced.items()} == {
        "Team": "$0.00",
        "Widget": "$24.00",
    }


def test_the_panels_tell_it_in_their_own_order(client_for, owner, same_day):
    page = client_for(owner).get(DASHBOARD).content.decode()
    told = {
        name: (
            figure(renewal_list(page, license), "Will bill"),
            figure(renewal_list(page, license), "Paid from credit balance"),
            figure(renewal_list(page, license), "Amount due"),
        )
        for name, license in same_day.items()
    }
    # The panels keep the product order: Widget's first.
    assert page.index(f'id="renewal-{same_day["Widget"].pk}"') < page.index(
        f'id="renewal-{same_day["Team"].pk}"'
    )

    assert told == _invoiced_by_the_job(same_day, date(2026, 4, 1))


def _invoiced_by_the_job(licenses: dict, day: date) -> dict:
    """The real term-end job on `day`, as beat runs it; each license's invoice that day."""
    with time_machine.travel(datetime.combine(day, time(0, 2), UTC), tick=False):
        run_term_end.apply(throw=True).get()
    return {
        name: as_invoiced(Invoice.objects.get(license=license, issued_on=day))
        for name, license in licenses.items()
    }
