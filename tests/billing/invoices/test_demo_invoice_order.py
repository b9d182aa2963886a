"""The whole demo (`manage.py demo`) writes its invoices and credit notes in the order of
their days, whichever module writes them: each organization's invoice numbers follow the
days they were issued, and the credit a credit note gave went to the oldest open invoice
(billing.invoices.credit), as in real life."""

import pytest
from django.core.management import call_command
from django.db.models import Q

from billing.invoices.selectors import invoice_outstanding
from billing.models import CreditEntry, Invoice
from portal.models import Organization

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_site(now):
    call_command("demo", force=True, verbosity=0)


def test_every_organizations_invoice_numbers_follow_their_days_of_issue(demo_site):
    for organization in Organization.objects.filter(invoices__isnull=False).distinct():
        issued = list(
            organization.invoices.exclude(number=None)
            .order_by("number")
            .values_list("issued_on", flat=True)
        )
        assert issued == sorted(issued), organization.slug


def test_the_credit_the_demo_applied_went_to_the_oldest_open_invoice(demo_site):
    applied = CreditEntry.objects.filter(amount__lt=0, invoice__isnull=False)
    assert applied.exists()
    for entry in applied.select_related("invoice"):
        credited = entry.invoice
        # An older invoice still owing now owed when the credit went to a newer one
        # (invoices never reopen), which the rule forbids.
        older = Invoice.objects.filter(
            organization=credited.organization,
            currency=credited.currency,
        ).filter(
            Q(issued_on__lt=credited.issued_on)
            | Q(issued_on=credited.issued_on, number__lt=credited.number)
        )
        assert not [
            invoice.number for invoice in older if invoice_outstanding(invoice=invoice).amount > 0
        ], credited.number
    northwind = Invoice.objects.get(
        organization__slug="northwind-analytics", credit_entries__amount__lt=0
    )
    assert northwind.lines.get().description == "Onboarding workshop, one day on site"
