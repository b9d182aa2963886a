"""What a customer previews when converting a trial is what the confirmation invoices, to
the cent (as tests/billing/checkout/test_preview_is_invoice.py proves for every change,
with the same harness, tests/helpers/previews): a hypothesis property over both kinds of
conversion, a paying customer's upgrade to the tier it is trying (random plan below it,
term, day of conversion, seats, cycle) and a purchase on a trial license (random tier,
seats, cycle), in random currencies with a random tax rate and credit balance; each
confirmation converts its trial."""

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from hypothesis import assume, given
from hypothesis import strategies as st

from billing.checkout.quote import QuoteRefused, term_end_for
from licensing.models import License, Tier, TrialStatus
from licensing.trials.services import trial_start
from tests.helpers.checkout import preview, subscribed
from tests.helpers.licenses import SYSTEM
from tests.helpers.previews import (
    DAYS,
    PROPERTY,
    assert_invoiced_as_previewed,
    confirm_shown,
    customer,
    plans,
    wallets,
)
from tests.helpers.trials import running_trial

# The demo catalog's trials (Team, Business) and the tiers below each, in order.
BELOW = {"team": ("starter",), "business": ("starter", "team")}


@st.composite
def paying(draw):
    """(trial tier, the plan paid for under it, its term start, day of conversion, the
    target plan): an upgrade to the trial tier."""
    trial_tier = draw(st.sampled_from(sorted(BELOW)))
    current = draw(plans(BELOW[trial_tier]))
    term_start = draw(DAYS)
    term_end = term_end_for(term_start, cycle=current[2])
    today = term_start + timedelta(days=draw(st.integers(0, (term_end - term_start).days)))
    target = draw(plans((trial_tier,)))
    return trial_tier, current, term_start, today, target


@st.composite
def trial_licenses(draw):
    """(trial tier, day of conversion, the target plan, any tier): a purchase on the
    trial license."""
    return draw(st.sampled_from(sorted(BELOW))), draw(DAYS), draw(plans())


@st.composite
def situations(draw):
    kind = draw(st.sampled_from(["paying", "trial_license"]))
    drawn = draw(paying() if kind == "paying" else trial_licenses())
    days_in = draw(st.integers(0, 13))  # how long the 14-day trial has run
    return kind, drawn, days_in, draw(wallets())


def _trial_license(organization, trial_tier, days_in, now):
    """A trial license as licensing.trials starts one, `days_in` days ago."""
    trial = trial_start(
        organization=organization,
        tier=Tier.objects.get(slug=trial_tier),
        actor=SYSTEM,
        at=now - timedelta(days=days_in),
    ).trial
    return License.objects.get(pk=trial.license_id), trial


@pytest.mark.django_db
@PROPERTY
@given(situation=situations())
def test_property_a_conversion_invoices_its_preview_to_the_cent(catalog, situation):
    kind, drawn, days_in, wallet = situation
    today = drawn[3] if kind == "paying" else drawn[1]
    moment = datetime.combine(today, time(9, 30), tzinfo=UTC)
    with time_machine.travel(moment, tick=False):
        organization, owner = customer(wallet, today)
        if kind == "paying":
            trial_tier, (tier, seats, cycle), term_start, _, target = drawn
            license = subscribed(
                organization,
                catalog,
                tier,
                seats=seats,
                cycle=cycle,
                currency=wallet.currency,
                term_start=term_start,
                term_end=term_end_for(term_start, cycle=cycle),
            )
            trial = running_trial(license, trial_tier, starts_at=moment - timedelta(days=days_in))
            asked = {}
        else:
            trial_tier, _, target = drawn
            license, trial = _trial_license(organization, trial_tier, days_in, moment)
            asked = {"currency": wallet.currency}
        tier, seats, cycle = target
        try:
            shown = preview(
                organization, license, owner, tier=tier, seats=seats, cycle=cycle, **asked
            )
        except QuoteRefused:
            assume(False)
        assert shown.trial == trial
        checkout = confirm_shown(shown, owner)

    trial.refresh_from_db()
    assert trial.status == TrialStatus.CONVERTED and trial.ended_at == moment
    assert shown.quote.lines  # a conversion always charges something now
    # Nothing billed before the day of conversion: the trial days were free.
    assert all(line.period_start >= today for line in checkout.invoice.lines.all())
    assert_invoiced_as_previewed(checkout, shown.quote, wallet, today)
