"""Demo subscriptions, after the demo licenses: every demo license pays something
believable, in the currency and cycle a customer of its size would pick.

- Northwind Analytics: Team, monthly in USD, 12 seats; its term is this calendar month.
- Acme Robotics: Team v1 (legacy), yearly in EUR, at the price it locked in 2025.
- Globex Health: Business, yearly in GBP, 30 seats.

Idempotent: a license that already has a subscription keeps it.
"""

from __future__ import annotations

from billing.checkout.quote import term_end_for
from billing.models import Subscription
from billing.pricing import CYCLE_PHRASE, BillingCycle
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
            subscription = subscription_create(
                license=license,
                currency=currency,
                cycle=cycle,
                actor=DEMO,
                reason="Demo data.",
                # The price was locked when the license was bought.
                at=license.created_at,
            )
            if cycle == BillingCycle.MONTHLY:
                # A monthly subscription's term is this calendar month.
                today = clock.today()
                license_start_term(
                    license=license,
                    term_start=today.replace(day=1),
                    term_end=term_end_for(today.replace(day=1), cycle=cycle),
                    actor=DEMO,
                    reason="Demo data: monthly terms.",
                )
        lines.append(
            f"{license.organization.name}: {subscription.seat_price.describe()}; "
            f"{license.seats} seats, {subscription.cycle_price} {CYCLE_PHRASE[subscription.cycle]}"
        )
    return lines
