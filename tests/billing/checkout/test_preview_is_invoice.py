"""What the customer previews is what the confirmation invoices, to the cent: a hypothesis
property through the services, over the demo catalog's flat and per-seat prices, random
tiers, seats, cycles and currencies, a random term and day of change, a random tax rate
and credit balance, and purchases as well as changes (the harness: tests/helpers/previews)."""

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
import time_machine
from hypothesis import assume, given
from hypothesis import strategies as st

from billing.checkout.quote import QuoteRefused, term_end_for
from billing.discounts import negotiated
from billing.invoices.kinds import LineKind
from billing.money import Money
from billing.pricing import SeatPrice
from billing.proposals.acceptance import accept_preview, proposal_accept
from billing.proposals.options import plan_decrease
from billing.proposals.pricing import OptionTerms, price_path
from tests.helpers.checkout import preview, subscribed
from tests.helpers.previews import (
    DAYS,
    PROPERTY,
    assert_invoiced_as_previewed,
    confirm_shown,
    customer,
    plans,
    wallets,
)
from tests.helpers.proposals import sent_version


@st.composite
def situations(draw):
    """(the license's plan or None for a purchase, its term start, the day of the change,
    the target, the customer's money)."""
    current = draw(st.none() | plans())
    wallet = draw(wallets())
    term_start = draw(DAYS)
    cycle = current[2] if current else "monthly"
    term_end = term_end_for(term_start, cycle=cycle)
    today = term_start + timedelta(days=draw(st.integers(0, (term_end - term_start).days)))
    tier, seats, target_cycle = draw(plans())
    target = {
        "tier": tier,
        "seats": seats,
        "cycle": target_cycle,
        "currency": wallet.currency,
        "auto_renew": draw(st.booleans()) if current else True,
    }
    return current, term_start, today, target, wallet


@pytest.mark.django_db
@PROPERTY
@given(situation=situations())
def test_property_the_confirmed_invoice_is_the_preview_to_the_cent(catalog, situation):
    current, term_start, today, target, wallet = situation
    moment = datetime.combine(today, time(9, 30), tzinfo=UTC)
    with time_machine.travel(moment, tick=False):
        organization, owner = customer(wallet, today)
        license = None
        if current is not None:
            tier, seats, cycle = current
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
        try:
            shown = preview(organization, license, owner, **target)
        except QuoteRefused:
            assume(False)
        checkout = confirm_shown(shown, owner)

    if not shown.quote.lines:
        assert checkout.invoice is None
        return
    assert_invoiced_as_previewed(checkout, shown.quote, wallet, today)


@st.composite
def proposal_options(draw):
    """An option of a proposal: a tier, seats and cycle, a term of one to three years
    (annual) or a month, invoiced up front or per year, and a negotiated discount (none,
    or up to 60% in hundredths)."""
    tier, seats, cycle = draw(plans())
    percent = Decimal(draw(st.integers(0, 6000))).scaleb(-2)
    return {
        "tier": tier,
        "seats": seats,
        "cycle": cycle,
        "term_cycles": draw(st.integers(1, 3)) if cycle == "annual" else 1,
        "billing": draw(st.sampled_from(["upfront", "per_cycle"])),
        "discount_percent": percent,
        "discount_reason": "negotiated" if percent else "",
    }


@pytest.mark.django_db
@PROPERTY
@given(situation=situations(), option=proposal_options())
def test_property_an_accepted_proposal_option_invoices_its_preview_to_the_cent(
    catalog, situation, option
):
    """Accepting a proposal's option (billing.proposals.acceptance) confirms a checkout
    bound to it: its term, billing and discount lines are the preview's, to the cent, and
    its term's charges less discounts are the option's first invoice as its price path
    (billing.proposals.pricing) shows it."""
    current, term_start, today, _, wallet = situation
    assume(current is not None)
    currency = wallet.currency
    moment = datetime.combine(today, time(9, 30), tzinfo=UTC)
    with time_machine.travel(moment, tick=False):
        organization, owner = customer(wallet, today)
        tier, seats, cycle = current
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
        # An option lowering the plan (another tier not ranked higher, fewer seats) is no
        # option: the builder refuses it (billing.proposals.options.plan_decrease). Such a
        # draw keeps the license's tier and at least its seats (not an assume(): half the
        # draws would be thrown away and hypothesis would give up on the test).
        decrease = plan_decrease(license, catalog.version(option["tier"]), option["seats"])
        if decrease is not None and decrease[0] == "tier_version":
            option = option | {"tier": tier}
        option = option | {"seats": max(option["seats"], seats)}
        assert plan_decrease(license, catalog.version(option["tier"]), option["seats"]) is None
        version = sent_version(
            license, catalog, [option | {"currency": currency}], valid_until=today + timedelta(30)
        )
        chosen = version.options.get()
        try:
            shown = accept_preview(version=version, option=chosen, user=owner)
        except QuoteRefused:
            assume(False)
        accepted = proposal_accept(version=version, option=chosen, user=owner, digest=shown.digest)

    assert_invoiced_as_previewed(accepted.checkout, shown.quote, wallet, today)
    term = [
        line for line in shown.quote.lines if line.kind in (LineKind.RECURRING, LineKind.DISCOUNT)
    ]
    discounts = [line for line in term if line.kind == LineKind.DISCOUNT]
    assert bool(discounts) == (chosen.discount_percent > 0)
    for line in discounts:
        assert line.description.endswith("(negotiated)")
    row = chosen.price
    path = price_path(
        OptionTerms(
            price=SeatPrice(Money(row.amount, currency), row.cycle, row.per_seat, row.min_seats),
            seats=chosen.seats,
            term_cycles=chosen.term_cycles,
            billing=chosen.billing,
            starts_on=today,
            discounts=negotiated(chosen.discount_percent, chosen.discount_reason),
        )
    )
    assert Money.total((line.amount for line in term), currency) == path.first_invoice
