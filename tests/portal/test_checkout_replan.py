"""The issue's "done when", tried as a new user would with the test clock: Northwind,
on Business monthly, schedules a downgrade to Team for 1 January, then moves to annual
billing. The preview says the downgrade is canceled, the confirmation and the dashboard
agree, and once the clock is past 1 January the license is exactly what the annual
invoice paid for."""

from datetime import UTC, date, datetime

import pytest
import time_machine

from billing.models import Invoice, ScheduledChange, ScheduledChangeStatus
from portal import clock
from tests.helpers.checkout import subscribed
from tests.portal.test_checkout_pages import CHANGE, _confirm_form, _start
from tests.portal.test_clock import test_clock  # noqa: F401

DECEMBER_14 = datetime(2026, 12, 14, 9, 30, tzinfo=UTC)


@pytest.fixture
def northwind(organization, catalog):
    with time_machine.travel(DECEMBER_14, tick=False):
        yield subscribed(
            organization,
            catalog,
            "business",
            seats=12,
            term_start=date(2026, 12, 1),
            term_end=date(2026, 12, 31),
        )


def test_a_downgrade_then_annual_billing_leaves_exactly_what_was_paid_for(
    northwind,
    client_for,
    owner,
    test_clock,  # noqa: F811
):
    license = northwind
    client = client_for(owner)
    with time_machine.travel(DECEMBER_14, tick=False):
        url = _start(client, "northwind", tier="business")
        page = client.get(url, CHANGE | {"tier": "team", "seats": 8})
        client.post(url + "confirm/", _confirm_form(page))
        downgrade = ScheduledChange.objects.get()
        assert downgrade.effective_on == date(2027, 1, 1)
        dashboard = client.get("/app/northwind/").content.decode()
        assert 'Scheduled for <time datetime="2027-01-01">1 January 2027</time>' in dashboard

        url = _start(client, "northwind", tier="business")
        page = client.get(url, CHANGE | {"tier": "business", "seats": 12, "cycle": "annual"})
        html = page.content.decode()
        assert page.status_code == 200
        assert "<strong>Your scheduled change</strong> (Move to Team; 8 seats on" in html
        assert "is canceled if you confirm." in html
        assert "your new annual term runs to 13 December 2027" in html

        done = client.post(url + "confirm/", _confirm_form(page), follow=True)
        html = done.content.decode()
        assert "Your earlier scheduled change is canceled" in html
        assert "Move to Team; 8 seats on" in html
        downgrade.refresh_from_db()
        assert downgrade.status == ScheduledChangeStatus.CANCELED
        assert "Scheduled for" not in client.get("/app/northwind/").content.decode()

        clock.advance(to=date(2027, 1, 3), by="test")

    license.refresh_from_db()
    subscription = license.subscription
    invoice = Invoice.objects.filter(license=license).latest("pk")
    [bought] = [line for line in invoice.lines.all() if line.amount > 0]
    assert bought.description == "Business, 12 seats, annual"
    assert (license.version.tier.slug, license.seats, subscription.cycle) == (
        "business",
        12,
        "annual",
    )
    assert (license.term_start, license.term_end) == (bought.period_start, bought.period_end)
    assert (license.term_start, license.term_end) == (date(2026, 12, 14), date(2027, 12, 13))
    assert license.auto_renew is True
    # Per seat, at the price locked for the year.
    assert (bought.quantity, bought.unit_price) == (12, subscription.unit_amount)


def test_more_seats_keep_the_scheduled_downgrade_and_every_page_says_the_same(
    client_for, owner, organization, catalog
):
    """Business, 12 seats a month for March with Team and 8 seats scheduled for 1 April;
    then 14 seats now: the downgrade stays on its day, with the 14 seats."""
    subscribed(organization, catalog, "business", seats=12)
    client = client_for(owner)
    url = _start(client, "northwind", tier="business")
    page = client.get(url, CHANGE | {"tier": "team", "seats": 8})
    client.post(url + "confirm/", _confirm_form(page))

    url = _start(client, "northwind", tier="business")
    page = client.get(url, CHANGE | {"tier": "business", "seats": 14})
    html = page.content.decode()
    assert "(Move to Team; 8 seats on" in html and "changes if you confirm." in html
    assert (
        "It stays on its day (move to Team; 8 seats), with what you choose now: 14 seats "
        "instead of 8." in html
    )
    # The renewal follows the change that stays, not the plan bought now.
    assert "your scheduled change applies, as said above" in html
    assert "renews on its own" not in html

    done = client.post(url + "confirm/", _confirm_form(page), follow=True).content.decode()
    assert 'Still scheduled for <time datetime="2026-04-01">1 April 2026</time>' in done
    assert "Move to Team. It stays on its day" in done
    dashboard = client.get("/app/northwind/").content.decode()
    assert "1 April 2026</time>:</strong> Move to Team." in dashboard
    change = ScheduledChange.objects.get(status=ScheduledChangeStatus.SCHEDULED)
    assert (change.seats, change.summary) == (14, "Move to Team")
