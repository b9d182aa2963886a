"""The checkout's "Afterwards each term renews on its own from … for $X" is what the
renewal then bills (billing.renewals.selectors.next_renewal on the license as the
confirmation left it): a retired version whose price lock ends moves to its successor,
a negotiated discount still held stays off, a term of several cycles moved to monthly
renews one month. It said the plan's price at the current version, whatever the
renewal's rule. "Now" is 14 March 2026."""

from datetime import date
from decimal import Decimal

import pytest

from billing.models import Subscription
from billing.renewals.selectors import next_renewal
from billing.subscriptions.services import agreed_discount_ends_on, subscription_set_terms
from tests.helpers.checkout import confirm, preview, subscribed
from tests.helpers.licenses import SYSTEM

pytestmark = pytest.mark.django_db


def _renewal(license):
    license.refresh_from_db()
    return next_renewal(Subscription.objects.get(license=license))


def _retired_team(organization, catalog):
    """Team v1 (retired, flat $790 a year, its lock ending with this term on 30 June);
    its successor Team v2 costs $190 a seat."""
    return subscribed(
        organization,
        catalog,
        "team",
        number=1,
        seats=5,
        cycle="annual",
        term_start=date(2025, 7, 1),
        term_end=date(2026, 6, 30),
    )


def _with_an_agreed_discount(organization, catalog, *, seats: int, percent: int):
    """Team, monthly, for March 2026, with an accepted proposal's discount for a year."""
    license = subscribed(organization, catalog, "team", seats=seats)
    subscription_set_terms(
        subscription=license.subscription,
        term_cycles=1,
        billing="upfront",
        discount_percent=Decimal(percent),
        discount_reason="A year's commitment",
        discount_ends_on=agreed_discount_ends_on(date(2026, 3, 1), cycle="monthly", term_cycles=12),
        actor=SYSTEM,
        reason="Proposal accepted.",
    )
    license.refresh_from_db()
    return license


def test_the_renewal_after_a_change_follows_the_successor(organization, catalog, owner, now):
    license = _retired_team(organization, catalog)
    assert _renewal(license).moves_to_successor

    shown, _ = confirm(
        organization, license, owner, tier="team", seats=6, cycle="annual", auto_renew=True
    )

    renewal = _renewal(license)
    assert shown.quote.renews_on == renewal.renews_on == date(2026, 7, 1)
    assert shown.quote.renewal == renewal.subtotal
    assert shown.quote.renewal.format() == "$1,140.00"  # 6 seats at Team v2's $190
    assert shown.quote.renewal_tax == renewal.tax
    assert any("the renewal moves to Team v2 at its price, $1,140.00" in n for n in shown.notes)


def test_the_checkout_page_states_the_successors_price_for_the_renewal(
    client_for, organization, catalog, owner, now
):
    _retired_team(organization, catalog)
    client = client_for(owner)
    start = client.get(f"/app/{organization.slug}/checkout/", {"tier": "team"})
    url = start["Location"].split("?")[0]
    page = client.get(url, {"tier": "team", "seats": 6, "cycle": "annual", "submitted": 1})
    html = page.content.decode()
    sentence = html[html.index("renews on its own from") :].split("</p>")[0]
    assert "<strong>$1,140.00</strong>" in sentence
    assert "at $790.00" not in sentence  # not the retired version's price per seat


def test_the_renewal_after_a_change_keeps_a_held_discount(organization, catalog, owner, now):
    license = _with_an_agreed_discount(organization, catalog, seats=5, percent=20)

    shown, _ = confirm(
        organization, license, owner, tier="team", seats=8, cycle="monthly", auto_renew=True
    )

    renewal = _renewal(license)
    assert renewal.renews_on == shown.quote.renews_on == date(2026, 4, 1)
    assert shown.quote.renewal == renewal.subtotal
    assert renewal.subtotal < renewal.plan.price.for_seats(8).rounded()  # 20 % off still


@pytest.mark.parametrize(
    "target",
    [
        {"tier": "team", "seats": 8, "cycle": "monthly"},  # more seats now
        {"tier": "business", "seats": 10, "cycle": "monthly"},  # upgrade now
        {"tier": "team", "seats": 3, "cycle": "monthly"},  # fewer seats at the term's end
        {"tier": "starter", "seats": 3, "cycle": "monthly"},  # downgrade at the term's end
        {"tier": "team", "seats": 5, "cycle": "annual"},  # a new cycle: a new term now
    ],
)
def test_what_the_checkout_says_of_the_renewal_is_what_it_bills(
    organization, catalog, owner, now, target
):
    license = subscribed(organization, catalog, "team", seats=5)
    shown = preview(organization, license, owner, auto_renew=True, **target)
    assert shown.quote.renews_on is not None
    confirm(organization, license, owner, auto_renew=True, **target)

    renewal = _renewal(license)
    assert (renewal.renews_on, renewal.subtotal, renewal.tax) == (
        shown.quote.renews_on,
        shown.quote.renewal,
        shown.quote.renewal_tax,
    )


def test_fewer_seats_at_the_terms_end_keep_a_held_discount(organization, catalog, owner, now):
    """A change the customer schedules inside an agreed year keeps the agreed discount
    at the renewal that applies it (it dropped it for that one month, and the renewals
    after took it again)."""
    license = _with_an_agreed_discount(organization, catalog, seats=8, percent=15)

    shown, _ = confirm(
        organization, license, owner, tier="team", seats=6, cycle="monthly", auto_renew=True
    )

    assert shown.quote.later is not None  # fewer seats wait for the term's end
    renewal = _renewal(license)
    assert renewal.change is not None
    assert renewal.subtotal == shown.quote.renewal
    assert renewal.subtotal < renewal.plan.price.for_seats(6).rounded()  # 15 % off still


def test_with_renewal_off_what_it_would_renew_for_is_the_renewals_figure(
    organization, catalog, owner, now
):
    """Canceled, on a retired version whose lock ends with the term: "It would renew for"
    is what resuming would bill (the successor's price), as the dashboard says."""
    from billing.subscriptions.cancellation import subscription_cancel
    from licensing.licenses.services import Actor

    license = _retired_team(organization, catalog)
    subscription_cancel(subscription=license.subscription, actor=Actor.of(owner, "owner"))
    license.refresh_from_db()

    shown = preview(
        organization, license, owner, tier="team", seats=6, cycle="annual", auto_renew=False
    )

    assert shown.quote.renews_on is None
    license.refresh_from_db()
    subscription = Subscription.objects.get(license=license)
    subscription.license.seats = 6  # as confirming would leave it
    assert shown.quote.renewal == next_renewal(subscription).subtotal
    assert shown.quote.renewal.format() == "$1,140.00"
