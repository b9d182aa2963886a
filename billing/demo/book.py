"""The demo book of accounts (issue 20): after the rest of the demo, maya@tierwise.test's
book shows each readiness signal at least once from the data itself. Most already hold:

- Northwind Analytics: sustained need (API calls over the limit in two of the last
  three months), seat growth (11 of 12 seats in use), renewal within 90 days and price
  lock ending (its monthly term ends this month);
- Acme Robotics: trial features used (its Business trial), on a legacy version.

And the risk: Northwind owes a one-off onboarding workshop invoice, overdue by ten
days. It bills no license, so dunning sends its reminders but never makes a license past
due or suspends one (billing.dunning: only a license's invoices change its status), and
advancing the demo's clock leaves every license as it is. billing.demo.invoices writes it
with Northwind's other invoices, in the order of their days, so its number follows its day
of issue and the credit note's credit, oldest open invoice first, pays part of it; this
only reports it.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal

from billing.invoices import services
from billing.invoices.kinds import LineKind
from billing.models import Invoice
from billing.money import Money
from portal.models import Organization

SLUG = "northwind-analytics"
WORKSHOP = "Onboarding workshop, one day on site"
WORKSHOP_PRICE = Decimal("1200.00")
OVERDUE_DAYS = 10


def workshop_issued_on(organization: Organization, today: date) -> date:
    """Northwind pays at 30 days: issued 40 days ago, the workshop is ten days overdue."""
    return today - timedelta(days=OVERDUE_DAYS + _net_days(organization))


def workshop_invoice(organization: Organization, currency: str, at: datetime) -> Invoice:
    """The workshop's invoice, issued `at`. billing.demo.invoices writes it among the
    organization's other invoices and credit notes, in the order of their days: written
    last, it would be numbered after invoices issued weeks later and miss the credit the
    rule gives the oldest open invoice first."""
    invoice = services.invoice_create_draft(organization=organization, currency=currency)
    services.invoice_add_line(
        invoice=invoice,
        kind=LineKind.ONE_OFF,
        description=WORKSHOP,
        unit_price=Money(WORKSHOP_PRICE, currency),
    )
    return services.invoice_finalize(invoice=invoice, at=at)


def build_book() -> list[str]:
    """One line: the overdue invoice the book shows as a risk."""
    found = (
        Invoice.objects.filter(organization__slug=SLUG, lines__description=WORKSHOP)
        .select_related("organization")
        .first()
    )
    if found is None:
        return []
    return [f"{found.organization.name}: {found} for the workshop, due {found.due_on:%-d %B %Y}"]


def _net_days(organization: Organization) -> int:
    details = getattr(organization, "billing_details", None)
    return details.days_to_pay if details is not None else 0
