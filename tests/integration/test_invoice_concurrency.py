"""On PostgreSQL, invoices finalized at the same moment: fifty take fifty consecutive
numbers (no gap, no duplicate), and ten share a credit balance without spending it twice."""

import threading
from datetime import date

import pytest
from django.db import connection

from billing.invoices import services
from billing.invoices.kinds import LineKind
from billing.invoices.selectors import credit_balance
from billing.models import Invoice
from billing.money import Money
from tests.factories import OrganizationFactory
from tests.helpers.invoices import morning_of
from tests.helpers.services import NEEDS_POSTGRESQL

pytestmark = pytest.mark.integration

INVOICES = 50


@NEEDS_POSTGRESQL
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_finalizations_take_fifty_consecutive_numbers():
    organization = OrganizationFactory()
    drafts = []
    for _ in range(INVOICES):
        draft = services.invoice_create_draft(organization=organization, currency="USD")
        services.invoice_add_line(
            invoice=draft, kind=LineKind.ONE_OFF, description="Team", unit_price=Money(5, "USD")
        )
        drafts.append(draft)
    barrier = threading.Barrier(INVOICES)
    errors = []

    def finalize(draft):
        try:
            barrier.wait()
            services.invoice_finalize(invoice=draft, at=morning_of(date(2026, 3, 14)))
        except Exception as error:  # collected, so the assertion below shows it
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=finalize, args=(draft,)) for draft in drafts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == [f"INV-2026-{n:06d}" for n in range(1, INVOICES + 1)]


@NEEDS_POSTGRESQL
@pytest.mark.django_db(transaction=True)
def test_concurrent_finalizations_spend_a_credit_balance_once():
    organization = OrganizationFactory()
    credit = services.invoice_create_draft(organization=organization, currency="USD")
    services.invoice_add_line(
        invoice=credit, kind=LineKind.DISCOUNT, description="Credit", unit_price=Money(-20, "USD")
    )
    services.invoice_finalize(invoice=credit, at=morning_of(date(2026, 3, 14)))
    drafts = []
    for _ in range(10):
        draft = services.invoice_create_draft(organization=organization, currency="USD")
        services.invoice_add_line(
            invoice=draft, kind=LineKind.ONE_OFF, description="Team", unit_price=Money(15, "USD")
        )
        drafts.append(draft)
    barrier = threading.Barrier(len(drafts))

    def finalize(draft):
        try:
            barrier.wait()
            services.invoice_finalize(invoice=draft, at=morning_of(date(2026, 3, 14)))
        finally:
            connection.close()

    threads = [threading.Thread(target=finalize, args=(draft,)) for draft in drafts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    applied = sorted(Invoice.objects.exclude(pk=credit.pk).values_list("credit_applied", flat=True))
    assert sum(applied) == 20 and applied[-2:] == [5, 15]
    assert credit_balance(organization=organization, currency="USD") == Money(0, "USD")
