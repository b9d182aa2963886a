"""Dunning tests: an invoice of Northwind's year-long Team license (tests/fixtures
licenses.issued), finalized on the suite's "now" (14 March 2026) at net 30, so due on
13 April; with the default days it is reminded on 14, 20 and 27 April, past due on
20 April and suspended on 13 May. The test clock is on."""

from datetime import date
from decimal import Decimal

import pytest

from billing.invoices import services
from billing.invoices.kinds import LineKind
from billing.models import Invoice
from billing.money import Money
from portal import clock

DUE = date(2026, 4, 13)
PAST_DUE = date(2026, 4, 20)
SUSPEND = date(2026, 5, 13)


@pytest.fixture
def test_clock(settings, db):
    settings.TEST_CLOCK = True
    clock.forget()
    yield
    clock.forget()


def license_invoice(organization, license, *, amount=Decimal("120.00")) -> Invoice:
    invoice = services.invoice_create_draft(
        organization=organization, currency="USD", license=license
    )
    services.invoice_add_line(
        invoice=invoice,
        kind=LineKind.ONE_OFF,
        description="Team plan, 5 seats",
        unit_price=Money(amount, "USD"),
    )
    return services.invoice_finalize(invoice=invoice)


@pytest.fixture
def overdue(organization, issued, owner, test_clock) -> Invoice:
    """Northwind's invoice of 120.00 USD for its license, due on 13 April."""
    return license_invoice(organization, issued.license)
