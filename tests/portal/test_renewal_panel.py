"""The dashboard's renewal panel (templates/portal/licenses/_renewal_panel.html): the next
renewal's date, what it bills with tax (and, with a credit balance, what the credit pays
and the amount due), the price lock, a scheduled change, both prices when it rises, the
switch for automatic renewal, and for a license that does not renew, the day it expires
with a Renew button that opens a checkout turning renewal back on. Members read it
without buttons; outsiders get 404. "Now" is 14 March 2026."""

import re
from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.html import escape

from billing.models import BillingDetails, PeriodReason, Subscription
from billing.models.subscriptions import Billing
from billing.money import Money
from billing.payments.services import payment_record
from billing.renewals.selectors import next_cycle, next_renewal
from billing.renewals.services import Outcome, subscription_bill_next_cycle, subscription_renew
from billing.subscriptions.cancellation import subscription_cancel
from billing.subscriptions.periods import Span
from billing.subscriptions.services import subscription_create, subscription_period_add
from licensing.licenses.services import Actor, license_set_auto_renew
from portal import clock
from tests.factories import (
    FeatureFactory,
    LicenseFactory,
    ProductFactory,
    TierFactory,
    build_published,
)
from tests.helpers.checkout import subscribed
from tests.helpers.invoices import finalized_invoice
from tests.helpers.licenses import SYSTEM, issue

pytestmark = pytest.mark.django_db

DASHBOARD = "/app/northwind/"


@pytest.fixture
def test_clock(settings, db):
    settings.TEST_CLOCK = True
    clock.forget()
    yield
    clock.forget()


@pytest.fixture
def team(organization, catalog, now):
    return subscribed(organization, catalog, seats=5)


def test_the_panel_shows_the_date_the_amount_with_tax_and_the_lock(client_for, owner, team):
    page = client_for(owner).get(DASHBOARD).content.decode()
    renewal = next_renewal(team.subscription)
    assert f'id="renewal-{team.pk}"' in page
    assert "Your next renewal" in page
    assert '<time datetime="2026-04-01">1 April 2026</time> (UTC), in 18 days' in page
    assert f"<strong>{renewal.total.format()}</strong>" in page
    assert "Price locked until" in page and "31 March 2026" in page
    assert "Stop renewing: cancel at the term's end" in page
    assert f"/app/northwind/licenses/{team.pk}/cancel/" in page


def test_a_renewal_due_and_not_run_yet_says_it_is_being_processed(
    client_for, owner, teammate, organization, catalog, now
):
    # The term ended on 10 March; the renewal, due on 11 March, has not run by the 14th.
    license = subscribed(
        organization, catalog, term_start=date(2026, 2, 11), term_end=date(2026, 3, 10)
    )
    for person in (owner, teammate):
        page = client_for(person).get(DASHBOARD).content.decode()
        panel = page[page.index(f'id="renewal-{license.pk}"') :]
        assert (
            '<dt>Renewal due</dt><dd>Since <time datetime="2026-03-11">11 March 2026</time> '
            "(UTC): it is being processed; the license stays valid until "
            '<time datetime="2026-03-17">17 March 2026</time> (UTC)</dd>'
        ) in panel
        assert "in -3 days" not in page and "day ago" not in page
        assert "Renews on</dt>" not in panel[: panel.index("</dl>")]


def panel_of(page: str, license) -> str:
    """The renewal panel's HTML, from its card to the member's closing line."""
    start = page.index(f'id="renewal-{license.pk}"')
    return page[start : page.index("An owner or billing admin can change the renewal.", start)]


def test_a_member_reads_it_without_buttons_or_amounts(client_for, teammate, team):
    page = panel_of(client_for(teammate).get(DASHBOARD).content.decode(), team)
    renewal = next_renewal(team.subscription)
    assert "Your next renewal" in page
    assert '<time datetime="2026-04-01">1 April 2026</time> (UTC), in 18 days' in page
    assert "Stop renewing: cancel at the term's end" not in page
    # Members see no money (as the billing periods table): dates, the plan, no amounts.
    assert "Will bill" not in page
    assert renewal.total.format() not in page
    assert "$" not in page
    assert "Renews to</dt><dd>Team, 5 seats" in page


def test_a_member_reads_no_amount_when_renewal_is_off(client_for, teammate, team):
    license_set_auto_renew(license=team, auto_renew=False, actor=SYSTEM, reason="By hand.")
    page = panel_of(client_for(teammate).get(DASHBOARD).content.decode(), team)
    assert "Expires on" in page
    assert "Renewing would bill" not in page
    assert next_renewal(team.subscription).total.format() not in page
    assert "$" not in page


def test_an_outsider_gets_404(client_for, outsider, team):
    assert client_for(outsider).get(DASHBOARD).status_code == 404


def test_a_scheduled_change_is_shown_and_billed(client_for, owner, downgraded):
    page = client_for(owner).get(DASHBOARD).content.decode()
    assert "Scheduled change" in page
    assert escape(downgraded.summary) in page
    renewal = next_renewal(downgraded.license.subscription)
    assert f"<strong>{renewal.total.format()}</strong>" in page


def test_a_rise_shows_both_prices_and_why(client_for, owner, organization, catalog, now):
    # Team v1 (flat $79 a month; notice date 13 May 2026) renewing on 1 June: the lock
    # ends, and v2 costs $19 a seat.
    license = subscribed(
        organization,
        catalog,
        "team",
        number=1,
        term_start=date(2026, 5, 1),
        term_end=date(2026, 5, 31),
    )
    page = client_for(owner).get(DASHBOARD).content.decode()
    assert "The price changes at this renewal (before tax)" in page
    assert '<td data-label="This term">$79.00</td>' in page
    assert '<td data-label="Next term"><strong>$95.00</strong></td>' in page
    assert "is retired and its price lock ends on 31 May 2026" in page
    assert license.subscription.price_locked_until == date(2026, 5, 31)


RENEW_QUERY = "tier=team&seats=5&cycle=monthly&currency=USD&renew=on"


def test_renewed_by_hand_it_expires_after_the_grace_and_offers_renew(
    client_for, owner, team, settings, test_clock
):
    settings.RENEWAL_GRACE_DAYS = 7
    license_set_auto_renew(license=team, auto_renew=False, actor=SYSTEM, reason="By hand.")
    page = client_for(owner).get(DASHBOARD).content.decode()
    assert "Your term&#x27;s end" in page or "Your term's end" in page
    assert "Off: renewed by hand" in page
    assert (
        '<time datetime="2026-04-07">7 April 2026</time> (UTC), after 7 grace days, unless renewed'
        in page
    )
    assert f'href="/app/northwind/checkout/?{escape(RENEW_QUERY)}"' in page
    assert "Renew: turn automatic renewal back on</a>" in page
    assert "subscription_resume" not in page and f"/licenses/{team.pk}/resume/" not in page
    # The date told holds: usable through 7 April, expired on the 8th (the test clock).
    clock.advance(to=date(2026, 4, 7), by="test")
    team.refresh_from_db()
    assert team.is_usable
    clock.advance(to=date(2026, 4, 8), by="test")
    team.refresh_from_db()
    assert team.status == "expired"


def test_a_canceled_subscription_ends_with_its_term_and_offers_resume(
    client_for, owner, team, settings, test_clock
):
    settings.RENEWAL_GRACE_DAYS = 7
    subscription_cancel(subscription=team.subscription, actor=Actor.of(owner, "owner"))
    client = client_for(owner)
    page = client.get(DASHBOARD).content.decode()
    assert "Off: the subscription is canceled" in page
    assert (
        '<time datetime="2026-03-31">31 March 2026</time> (UTC), with its term: a canceled '
        "subscription has no grace days" in page
    )
    assert "7 April" not in page and "grace days, unless renewed" not in page
    assert "renew=on" not in page  # no checkout: Resume keeps it
    assert f'action="/app/northwind/licenses/{team.pk}/resume/"' in page
    assert ">Resume subscription</button>" in page
    # And it does end then: expired on 1 April, not after a grace.
    clock.advance(to=date(2026, 4, 1), by="test")
    team.refresh_from_db()
    assert team.status == "expired"


def test_resume_from_the_panel_turns_renewal_back_on(client_for, owner, team):
    subscription_cancel(subscription=team.subscription, actor=Actor.of(owner, "owner"))
    client = client_for(owner)
    response = client.post(f"/app/northwind/licenses/{team.pk}/resume/")
    assert response.status_code == 302
    team.refresh_from_db()
    assert team.auto_renew and not team.ends_with_term
    assert "Your next renewal" in client.get(DASHBOARD).content.decode()


def test_renew_on_is_not_for_a_canceled_subscription(client_for, owner, team):
    subscription_cancel(subscription=team.subscription, actor=Actor.of(owner, "owner"))
    page = client_for(owner).get(f"/app/northwind/checkout/?{RENEW_QUERY}", follow=True)
    page = page.content.decode()
    assert 'name="renew"' not in page
    assert "resume it first from" in page


def test_renew_opens_a_checkout_that_turns_renewal_back_on_and_charges_nothing(
    client_for, owner, team
):
    license_set_auto_renew(license=team, auto_renew=False, actor=SYSTEM, reason="By hand.")
    client = client_for(owner)
    response = client.get(f"/app/northwind/checkout/?{RENEW_QUERY}", follow=True)
    page = response.content.decode()
    assert response.status_code == 200
    assert "confirming turns automatic renewal back on. Nothing is charged today" in page
    assert '<input type="hidden" name="renew" value="on">' in page
    assert "Nothing is charged now" in page
    assert "renews on its own from" in page and "for <strong>$95.00</strong>" in page
    digest = page.split('name="digest" value="')[1].split('"')[0]
    token = response.redirect_chain[-1][0].split("/checkout/")[1].split("/")[0]
    confirmed = client.post(
        f"/app/northwind/checkout/{token}/confirm/",
        {"tier": "team", "seats": "5", "cycle": "monthly", "renew": "on", "digest": digest},
    )
    assert confirmed.status_code == 302
    team.refresh_from_db()
    assert team.auto_renew
    assert not team.subscription.periods.filter(starts_on__gt=date(2026, 3, 31)).exists()
    page = client.get(DASHBOARD).content.decode()
    assert "Your next renewal" in page


def test_renew_on_a_license_that_renews_already_changes_nothing(client_for, owner, team):
    page = client_for(owner).get("/app/northwind/checkout/?tier=team&renew=on", follow=True)
    assert 'name="renew"' not in page.content.decode()


def test_renew_after_the_license_ended_says_it_is_a_new_purchase(
    client_for, owner, team, settings, test_clock
):
    # The reminder's Renew link, followed once the license has expired: a new purchase at
    # today's price, of the plan the link carried, said plainly.
    settings.RENEWAL_GRACE_DAYS = 7
    license_set_auto_renew(license=team, auto_renew=False, actor=SYSTEM, reason="By hand.")
    clock.advance(to=date(2026, 4, 8), by="test")
    team.refresh_from_db()
    assert team.status == "expired"
    response = client_for(owner).get(f"/app/northwind/checkout/?{RENEW_QUERY}", follow=True)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Your license has ended: this is a new purchase." in page
    assert "at today&#x27;s price" in page or "at today's price" in page
    assert "confirming turns automatic renewal back on" not in page
    # The plan the reminder promised: Team, 5 seats, monthly, USD.
    assert 'value="5"' in page
    assert "$95.00" in page


def test_renew_while_the_license_is_open_says_nothing_of_a_new_purchase(client_for, owner, team):
    license_set_auto_renew(license=team, auto_renew=False, actor=SYSTEM, reason="By hand.")
    page = client_for(owner).get(f"/app/northwind/checkout/?{RENEW_QUERY}", follow=True)
    assert "this is a new purchase" not in page.content.decode()


def hold_credit(organization, amount: Money) -> None:
    """`amount` of credit, from a one-off invoice paid that much beyond what it asked."""
    invoice = finalized_invoice(organization)
    payment_record(
        invoice=invoice,
        amount=invoice.money("amount_due") + amount,
        received_on=date(2026, 3, 14),
        reference="TRF-OVER",
        actor=None,
        reason="Paid too much.",
    )


def widget_license(organization, term_start: date, term_end: date):
    """A monthly license of another product ($29.00 a month, one seat), subscribed."""
    product = ProductFactory(name="Widget", slug="widget")
    tier = TierFactory(product=product, slug="widget-basic")
    keys = FeatureFactory(product=product, key="widget-keys", name="Widget keys")
    widget = LicenseFactory(
        organization=organization,
        version=build_published(tier, features=[keys], monthly="29.00"),
        seats=1,
        term_start=term_start,
        term_end=term_end,
    )
    subscription_create(
        license=widget, currency="USD", cycle="monthly", actor=SYSTEM, reason="Bought."
    )
    return widget


def figures(html: str, label: str) -> list[str]:
    """The amounts the rows labelled `label` show (a <dt> and its <dd>, or an invoice's
    totals row: a <th> and its cell), the first figure of each, in order."""
    return re.findall(rf">{label}</(?:dt|th)>\s*<(?:dd|td)[^>]*>(?:<strong>)?([^<\s]+\d)", html)


def figure(html: str, label: str) -> str:
    found = figures(html, label)
    assert found, f"no {label!r} in the page"
    return found[0]


def renewal_list(page: str, license) -> str:
    """The renewal panel's list of dates and amounts."""
    start = page.index(f'id="renewal-{license.pk}"')
    return page[start : page.index("</dl>", start)]


@pytest.mark.parametrize(
    "credit",
    [
        pytest.param("33.37", id="credit-pays-part"),
        pytest.param("150.00", id="credit-pays-it-all"),
    ],
)
def test_with_credit_the_panel_tells_what_the_renewal_invoice_then_asks(
    client_for, owner, organization, team, credit
):
    """Team, 5 seats, monthly ($95.00) at 20 % tax: $114.00, of which the credit pays
    $33.37 (the rest due) or all of it (nothing due, $36.00 left); to the cent what the
    renewal's invoice applies and asks on 1 April."""
    BillingDetails.objects.create(
        organization=organization,
        tax_rate_override=Decimal("20"),
        tax_override_reason="A rate staff set, with its reason",
    )
    hold_credit(organization, Money(Decimal(credit), "USD"))
    client = client_for(owner)
    panel = renewal_list(client.get(DASHBOARD).content.decode(), team)
    told = (
        figure(panel, "Will bill"),
        figure(panel, "Paid from credit balance"),
        figure(panel, "Amount due"),
    )

    result = subscription_renew(
        subscription=team.subscription,
        today=date(2026, 4, 1),
        at=datetime(2026, 4, 1, 0, 2, tzinfo=UTC),
    )

    assert result.outcome == Outcome.RENEWED
    invoice = result.invoice
    assert not invoice.money("credit_applied").is_zero
    assert told == (
        invoice.money("total").format(),
        (-invoice.money("credit_applied")).format(),
        invoice.money("amount_due").format(),
    )
    # As the invoice's own page shows them.
    shown = client.get(
        reverse("invoice_detail", args=[organization.slug, invoice.number])
    ).content.decode()
    assert told[1:] == (
        figure(shown, "Paid from credit balance"),
        figure(shown, "Amount due"),
    )


def test_without_credit_the_panel_tells_the_total_only(client_for, owner, team):
    page = client_for(owner).get(DASHBOARD).content.decode()
    assert f"<strong>{next_renewal(team.subscription).total.format()}</strong>" in page
    assert "Paid from credit balance" not in page and "Amount due" not in page


def test_a_member_reads_no_credit(client_for, teammate, organization, team):
    hold_credit(organization, Money(Decimal("33.37"), "USD"))
    page = panel_of(client_for(teammate).get(DASHBOARD).content.decode(), team)
    assert "Paid from credit balance" not in page and "$" not in page


def test_with_credit_a_term_invoiced_per_year_tells_each_invoice_what_it_asks(
    client_for, owner, organization, catalog, now
):
    """A three-year term invoiced each year, its first year billed, with credit for two
    and a half years: the next year's invoice (1 March 2027) is paid by credit, the third
    year's (not on the panel) too, and the renewal on 1 March 2029 gets the half year
    left, as each invoice then applies it."""
    license = issue(
        organization, catalog, seats=5, term_start=date(2026, 3, 1), term_end=date(2029, 2, 28)
    ).license
    subscription = subscription_create(
        license=license,
        currency="USD",
        cycle="annual",
        term_cycles=3,
        actor=SYSTEM,
        reason="A three-year deal, invoiced each year.",
    )
    Subscription.objects.filter(pk=subscription.pk).update(billing=Billing.PER_CYCLE)
    subscription_period_add(
        subscription=subscription,
        span=Span(date(2026, 3, 1), date(2027, 2, 28)),
        reason=PeriodReason.PURCHASE,
        amount=subscription.cycle_price.rounded(),
    )
    subscription = Subscription.objects.select_related("license__organization").get(
        pk=subscription.pk
    )
    year = next_cycle(subscription).total
    hold_credit(organization, (year * Decimal("2.5")).rounded())
    client = client_for(owner)
    panel = renewal_list(client.get(DASHBOARD).content.decode(), license)
    applied, due = figures(panel, "Paid from credit balance"), figures(panel, "Amount due")

    invoices = [
        subscription_bill_next_cycle(
            subscription=subscription, today=day, at=datetime.combine(day, time(0, 2), UTC)
        ).invoice
        for day in (date(2027, 3, 1), date(2028, 3, 1))
    ]
    subscription.license.refresh_from_db()
    renewed = subscription_renew(
        subscription=subscription,
        today=date(2029, 3, 1),
        at=datetime(2029, 3, 1, 0, 2, tzinfo=UTC),
    )
    invoices.append(renewed.invoice)

    assert [invoice.money("credit_applied") for invoice in invoices] == [
        year,
        year,
        (year * Decimal("0.5")).rounded(),
    ]
    # The panel told the next year's invoice and the renewal's (the third year's is not
    # on it): to the cent what those invoices applied and asked.
    told = [invoices[0], invoices[2]]
    assert applied == [(-invoice.money("credit_applied")).format() for invoice in told]
    assert due == [invoice.money("amount_due").format() for invoice in told]


def test_with_credit_two_renewals_share_it_in_the_order_they_are_invoiced(
    client_for, owner, organization, catalog, now
):
    """$100.00 of credit, two licenses (no tax): the Team one renewing on 1 April
    ($95.00) takes $95.00 of it; the one of another product, renewing on 30 April
    ($29.00), before Team renews again, what is left."""
    widget = widget_license(organization, date(2026, 3, 2), date(2026, 4, 29))
    team = subscribed(organization, catalog)
    hold_credit(organization, Money(Decimal("100.00"), "USD"))
    page = client_for(owner).get(DASHBOARD).content.decode()
    told = {
        license.pk: (
            figure(renewal_list(page, license), "Paid from credit balance"),
            figure(renewal_list(page, license), "Amount due"),
        )
        for license in (team, widget)
    }

    invoices = {}
    for license, day in ((team, date(2026, 4, 1)), (widget, date(2026, 4, 30))):
        license.refresh_from_db()
        result = subscription_renew(
            subscription=license.subscription,
            today=day,
            at=datetime.combine(day, time(0, 2), UTC),
        )
        invoices[license.pk] = result.invoice

    assert told == {
        pk: ((-invoice.money("credit_applied")).format(), invoice.money("amount_due").format())
        for pk, invoice in invoices.items()
    }
    assert [invoice.money("credit_applied") for invoice in invoices.values()] == [
        Money(Decimal("95.00"), "USD"),
        Money(Decimal("5.00"), "USD"),
    ]
    assert invoices[widget.pk].money("amount_due") == Money(Decimal("24.00"), "USD")


def test_credit_is_not_told_for_a_renewal_that_other_renewals_reach_first(
    client_for, owner, organization, catalog, now
):
    """$200 of credit; Team renews monthly ($95: 1 April, 1 May), Widget on 1 June ($29).
    By Widget's renewal Team has renewed twice, which Team's panel does not tell, so
    Widget is told how credit goes, not a figure that could not be exact (it said $29.00
    paid from credit, $0.00 due; the invoice took $10.00 and asked $19.00). Team's next
    renewal is told exactly, as its invoice then shows."""
    widget = widget_license(organization, date(2026, 3, 1), date(2026, 5, 31))
    team = subscribed(organization, catalog)
    hold_credit(organization, Money(Decimal("200.00"), "USD"))

    page = client_for(owner).get(DASHBOARD).content.decode()

    widget_panel = renewal_list(page, widget)
    assert "Pays your invoices in the order they are issued" in widget_panel
    assert not figures(widget_panel, "Amount due")
    team_told = (
        figure(renewal_list(page, team), "Paid from credit balance"),
        figure(renewal_list(page, team), "Amount due"),
    )
    team.refresh_from_db()
    day = date(2026, 4, 1)
    invoice = subscription_renew(
        subscription=team.subscription, today=day, at=datetime.combine(day, time(0, 2), UTC)
    ).invoice
    assert team_told == (
        (-invoice.money("credit_applied")).format(),
        invoice.money("amount_due").format(),
    )


def test_in_its_grace_renewing_by_hand_says_it_bills_at_once_not_on_a_past_day(
    client_for, owner, team, settings, test_clock
):
    settings.RENEWAL_GRACE_DAYS = 7
    license_set_auto_renew(license=team, auto_renew=False, actor=SYSTEM, reason="By hand.")
    before = client_for(owner).get(DASHBOARD).content.decode()
    assert "Renewing would bill" in before and "on 1 April 2026" in before

    clock.advance(to=date(2026, 4, 3), by="test")  # its term ended on 31 March
    page = client_for(owner).get(DASHBOARD).content.decode()

    assert "Renewing would bill" not in page
    assert (
        'Renewing now would bill</dt><dd><strong>$95.00</strong> at once, for the term from '
        '<time datetime="2026-04-01">1 April 2026</time>'
    ) in page
