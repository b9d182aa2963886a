"""The harness of the "what is previewed is what is invoiced" properties, shared by the
checkout's (tests/billing/checkout/test_preview_is_invoice.py) and the trial conversion's
(tests/billing/trials/test_conversion_preview_is_invoice.py): the demo catalog's seats
and cycles, the strategies for a customer's money (currency, tax rate, credit), a fresh
customer with them, the confirmation of what was shown, and the check that its invoice
and the credit balance are the preview's to the cent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from billing.checkout.services import checkout_confirm
from billing.invoices import services as invoices
from billing.invoices.kinds import LineKind
from billing.invoices.selectors import credit_balance
from billing.models import Checkout, CheckoutStatus
from billing.money import Money
from licensing.licenses.services import Actor
from portal.models import Role
from tests.factories import MembershipFactory, OrganizationFactory
from tests.helpers.invoices import morning_of

# The demo catalog's tiers with the seats each may have: Starter is flat (at most 3),
# Team, Business and Enterprise are per seat from 3, 10 and 25 seats.
SEATS = {"starter": (1, 3), "team": (3, 15), "business": (10, 50), "enterprise": (25, 80)}
CYCLES = ("monthly", "annual")
DAYS = st.dates(date(2025, 1, 1), date(2027, 12, 31))

# Every example is a fresh customer in one test's database: slow, and fixtures are shared.
PROPERTY = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


TIERS = tuple(sorted(SEATS))


@st.composite
def plans(draw, tiers=TIERS):
    """(tier, seats, cycle) of one of `tiers`."""
    tier = draw(st.sampled_from(tiers))
    return tier, draw(st.integers(*SEATS[tier])), draw(st.sampled_from(CYCLES))


@dataclass(frozen=True)
class Wallet:
    """A customer's money in an example: the currency, the tax rate, the credit held."""

    currency: str
    tax_rate: Decimal
    credit: Decimal


@st.composite
def wallets(draw) -> Wallet:
    return Wallet(
        currency=draw(st.sampled_from(["USD", "EUR", "GBP"])),
        tax_rate=Decimal(draw(st.integers(0, 2500))).scaleb(-2),
        credit=Decimal(draw(st.integers(0, 300_000))).scaleb(-2),
    )


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


def customer(wallet: Wallet, today: date):
    """A fresh organization (the catalog is shared, nothing else is) with its owner, the
    example's credit and tax rate: call it at the example's moment."""
    organization = OrganizationFactory()
    owner = MembershipFactory(organization=organization, role=Role.OWNER).user
    give_credit(organization, wallet.credit, wallet.currency, today)
    details = invoices.billing_details_for(organization=organization)
    details.tax_rate_override = wallet.tax_rate
    details.tax_override_reason = "The rate of this example"
    details.save()
    return organization, owner


def confirm_shown(shown, owner) -> Checkout:
    """Confirm the preview `shown`, as its owner would."""
    checkout = checkout_confirm(
        checkout=shown.checkout,
        target=shown.target,
        digest=shown.digest,
        actor=Actor.of(owner, "owner"),
    )
    assert checkout.status == CheckoutStatus.CONFIRMED
    return checkout


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


def assert_invoiced_as_previewed(checkout: Checkout, quote, wallet: Wallet, today: date) -> None:
    """The confirmation's invoice is the preview's, to the cent, issued today; the credit
    the preview said it would spend is the credit spent, and a negative total becomes
    credit."""
    invoice = checkout.invoice
    assert invoice_figures(invoice) == quote_figures(quote)
    assert invoice.tax_rate == quote.tax_rate
    assert invoice.issued_on == today
    currency = wallet.currency
    granted = -quote.total if quote.total.amount < 0 else Money.zero(currency)
    assert credit_balance(organization=checkout.organization, currency=currency) == (
        Money(wallet.credit, currency) - quote.credit_applied + granted
    )
