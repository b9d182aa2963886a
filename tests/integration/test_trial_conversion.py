"""On PostgreSQL, a trial converted twice at the same moment converts once: twenty
requests confirming one conversion (a double submit, a retry storm) queue on the
checkout's one-time token and make one upgrade, one invoice and one TRIAL_CONVERTED entry;
two tabs converting one trial license with different seats queue on the license (and
the trial's row, locked right after it), and the second is refused as stale: one
subscription, one invoice, one conversion. A purchase and the closing job's late revert
of its trial at the same moment do one or the other, never both."""

from datetime import timedelta

import pytest

from billing.checkout.quote import QuoteRefused
from billing.checkout.services import StalePreview, checkout_confirm
from billing.models import CheckoutStatus, Invoice, Subscription, SubscriptionEvent
from licensing.licenses.services import Actor
from licensing.models import EventKind, License, LicenseEvent, LicenseStatus, Tier, TrialStatus
from licensing.trials.services import trial_revert, trial_start
from portal import clock
from tests.helpers.checkout import preview, subscribed
from tests.helpers.concurrency import run_together
from tests.helpers.licenses import SYSTEM
from tests.helpers.services import NEEDS_POSTGRESQL
from tests.helpers.trials import running_trial

pytestmark = pytest.mark.integration

REQUESTS = 20


def converted_events(license) -> int:
    return LicenseEvent.objects.filter(license=license, kind=EventKind.TRIAL_CONVERTED).count()


def confirming(shown, actor):
    return lambda: checkout_confirm(
        checkout=shown.checkout, target=shown.target, digest=shown.digest, actor=actor
    )


@NEEDS_POSTGRESQL
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_confirms_of_one_conversion_convert_once(
    organization, catalog, owner, now
):
    license = subscribed(organization, catalog, seats=12)
    trial = running_trial(license, "business", starts_at=clock.now() - timedelta(days=5))
    shown = preview(organization, license, owner, tier="business", seats=12, cycle="monthly")
    assert shown.trial == trial

    outcomes = run_together([confirming(shown, Actor.of(owner, "owner"))] * REQUESTS)

    assert [outcome for outcome in outcomes if isinstance(outcome, Exception)] == []
    invoice = Invoice.objects.get()
    assert {outcome.invoice_id for outcome in outcomes} == {invoice.pk}
    assert {outcome.status for outcome in outcomes} == {CheckoutStatus.CONFIRMED}
    assert invoice.money("amount_due") == shown.quote.amount_due
    trial.refresh_from_db()
    assert trial.status == TrialStatus.CONVERTED
    assert converted_events(license) == 1
    assert LicenseEvent.objects.filter(license=license, kind=EventKind.VERSION).count() == 1
    assert SubscriptionEvent.objects.filter(checkout=shown.checkout).count() == 1
    print(
        f"\n{REQUESTS} concurrent confirms of conversion {shown.checkout.pk}: 1 upgrade, "
        f"1 invoice ({invoice.number}), 1 trial converted"
    )


@NEEDS_POSTGRESQL
@pytest.mark.django_db(transaction=True)
def test_two_tabs_buying_one_trial_license_buy_it_once(organization, catalog, owner, now):
    trial = trial_start(
        organization=organization,
        tier=Tier.objects.get(slug="business"),
        actor=SYSTEM,
        at=clock.now() - timedelta(days=5),
    ).trial
    license = License.objects.get(pk=trial.license_id)
    ten = preview(
        organization, license, owner, tier="business", seats=10, cycle="monthly", currency="USD"
    )
    twelve = preview(
        organization, license, owner, tier="business", seats=12, cycle="monthly", currency="USD"
    )
    actor = Actor.of(owner, "owner")

    outcomes = run_together([confirming(ten, actor), confirming(twelve, actor)])

    stale = [outcome for outcome in outcomes if isinstance(outcome, StalePreview)]
    confirmed = [outcome for outcome in outcomes if not isinstance(outcome, Exception)]
    assert len(stale) == 1 and len(confirmed) == 1, outcomes
    winner = confirmed[0]
    won = ten if winner.pk == ten.checkout.pk else twelve
    license.refresh_from_db()
    assert license.status == LicenseStatus.ACTIVE and license.seats == won.target.seats
    # The loser's fresh figures are a change of the plan just bought, not a purchase.
    assert not stale[0].preview.buys_trial_license and stale[0].preview.trial is None
    assert Subscription.objects.filter(license=license).count() == 1
    assert Invoice.objects.get().pk == winner.invoice_id
    trial.refresh_from_db()
    assert trial.status == TrialStatus.CONVERTED
    assert converted_events(license) == 1
    print(
        f"\ntwo tabs buying trial license {license.pk}: checkout {winner.pk} bought "
        f"{license.seats} seats, the other refused as stale"
    )


@NEEDS_POSTGRESQL
@pytest.mark.django_db(transaction=True)
def test_a_purchase_and_the_late_revert_of_its_trial_at_once_do_one_or_the_other(
    organization, catalog, owner, now
):
    # The trial ended at midnight and the closing job is late: the customer buys it as
    # the job reverts it. They queue on the license (then the trial's row): either the
    # purchase converts it and the job finds it closed, or the job reverts it (the trial
    # license expires) and the purchase is refused, writing nothing.
    trial = trial_start(
        organization=organization,
        tier=Tier.objects.get(slug="business"),
        actor=SYSTEM,
        at=clock.now() - timedelta(days=14, hours=1),
    ).trial
    assert trial.ends_at <= clock.now()
    license = License.objects.get(pk=trial.license_id)
    shown = preview(
        organization, license, owner, tier="business", seats=10, cycle="monthly", currency="USD"
    )
    assert shown.trial == trial

    bought, reverted = run_together(
        [
            confirming(shown, Actor.of(owner, "owner")),
            lambda: trial_revert(trial=trial, at=clock.now()),
        ]
    )

    trial.refresh_from_db()
    license.refresh_from_db()
    if reverted is True:
        assert isinstance(bought, StalePreview | QuoteRefused), bought
        assert trial.status == TrialStatus.REVERTED
        assert license.status == LicenseStatus.EXPIRED
        assert not Subscription.objects.exists() and not Invoice.objects.exists()
        assert converted_events(license) == 0
    else:
        assert reverted is False and bought.status == CheckoutStatus.CONFIRMED
        assert trial.status == TrialStatus.CONVERTED
        assert license.status == LicenseStatus.ACTIVE
        assert Subscription.objects.filter(license=license).count() == 1
        assert Invoice.objects.get().pk == bought.invoice_id
        assert converted_events(license) == 1
    closed = LicenseEvent.objects.filter(
        license=license, kind__in=[EventKind.TRIAL_CONVERTED, EventKind.TRIAL_REVERTED]
    )
    assert closed.count() == 1
    print(f"\na purchase and a late revert at once: the trial was {trial.status}")
