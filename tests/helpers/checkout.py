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
from billing.models.subscriptions import Billing
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


def subscribed_for_three_years(organization, catalog, *, billing: str, term_start: date):
    """A Team license of 5 seats on a three-year annual USD term from `term_start`,
    invoiced up front or per cycle (`billing`), each billed span recorded as its purchase
    (outside the portal: no invoice here); its subscription, read with its license."""
    from billing.models import Subscription

    ends = [term_start.replace(year=term_start.year + n) - timedelta(days=1) for n in (1, 2, 3)]
    license = issue(
        organization, catalog, "team", seats=5, term_start=term_start, term_end=ends[-1]
    ).license
    subscription = subscription_create(
        license=license,
        currency="USD",
        cycle="annual",
        term_cycles=3,
        actor=SYSTEM,
        reason="A three-year deal.",
    )
    Subscription.objects.filter(pk=subscription.pk).update(billing=billing)
    subscription.refresh_from_db()
    spans = [(term_start, ends[-1])]
    if billing == Billing.PER_CYCLE:
        starts = [term_start, ends[0] + timedelta(days=1), ends[1] + timedelta(days=1)]
        spans = list(zip(starts, ends, strict=True))
    for start, end in spans:
        subscription_period_add(
            subscription=subscription,
            span=Span(start, end),
            reason=PeriodReason.PURCHASE,
            amount=(subscription.cycle_price * (3 if len(spans) == 1 else 1)).rounded(),
        )
    return Subscription.objects.select_related("license__organization").get(pk=subscription.pk)


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
