"""On PostgreSQL, checkout confirmations at the same moment: twenty requests confirming one
checkout (a double click, a retry storm) make one change and one invoice, and two
checkouts of one license previewed side by side cannot both be confirmed: the second sees
that the license changed under it and is refused with a fresh preview."""

import pytest

from billing.checkout.services import StalePreview, checkout_confirm
from billing.models import CheckoutEvent, CheckoutStatus, Invoice, ScheduledChange
from licensing.licenses.services import Actor
from licensing.models import EventKind, LicenseEvent
from tests.helpers.checkout import preview, subscribed
from tests.helpers.concurrency import run_together
from tests.helpers.services import NEEDS_POSTGRESQL

pytestmark = pytest.mark.integration

REQUESTS = 20


@NEEDS_POSTGRESQL
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_confirms_of_one_checkout_make_one_change_and_one_invoice(
    organization, catalog, owner, now
):
    license = subscribed(organization, catalog, seats=5)
    shown = preview(organization, license, owner, tier="team", seats=8, cycle="monthly")
    actor = Actor.of(owner, "owner")

    def confirm():
        return checkout_confirm(
            checkout=shown.checkout, target=shown.target, digest=shown.digest, actor=actor
        )

    outcomes = run_together([confirm] * REQUESTS)

    errors = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    assert errors == []
    invoice = Invoice.objects.get()
    assert {outcome.invoice_id for outcome in outcomes} == {invoice.pk}
    assert {outcome.status for outcome in outcomes} == {CheckoutStatus.CONFIRMED}
    assert invoice.money("amount_due") == shown.quote.amount_due
    license.refresh_from_db()
    assert license.seats == 8
    assert LicenseEvent.objects.filter(license=license, kind=EventKind.SEATS).count() == 1
    steps = list(shown.checkout.events.values_list("step", flat=True))
    assert steps.count(CheckoutEvent.Step.CONFIRMED) == 1
    print(
        f"\n{REQUESTS} concurrent confirms of checkout {shown.checkout.pk}: "
        f"1 seat change, 1 invoice ({invoice.number}), {steps.count('confirmed')} confirmed step"
    )


@NEEDS_POSTGRESQL
@pytest.mark.django_db(transaction=True)
def test_two_checkouts_of_one_license_confirmed_together_one_wins_the_other_is_stale(
    organization, catalog, owner, now
):
    license = subscribed(organization, catalog, seats=5)
    eight = preview(organization, license, owner, tier="team", seats=8, cycle="monthly")
    ten = preview(organization, license, owner, tier="team", seats=10, cycle="monthly")
    actor = Actor.of(owner, "owner")

    def confirming(shown):
        return lambda: checkout_confirm(
            checkout=shown.checkout, target=shown.target, digest=shown.digest, actor=actor
        )

    outcomes = run_together([confirming(eight), confirming(ten)])

    stale = [outcome for outcome in outcomes if isinstance(outcome, StalePreview)]
    confirmed = [outcome for outcome in outcomes if not isinstance(outcome, Exception)]
    assert len(stale) == 1 and len(confirmed) == 1, outcomes
    winner = confirmed[0]
    won, lost = (eight, ten) if winner.pk == eight.checkout.pk else (ten, eight)
    license.refresh_from_db()
    assert license.seats == won.target.seats
    # The refusal carries the figures as they stand now: from the winner's seats.
    assert stale[0].preview.quote.current.seats == won.target.seats
    invoice = Invoice.objects.get()
    assert winner.invoice_id == invoice.pk
    assert LicenseEvent.objects.filter(license=license, kind=EventKind.SEATS).count() == 1
    loser = lost.checkout
    loser.refresh_from_db()
    assert loser.status != CheckoutStatus.CONFIRMED and loser.invoice_id is None
    assert ScheduledChange.objects.count() == 0
    print(
        f"\ntwo checkouts of license {license.pk} confirmed together: checkout {winner.pk} "
        f"confirmed ({license.seats} seats, {invoice.number}), the other refused as stale"
    )
