"""The renewal reminder labels its tax line with the rate as the invoice it announces
prints it ("Tax (20 %)", billing.tax.rules.tax_label), where it said "Tax" alone.
"Now" is 14 March 2026; each run travels to its day, on the test clock."""

import re
from datetime import date
from decimal import Decimal

import pytest

from billing.models import BillingDetails
from tests.billing.renewals.test_reminder_credit import (
    _simulated,  # noqa: F401
    reminder_to,
    renew,
    send_reminders,
)
from tests.helpers.checkout import subscribed

pytestmark = pytest.mark.django_db


def test_it_tells_the_tax_rate_as_the_invoice_does(
    client_for, organization, owner, catalog, now
):
    """Team, 5 seats, monthly ($95.00) at a 20 % rate staff set: $19.00 tax."""
    BillingDetails.objects.create(
        organization=organization,
        tax_rate_override=Decimal("20"),
        tax_override_reason="A rate staff set, with its reason",
    )
    team = subscribed(organization, catalog, seats=5)

    send_reminders(date(2026, 3, 25))
    email = reminder_to(owner.email, team)
    invoice = renew(team, date(2026, 4, 1))
    page = client_for(owner).get(f"/app/{organization.slug}/invoices/{invoice.number}/")

    (invoiced,) = re.findall(r">(Tax \([^)]+\))</th>", page.content.decode())
    assert invoiced == "Tax (20 %)"
    assert f"- {invoiced}: $19.00" in email.body_text
    assert f">{invoiced}</td>" in email.body_html
