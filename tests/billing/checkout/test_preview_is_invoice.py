"""What the customer previews is what the confirmation invoices, to the cent: a hypothesis
property through the services, over the demo catalog's flat and per-seat prices, random
tiers, seats, cycles and currencies, a random term and day of change, a random tax rate
and credit balance, and purchases as well as changes."""

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
import time_machine
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from billing.checkout.quote import QuoteRefused, term_end_for
from billing.checkout.services import checkout_confirm
from billing.invoices import services as invoices
from billing.invoices.kinds import LineKind
from billing.invoices.selectors import credit_balance
from billing.models import CheckoutStatus
from billing.money import Money
from licensing.licenses.services import Actor
from portal.models import Role
from tests.factories import MembershipFactory, OrganizationFactory
from tests.helpers.checkout import preview, subscribed
from tests.helpers.invoices import morning_of

# The demo catalog's tiers with the seats each may have: Starter is flat (at most 3),
# Team, Business and Enterprise are per seat from 3, 10 and 25 seats.
SEATS = {"starter": (1, 3), "team": (3, 15), "business": (10, 50), "enterprise": (25, 80)}
CYCLES = ("monthly", "annual")


@st.composite
def plans(draw):
    tier = draw(st.sampled_from(sorted(SEATS)))
    return tier, draw(st.integers(*SEATS[tier])), draw(st.sampled_from(CYCLES))


@st.composite
def situations(draw):
    """(the license's plan or None for a purchase, its term start, the day of the change,
    the target, currency, tax rate, credit balance)."""
    current = draw(st.none() | plans())
    currency = draw(st.sampled_from(["USD", "EUR", "GBP"]))
    term_start = draw(st.dates(datetime(2025, 1, 1).date(), datetime(2027, 12, 31).date()))
    cycle = current[2] if current else "monthly"
    term_end = term_end_for(term_start, cycle=cycle)
    today = term_start + timedelta(days=draw(st.integers(0, (term_end - term_start).days)))
    tier, seats, target_cycle = draw(plans())
    target = {
        "tier": tier,
        "seats": seats,
        "cycle": target_cycle,
        "currency": currency,
        "auto_renew": draw(st.booleans()) if current else True,
    }
    tax_rate = Decimal(draw(st.integers(0, 2500))).scaleb(-2)
    credit = Decimal(draw(st.integers(0, 300_000))).scaleb(-2)
    return current, term_start, today, target, currency, tax_rate, credit


def give_credit(organization, amount: Decimal, currency: str, today) -> None:
    """Credit balance the way customers get it: an invoice whose total is negative."""
    if not amount:
        return
    draft = invoices.invoice_create_draft(organization=organization, currency=currency)
    invoices.invoice_add_line(
        invoice=draft,
        kind=LineKind.DISCOUNT,
        description="Goodwill",
        unit_price=Money(-amount, currency),
    )
    invoices.invoice_finalize(invoice=draft, at=morning_of(today))


def invoice_figures(invoice) -> tuple:
    lines = [
        (
            line.description,
            line.quantity,
            Money(line.unit_price, invoice.currency),
            Money(line.amount, invoice.currency),
            line.period_start,
            line.period_end,
        )
        for line in invoice.lines.all()
    ]
    totals = [
        invoice.money(field)
        for field in ("subtotal", "tax", "total", "credit_applied", "amount_due")
    ]
    return lines, totals


def quote_figures(quote) -> tuple:
    lines = [
        (
            line.description,
            line.quantity,
            line.unit_price,
            line.amount,
            line.period_start,
            line.period_end,
        )
        for line in quote.lines
    ]
    totals = [quote.subtotal, quote.tax, quote.total, quote.credit_applied, quote.amount_due]
    return lines, totals


@pytest.mark.django_db
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(situation=situations())
def test_property_the_confirmed_invoice_is_the_preview_to_the_cent(catalog, situation):
    current, term_start, today, target, currency, tax_rate, credit = situation
    moment = datetime.combine(today, time(9, 30), tzinfo=UTC)
    # A fresh organization for each example: the catalog is shared, nothing else is.
    organization = OrganizationFactory()
    owner = MembershipFactory(organization=organization, role=Role.OWNER).user
    with time_machine.travel(moment, tick=False):
        give_credit(organization, credit, currency, today)
        details = invoices.billing_details_for(organization=organization)
        details.tax_rate_override = tax_rate
        details.tax_override_reason = "The rate of this example"
        details.save()
        license = None
        if current is not None:
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
        try:
            shown = preview(organization, license, owner, **target)
        except QuoteRefused:
            assume(False)
        quote = shown.quote
        checkout = checkout_confirm(
            checkout=shown.checkout,
            target=shown.target,
            digest=shown.digest,
            actor=Actor.of(owner, "owner"),
        )

    assert checkout.status == CheckoutStatus.CONFIRMED
    if not quote.lines:
        assert checkout.invoice is None
        return
    invoice = checkout.invoice
    assert invoice_figures(invoice) == quote_figures(quote)
    assert invoice.tax_rate == quote.tax_rate
    assert invoice.issued_on == today
    # The credit the preview said it would spend is the credit spent, and a negative
    # total becomes credit.
    granted = -quote.total if quote.total.amount < 0 else Money.zero(currency)
    assert credit_balance(organization=organization, currency=currency) == (
        Money(credit, currency) - quote.credit_applied + granted
    )
