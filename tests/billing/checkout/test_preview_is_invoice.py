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
from billing.discounts import negotiated
from billing.invoices import services as invoices
from billing.invoices.kinds import LineKind
from billing.invoices.selectors import credit_balance
from billing.models import CheckoutStatus
from billing.money import Money
from billing.pricing import SeatPrice
from billing.proposals.acceptance import accept_preview, proposal_accept
from billing.proposals.pricing import OptionTerms, price_path
from licensing.licenses.services import Actor
from portal.models import Role
from tests.factories import MembershipFactory, OrganizationFactory
from tests.helpers.checkout import preview, subscribed
from tests.helpers.invoices import morning_of
from tests.helpers.proposals import sent_version

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


@st.composite
def proposal_options(draw):
    """An option of a proposal: a tier, seats and cycle, a term of one to three years
    (annual) or a month, invoiced up front or per year, and a negotiated discount (none,
    or up to 60% in hundredths)."""
    tier, seats, cycle = draw(plans())
    cycles = draw(st.integers(1, 3)) if cycle == "annual" else 1
    percent = Decimal(draw(st.integers(0, 6000))).scaleb(-2)
    return {
        "tier": tier,
        "seats": seats,
        "cycle": cycle,
        "term_cycles": cycles,
        "billing": draw(st.sampled_from(["upfront", "per_cycle"])),
        "discount_percent": percent,
        "discount_reason": "negotiated" if percent else "",
    }


@pytest.mark.django_db
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(situation=situations(), option=proposal_options())
def test_property_an_accepted_proposal_option_invoices_its_preview_to_the_cent(
    catalog, situation, option
):
    """Accepting a proposal's option (billing.proposals.acceptance) confirms a checkout
    bound to it: its term, billing and discount lines are the preview's, to the cent."""
    current, term_start, today, _, currency, tax_rate, credit = situation
    assume(current is not None)
    moment = datetime.combine(today, time(9, 30), tzinfo=UTC)
    organization = OrganizationFactory()
    owner = MembershipFactory(organization=organization, role=Role.OWNER).user
    with time_machine.travel(moment, tick=False):
        give_credit(organization, credit, currency, today)
        details = invoices.billing_details_for(organization=organization)
        details.tax_rate_override = tax_rate
        details.tax_override_reason = "The rate of this example"
        details.save()
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
        version = sent_version(
            license,
            catalog,
            [option | {"currency": currency}],
            valid_until=today + timedelta(days=30),
        )
        chosen = version.options.get()
        try:
            shown = accept_preview(version=version, option=chosen, user=owner)
        except QuoteRefused:
            assume(False)
        quote = shown.quote
        accepted = proposal_accept(version=version, option=chosen, user=owner, digest=shown.digest)

    invoice = accepted.checkout.invoice
    assert invoice_figures(invoice) == quote_figures(quote)
    assert invoice.tax_rate == quote.tax_rate
    # The term's charges less its discounts are the option's first invoice as the price
    # path (billing.proposals.pricing) shows it, when the option starts a new term.
    term = [line for line in quote.lines if line.kind in (LineKind.RECURRING, LineKind.DISCOUNT)]
    discounts = [line for line in term if line.kind == LineKind.DISCOUNT]
    assert bool(discounts) == (option["discount_percent"] > 0)
    for line in discounts:
        assert f"({option['discount_reason']})" in line.description
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
    granted = -quote.total if quote.total.amount < 0 else Money.zero(currency)
    assert credit_balance(organization=organization, currency=currency) == (
        Money(credit, currency) - quote.credit_applied + granted
    )
