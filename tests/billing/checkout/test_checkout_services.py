"""billing.checkout.services: a change previewed is the change confirmed, to the cent."""

from datetime import date
from decimal import Decimal

import pytest

from billing.checkout.quote import QuoteRefused
from billing.checkout.services import (
    ConfirmedOtherwise,
    StalePreview,
    Target,
    checkout_confirm,
    checkout_preview,
)
from billing.models import Checkout, CheckoutStatus, Invoice, ScheduledChange
from billing.money import Money
from licensing.licenses.services import Actor
from tests.helpers.checkout import confirm, preview, subscribed


def usd(amount):
    return Money(Decimal(amount), "USD")


def test_adding_seats_mid_month_prorates_by_day(organization, catalog, owner):
    license = subscribed(organization, catalog, seats=5)  # $19 a seat, March
    shown, checkout = confirm(organization, license, owner, tier="team", seats=8, cycle="monthly")
    # 18 of 31 days left (14-31 March): credit 95 * 18/31, charge 152 * 18/31.
    quote = shown.quote
    assert [line.amount for line in quote.lines] == [usd("-55.16"), usd("88.26")]
    assert quote.amount_due == usd("33.10")
    assert checkout.status == CheckoutStatus.CONFIRMED
    invoice = checkout.invoice
    assert invoice.money("amount_due") == quote.amount_due
    assert [line.amount for line in invoice.lines.all()] == [Decimal("-55.16"), Decimal("88.26")]
    license.refresh_from_db()
    assert license.seats == 8
    assert license.subscription.unit_amount == Decimal("19.00")


def test_upgrade_moves_tier_and_relocks_price(organization, catalog, owner):
    license = subscribed(organization, catalog, seats=12)
    shown, checkout = confirm(
        organization, license, owner, tier="business", seats=12, cycle="monthly"
    )
    license.refresh_from_db()
    assert license.version.tier.slug == "business"
    assert license.subscription.unit_amount == Decimal("39.00")
    assert checkout.invoice.money("total") == shown.quote.total
    assert "audit-log" in checkout.entitlements_after["features"]
    assert "audit-log" not in checkout.entitlements_before["features"]


def test_downgrade_is_scheduled_for_the_end_of_the_term(organization, catalog, owner):
    license = subscribed(organization, catalog, "business", seats=12)
    shown, checkout = confirm(organization, license, owner, tier="team", seats=8, cycle="monthly")
    assert checkout.invoice is None
    change = checkout.scheduled_change
    assert change.effective_on == date(2026, 4, 1)
    assert change.version.tier.slug == "team" and change.seats == 8
    license.refresh_from_db()
    assert license.version.tier.slug == "business" and license.seats == 12
    assert shown.continuity is not None


def test_buy(organization, catalog, owner):
    _, checkout = confirm(
        organization, None, owner, tier="team", seats=8, cycle="annual", currency="EUR"
    )
    license = checkout.license
    assert license.seats == 8 and license.term_start == date(2026, 3, 14)
    assert license.term_end == date(2027, 3, 13)
    assert checkout.invoice.money("total") == Money(Decimal("1440.00"), "EUR")


def test_confirming_twice_changes_once(organization, catalog, owner):
    license = subscribed(organization, catalog, seats=5)
    shown, checkout = confirm(organization, license, owner, tier="team", seats=8, cycle="monthly")
    again = checkout_confirm(
        checkout=checkout, target=shown.target, digest=shown.digest, actor=Actor.of(owner)
    )
    assert again.invoice == checkout.invoice
    assert Invoice.objects.count() == 1


def test_a_confirmed_checkout_refuses_another_preview_of_it(organization, catalog, owner):
    """Two previews on one checkout (two tabs): once one is confirmed, confirming the other
    raises ConfirmedOtherwise and changes nothing; the confirmed one again is as before."""
    license = subscribed(organization, catalog, seats=5)
    shown, checkout = confirm(organization, license, owner, tier="team", seats=8, cycle="monthly")
    other = checkout_preview(
        checkout=Checkout.objects.get(pk=checkout.pk),
        target=Target("team", 10, "monthly"),
    )
    with pytest.raises(ConfirmedOtherwise):
        checkout_confirm(
            checkout=checkout, target=other.target, digest=other.digest, actor=Actor.of(owner)
        )
    license.refresh_from_db()
    assert license.seats == 8 and Invoice.objects.count() == 1
    assert Checkout.objects.get(pk=checkout.pk).confirmed_digest == shown.digest


def test_a_stale_preview_is_refused(organization, catalog, owner):
    license = subscribed(organization, catalog, seats=5)
    shown = preview(organization, license, owner, tier="team", seats=8, cycle="monthly")
    confirm(organization, license, owner, tier="team", seats=6, cycle="monthly")
    with pytest.raises(StalePreview) as refused:
        checkout_confirm(
            checkout=shown.checkout,
            target=shown.target,
            digest=shown.digest,
            actor=Actor.of(owner),
        )
    assert refused.value.preview.quote.current.seats == 6
    assert Invoice.objects.count() == 1


def test_a_preview_is_confirmed_only_on_the_checkout_it_was_shown_on(organization, catalog, owner):
    """The same choices on another checkout (one opened after the first was abandoned)
    are not what that preview showed: refused, nothing written."""
    license = subscribed(organization, catalog, seats=5)
    shown = preview(organization, license, owner, tier="team", seats=8, cycle="monthly")
    other = preview(organization, license, owner, tier="team", seats=8, cycle="monthly")
    assert other.checkout.pk != shown.checkout.pk
    with pytest.raises(StalePreview):
        checkout_confirm(
            checkout=other.checkout,
            target=other.target,
            digest=shown.digest,
            actor=Actor.of(owner),
        )
    assert Invoice.objects.count() == 0
    license.refresh_from_db()
    assert license.seats == 5


def test_too_many_seats_refused(organization, catalog, owner):
    license = subscribed(organization, catalog, seats=5)
    with pytest.raises(QuoteRefused) as refused:
        preview(organization, license, owner, tier="team", seats=16, cycle="monthly")
    assert refused.value.errors == {
        "seats": "Team allows at most 15 seats; choose fewer or a higher tier."
    }
    assert ScheduledChange.objects.count() == 0
