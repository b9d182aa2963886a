"""Checkouts for tests: a subscribed license of the demo catalog (with its term's
period), and a confirmation
made the way the page makes one (preview, then confirm with the preview's digest)."""

from datetime import date, timedelta

from billing.checkout.services import (
    Target,
    checkout_confirm,
    checkout_preview,
    checkout_start,
)
from billing.models import PeriodReason
from billing.subscriptions.periods import Span
from billing.subscriptions.services import subscription_create, subscription_period_add
from licensing.licenses.services import Actor
from portal import clock
from tests.helpers.licenses import SYSTEM, issue


def subscribed(
    organization,
    catalog,
    tier="team",
    *,
    seats=5,
    cycle="monthly",
    currency="USD",
    term_start=date(2026, 3, 1),
    term_end=date(2026, 3, 31),
    **kwargs,
):
    """A license on `tier` with a subscription in `currency` and `cycle` (by default
    monthly, for March 2026: "now" is 14 March)."""
    license = issue(
        organization, catalog, tier, seats=seats, term_start=term_start, term_end=term_end, **kwargs
    ).license
    subscription = subscription_create(
        license=license, currency=currency, cycle=cycle, actor=SYSTEM, reason="Bought."
    )
    # The term as a purchase billed it (outside the portal: no invoice here).
    subscription_period_add(
        subscription=subscription,
        span=Span(term_start, term_end),
        reason=PeriodReason.PURCHASE,
        amount=(subscription.cycle_price * subscription.term_cycles).rounded(),
    )
    license.refresh_from_db()
    return license


def subscribed_this_month(organization, catalog, tier="team", **kwargs):
    """`subscribed`, for a term under way on the site's date (browser tests run on the
    real clock, where March 2026 is over): from the first of this month, 28 days."""
    first = clock.today().replace(day=1)
    return subscribed(
        organization,
        catalog,
        tier,
        term_start=first,
        term_end=first + timedelta(days=27),
        **kwargs,
    )


def preview(organization, license, user, **target):
    checkout = checkout_start(organization=organization, license=license, user=user)
    return checkout_preview(checkout=checkout, target=Target(**target))


def confirm(organization, license, user, **target):
    shown = preview(organization, license, user, **target)
    checkout = checkout_confirm(
        checkout=shown.checkout,
        target=shown.target,
        digest=shown.digest,
        actor=Actor.of(user, "owner"),
    )
    return shown, checkout
