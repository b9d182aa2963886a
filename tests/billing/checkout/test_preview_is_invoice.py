"""What the customer previews is what the confirmation invoices, to the cent: a hypothesis
property through the services, over the demo catalog's flat and per-seat prices, random
tiers, seats, cycles and currencies, a random term and day of change, a random tax rate
and credit balance, and purchases as well as changes (the harness: tests/helpers/previews)."""

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from hypothesis import assume, given
from hypothesis import strategies as st

from billing.checkout.quote import QuoteRefused, term_end_for
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
