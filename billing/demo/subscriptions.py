"""Demo subscriptions, after the demo licenses: every demo license pays something
believable, in the currency and cycle a customer of its size would pick.

- Northwind Analytics: Team, monthly in USD, 12 seats; its term is this calendar month.
- Each term is exactly one cycle (the demo licenses are issued for 366 days), and the
  billing anchor is the first period the demo invoices bill.
- Acme Robotics: Team v1 (legacy), yearly in EUR, at the price it locked in 2025.
- Globex Health: Business, yearly in GBP, 30 seats.
- Vandelay Industries: Team, yearly in USD, 14 seats, all in use (then Business: it accepts
  a proposal).

Idempotent: a license that already has a subscription keeps it.
"""

from __future__ import annotations

from datetime import date

from billing.models import Subscription
from billing.pricing import CYCLE_PHRASE, BillingCycle
from billing.subscriptions.periods import add_months, months_per_cycle, term_end_for
from billing.subscriptions.services import subscription_create
from licensing.licenses.services import Actor, license_start_term
from licensing.models import License
from portal import clock

DEMO = Actor(label="demo data")

# organization slug → (currency, cycle); any other license pays yearly in USD.
PAYS = {
    "northwind-analytics": ("USD", BillingCycle.MONTHLY),
    "acme-robotics": ("EUR", BillingCycle.ANNUAL),
    "globex-health": ("GBP", BillingCycle.ANNUAL),
}
DEFAULT_PAYS = ("USD", BillingCycle.ANNUAL)


def build_subscriptions() -> list[str]:
    """One line per demo subscription."""
    lines = []
    licenses = License.objects.select_related("organization", "version__tier").order_by("pk")
    for license in licenses:
        subscription = Subscription.objects.filter(license=license).first()
        if subscription is None:
            currency, cycle = PAYS.get(license.organization.slug, DEFAULT_PAYS)
            anchor = _start_term(license, cycle)
            subscription = subscription_create(
                license=license,
                currency=currency,
                cycle=cycle,
                actor=DEMO,
                reason="Demo data.",
                billing_anchor=anchor,
                # The price was locked when the license was bought.
                at=license.created_at,
            )
        lines.append(
            f"{license.organization.name}: {subscription.seat_price.describe()}; "
            f"{license.seats} seats, {subscription.cycle_price} {CYCLE_PHRASE[subscription.cycle]}"
        )
    return lines


def _start_term(license: License, cycle: str) -> date:
    """Give the license a term of exactly one cycle and return the billing anchor: the
    demo customers have paid for the two months (a year) before this term too (billing's
    demo invoices bill each of those periods)."""
    if cycle == BillingCycle.MONTHLY:
        # A monthly subscription's term is this calendar month.
        start = clock.today().replace(day=1)
        earlier = 2
    else:
        start = license.term_start
        earlier = 1
    end = term_end_for(start, cycle=cycle)
    if (license.term_start, license.term_end) != (start, end):
        license_start_term(
            license=license,
            term_start=start,
            term_end=end,
            actor=DEMO,
            reason="Demo data: a term of one billing cycle.",
        )
    return add_months(start, -earlier * months_per_cycle(cycle))
