"""The demo book of accounts (issue 20): after the rest of the demo, maya@tierwise.test's
book shows each readiness signal at least once from the data itself. Most already hold:

- Northwind Analytics: sustained need (API calls over the limit in two of the last
  three months), seat growth (11 of 12 seats in use), renewal within 90 days and price
  lock ending (its monthly term ends this month);
- Acme Robotics: trial features used (its Business trial), on a legacy version.

This adds the risk: Northwind owes a one-off onboarding workshop invoice, overdue by ten
days. It bills no license, so dunning sends its reminders but never makes a license past
due or suspends one (billing.dunning: only a license's invoices change its status), and
advancing the demo's clock leaves every license as it is. Idempotent: an organization that
already has the workshop's invoice keeps it (invoices are never rewritten anyway).
"""

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction

from billing.invoices import services
from billing.invoices.kinds import LineKind
from billing.models import Invoice, Subscription
from billing.money import Money
from portal import clock
from portal.models import Organization

WORKSHOP = "Onboarding workshop, one day on site"
WORKSHOP_PRICE = Decimal("1200.00")
OVERDUE_DAYS = 10


@transaction.atomic
def build_book() -> list[str]:
    """One line: the overdue invoice the book shows as a risk."""
    organization = Organization.objects.filter(slug="northwind-analytics").first()
    if organization is None:
        return []
    found = Invoice.objects.filter(organization=organization, lines__description=WORKSHOP).first()
    if found is None:
        subscription = Subscription.objects.filter(license__organization=organization).first()
        currency = subscription.currency_id if subscription else "USD"
        invoice = services.invoice_create_draft(organization=organization, currency=currency)
        services.invoice_add_line(
            invoice=invoice,
            kind=LineKind.ONE_OFF,
            description=WORKSHOP,
            unit_price=Money(WORKSHOP_PRICE, currency),
        )
        # Northwind pays at 30 days: issued 40 days ago, it is ten days overdue.
        issued = clock.today() - timedelta(days=OVERDUE_DAYS + _net_days(organization))
        at = datetime.combine(issued, time(9), tzinfo=UTC)
        found = services.invoice_finalize(invoice=invoice, at=at)
    return [f"{organization.name}: {found} for the workshop, due {found.due_on:%-d %B %Y}"]


def _net_days(organization: Organization) -> int:
    details = getattr(organization, "billing_details", None)
    return details.days_to_pay if details is not None else 0
