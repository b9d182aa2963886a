"""The demo: every demo license pays something believable, and running it again adds
nothing."""

from decimal import Decimal

from billing.demo import build_subscriptions
from billing.models import Subscription, SubscriptionEvent
from billing.money import Money
from licensing.demo.catalog import build_catalog
from licensing.demo.licenses import build_licenses
from licensing.models import License
from portal import demo


def test_every_demo_license_gets_a_subscription(db, now):
    demo.build_people()
    build_catalog()
    build_licenses()
    lines = build_subscriptions()
    assert Subscription.objects.count() == License.objects.count() == 4
    northwind = Subscription.objects.get(license__organization__slug="northwind-analytics")
    # Team v2, 12 seats at $19 a seat a month.
    assert northwind.cycle_price == Money(Decimal("228.00"), "USD")
    acme = Subscription.objects.get(license__organization__slug="acme-robotics")
    # Legacy Team v1, flat €730 a year, locked when the license was bought.
    assert not acme.per_seat and acme.cycle_price == Money(Decimal("730.00"), "EUR")
    assert acme.price_locked_on == acme.license.created_at.date()
    globex = Subscription.objects.get(license__organization__slug="globex-health")
    # Business, 30 seats at £310 a seat a year.
    assert globex.cycle_price == Money(Decimal("9300.00"), "GBP")
    assert lines[0] == (
        "Northwind Analytics: $19.00 per seat a month, from 3 seats; 12 seats, $228.00 a month"
    )

    # The ledger: a purchase each at its MRR, caused by the demo data as an operation (each
    # term is set to one cycle before its subscription starts, so it is no change to one).
    kinds = sorted(
        (event.subscription.license.organization.slug, event.kind, event.mrr_after)
        for event in SubscriptionEvent.objects.select_related("subscription__license__organization")
    )
    assert kinds == [
        ("acme-robotics", "purchased", 6083),
        ("globex-health", "purchased", 77500),
        ("northwind-analytics", "purchased", 22800),
        ("vandelay-industries", "purchased", 22167),  # 14 seats at $190 a year
    ]
    assert {event.operation.actor_label for event in SubscriptionEvent.objects.all()} == {
        "demo data"
    }

    build_subscriptions()
    assert Subscription.objects.count() == 4 and SubscriptionEvent.objects.count() == 4
