"""What a customer previews when converting a trial is what the confirmation invoices, to
the cent (as tests/billing/checkout/test_preview_is_invoice.py proves for every change):
a hypothesis property over both kinds of conversion, a paying customer's upgrade to the
tier it is trying (random plan below it, term, day of conversion, seats, cycle) and a
purchase on a trial license (random tier, seats, cycle), in random currencies with a
random tax rate and credit balance; each confirmation converts its trial."""

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
import time_machine
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from billing.checkout.quote import QuoteRefused, term_end_for
from billing.checkout.services import checkout_confirm
from billing.invoices import services as invoices
from billing.invoices.selectors import credit_balance
from billing.models import CheckoutStatus
from billing.money import Money
from licensing.licenses.services import Actor
from licensing.models import License, Tier, TrialStatus
from licensing.trials.services import trial_start
from portal.models import Role
from tests.billing.checkout.test_preview_is_invoice import (
    CYCLES,
    SEATS,
    give_credit,
    invoice_figures,
    quote_figures,
)
from tests.factories import MembershipFactory, OrganizationFactory
from tests.helpers.checkout import preview, subscribed
from tests.helpers.licenses import SYSTEM
from tests.helpers.trials import running_trial

# The demo catalog's trials (Team, Business) and the tiers below each, in order.
BELOW = {"team": ["starter"], "business": ["starter", "team"]}


@st.composite
def paying(draw):
    """(trial tier, the plan paid for under it, its term start, day of conversion, the
    target plan): an upgrade to the trial tier."""
    trial_tier = draw(st.sampled_from(sorted(BELOW)))
    tier = draw(st.sampled_from(BELOW[trial_tier]))
    current = (tier, draw(st.integers(*SEATS[tier])), draw(st.sampled_from(CYCLES)))
    term_start = draw(st.dates(datetime(2025, 1, 1).date(), datetime(2027, 12, 31).date()))
    term_end = term_end_for(term_start, cycle=current[2])
    today = term_start + timedelta(days=draw(st.integers(0, (term_end - term_start).days)))
    target = (trial_tier, draw(st.integers(*SEATS[trial_tier])), draw(st.sampled_from(CYCLES)))
    return trial_tier, current, term_start, today, target


@st.composite
def trial_licenses(draw):
    """(trial tier, day of conversion, the target plan, any tier): a purchase on the
    trial license."""
    trial_tier = draw(st.sampled_from(sorted(BELOW)))
    today = draw(st.dates(datetime(2025, 1, 1).date(), datetime(2027, 12, 31).date()))
    tier = draw(st.sampled_from(sorted(SEATS)))
    target = (tier, draw(st.integers(*SEATS[tier])), draw(st.sampled_from(CYCLES)))
    return trial_tier, today, target


@st.composite
def situations(draw):
    kind = draw(st.sampled_from(["paying", "trial_license"]))
    drawn = draw(paying() if kind == "paying" else trial_licenses())
    currency = draw(st.sampled_from(["USD", "EUR", "GBP"]))
    days_in = draw(st.integers(0, 13))  # how long the 14-day trial has run
    tax_rate = Decimal(draw(st.integers(0, 2500))).scaleb(-2)
    credit = Decimal(draw(st.integers(0, 300_000))).scaleb(-2)
    return kind, drawn, currency, days_in, tax_rate, credit


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
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(situation=situations())
def test_property_a_conversion_invoices_its_preview_to_the_cent(catalog, situation):
    kind, drawn, currency, days_in, tax_rate, credit = situation
    today = drawn[3] if kind == "paying" else drawn[1]
    moment = datetime.combine(today, time(9, 30), tzinfo=UTC)
    organization = OrganizationFactory()
    owner = MembershipFactory(organization=organization, role=Role.OWNER).user
    with time_machine.travel(moment, tick=False):
        give_credit(organization, credit, currency, today)
        details = invoices.billing_details_for(organization=organization)
        details.tax_rate_override = tax_rate
        details.tax_override_reason = "The rate of this example"
        details.save()
        if kind == "paying":
            trial_tier, (tier, seats, cycle), term_start, _, target = drawn
            license = subscribed(
                organization,
                catalog,
                tier,
                seats=seats,
                cycle=cycle,
                currency=currency,
                term_start=term_start,
                term_end=term_end_for(term_start, cycle=cycle),
            )
            trial = running_trial(license, trial_tier, starts_at=moment - timedelta(days=days_in))
            asked = {}
        else:
            trial_tier, _, target = drawn
            license, trial = _trial_license(organization, trial_tier, days_in, moment)
            asked = {"currency": currency}
        tier, seats, cycle = target
        try:
            shown = preview(
                organization, license, owner, tier=tier, seats=seats, cycle=cycle, **asked
            )
        except QuoteRefused:
            assume(False)
        quote = shown.quote
        assert shown.trial == trial
        checkout = checkout_confirm(
            checkout=shown.checkout,
            target=shown.target,
            digest=shown.digest,
            actor=Actor.of(owner, "owner"),
        )

    assert checkout.status == CheckoutStatus.CONFIRMED
    trial.refresh_from_db()
    assert trial.status == TrialStatus.CONVERTED and trial.ended_at == moment
    assert quote.lines  # a conversion always charges something now
    invoice = checkout.invoice
    assert invoice_figures(invoice) == quote_figures(quote)
    assert invoice.tax_rate == quote.tax_rate
    assert invoice.issued_on == today
    # Nothing billed before the day of conversion: the trial days were free.
    assert all(line.period_start >= today for line in invoice.lines.all())
    granted = -quote.total if quote.total.amount < 0 else Money.zero(currency)
    assert credit_balance(organization=organization, currency=currency) == (
        Money(credit, currency) - quote.credit_applied + granted
    )
