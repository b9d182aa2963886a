"""What a renewal bills when the plan moves: a change scheduled for the renewal day,
and a grandfathered price kept while its lock holds, then the successor's."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from billing.models import (
    Invoice,
    ScheduledChangeStatus,
    SubscriptionEvent,
    SubscriptionEventKind,
    SubscriptionPeriod,
)
from billing.money import Money
from billing.renewals.services import Outcome, subscription_renew
from licensing.catalog.publishing import tier_version_retire
from portal.models import OutboundEmail
from tests.helpers.checkout import subscribed


def renew(license, day: date):
    license.refresh_from_db()
    return subscription_renew(
        subscription=license.subscription,
        today=day,
        at=datetime(day.year, day.month, day.day, 0, 2, tzinfo=UTC),
    )


def test_a_downgrade_scheduled_for_the_renewal_is_applied_and_billed(downgraded):
    license = downgraded.license
    OutboundEmail.objects.all().delete()

    result = renew(license, date(2026, 4, 1))

    assert result.outcome == Outcome.RENEWED
    downgraded.refresh_from_db()
    assert downgraded.status == ScheduledChangeStatus.APPLIED
    license.refresh_from_db()
    assert (license.version.tier.slug, license.seats, license.auto_renew) == ("team", 8, False)
    invoice = result.invoice
    assert invoice.money("subtotal") == Money(downgraded.price.amount * 8, "USD").rounded()
    period = SubscriptionPeriod.objects.get(starts_on=date(2026, 4, 1))
    assert (period.seats, period.unit_amount) == (8, downgraded.price.amount)
    # One email: the renewal's, which tells of the change (not a plan-changed one too).
    emails = OutboundEmail.objects.all()
    assert len({email.subject for email in emails}) == 1
    assert "renewed" in emails[0].subject
    assert downgraded.summary in emails[0].body_text
    # The ledger: the change, caused by the scheduled change, then the new term.
    events = SubscriptionEvent.objects.filter(subscription=license.subscription).order_by("pk")
    assert events.filter(scheduled_change=downgraded).exists()
    assert events.last().kind == SubscriptionEventKind.TERM_STARTED
    # The next term does not renew: auto-renew went off with the change.
    assert renew(license, date(2026, 5, 1)).outcome == Outcome.SKIPPED


@pytest.fixture
def grandfathered(organization, catalog, owner, now):
    """5 seats on Team v1 (retired, a flat $79 a month) whose notice date is 15 May
    2026; Team v2 is $19 a seat."""
    version = catalog.version("team", 1)
    version.notice_date = date(2026, 5, 15)
    version.save(update_fields=["notice_date"])
    return subscribed(organization, catalog, "team", number=1, seats=5)


def test_a_grandfathered_price_is_kept_while_the_lock_holds_then_moves(grandfathered, catalog):
    license = grandfathered
    assert license.subscription.price_locked_until == date(2026, 5, 15)

    # Renewed at the locked price, a term holds its price to its own end at least.
    for day, locked_until in [
        (date(2026, 4, 1), date(2026, 5, 15)),
        (date(2026, 5, 1), date(2026, 5, 31)),
    ]:
        result = renew(license, day)
        assert result.invoice.money("subtotal") == Money(Decimal("79.00"), "USD")
        license.refresh_from_db()
        assert license.version == catalog.version("team", 1)
        assert license.subscription.price_locked_until == locked_until

    result = renew(license, date(2026, 6, 1))  # the first renewal on or after 15 May

    license.refresh_from_db()
    assert license.version == catalog.version("team", 2)
    assert result.invoice.money("subtotal") == Money(Decimal("95.00"), "USD")
    subscription = license.subscription
    assert (subscription.unit_amount, subscription.per_seat) == (Decimal("19.00"), True)
    assert subscription.price_locked_until == date(2026, 6, 30)
    kinds = set(
        SubscriptionEvent.objects.filter(
            subscription=subscription, happened_at__date=date(2026, 6, 1)
        ).values_list("kind", flat=True)
    )
    assert SubscriptionEventKind.TERM_STARTED in kinds
    assert kinds & {SubscriptionEventKind.VERSION_CHANGED, SubscriptionEventKind.UPGRADED}
    assert Invoice.objects.filter(license=license).count() == 3


def test_a_version_retired_after_the_price_was_locked_keeps_it_to_its_notice_date(
    organization, catalog, now
):
    license = subscribed(organization, catalog, "starter", seats=1)
    assert license.subscription.price_locked_until == date(2026, 3, 31)
    tier_version_retire(
        version=license.version,
        successor=catalog.version("team"),
        notice_date=date(2026, 4, 20),
        reason="Starter is discontinued.",
    )

    renew(license, date(2026, 4, 1))
    license.refresh_from_db()
    assert license.version.tier.slug == "starter"  # the notice date has not come
    assert license.subscription.price_locked_until == date(2026, 4, 30)

    renew(license, date(2026, 5, 1))
    license.refresh_from_db()
    assert license.version.tier.slug == "team"


def test_the_lock_moves_to_the_successor_it_announced_not_to_one_published_since(
    grandfathered, catalog
):
    """Team v1's successor is Team v2, whose price the reminders announced; Team v2 is
    retired since in favour of Business. The renewal after v1's lock moves to v2, at v2's
    price, and only the renewal after that (told in its own reminders) to Business."""
    license = grandfathered
    tier_version_retire(
        version=catalog.version("team", 2),
        successor=catalog.version("business"),
        notice_date=date(2026, 4, 10),
        reason="Team is folded into Business.",
    )
    for day in (date(2026, 4, 1), date(2026, 5, 1)):
        renew(license, day)

    result = renew(license, date(2026, 6, 1))

    license.refresh_from_db()
    assert license.version == catalog.version("team", 2)
    assert result.invoice.money("subtotal") == Money(Decimal("95.00"), "USD")
    assert license.subscription.price_locked_until == date(2026, 6, 30)

    renew(license, date(2026, 7, 1))
    license.refresh_from_db()
    assert license.version.tier.slug == "business"
