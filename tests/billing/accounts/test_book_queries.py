"""The book's rows are read in a bounded number of queries, whatever the number of
accounts: 3 or 10 accounts, each with a license, a subscription, usage, an open invoice
and a running trial, take the same queries."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.accounts.selectors import book_organizations, book_rows
from billing.accounts.signals import Signal
from billing.invoices import services as invoices
from billing.invoices.kinds import LineKind
from billing.money import Money
from billing.subscriptions.services import subscription_create
from licensing.usage.services import UsageReport, usage_record_batch
from tests.factories import OrganizationFactory, UserFactory
from tests.helpers.licenses import SYSTEM, issue
from tests.helpers.trials import running_trial

pytestmark = pytest.mark.django_db
MAX_QUERIES = 20


def _account(manager, catalog, now, n: int) -> None:
    organization = OrganizationFactory(account_manager=manager)
    license = issue(organization, catalog, "team", seats=10).license
    subscription_create(
        license=license, currency="USD", cycle="monthly", actor=SYSTEM, reason="Test."
    )
    usage_record_batch(
        license=license,
        reports=[UsageReport("seats", 9, f"seats-{n}", now - timedelta(hours=1))],
        at=now,
    )
    invoice = invoices.invoice_create_draft(organization=organization, currency="USD")
    invoices.invoice_add_line(
        invoice=invoice,
        kind=LineKind.ONE_OFF,
        description="Workshop",
        unit_price=Money(Decimal("100.00"), "USD"),
    )
    invoices.invoice_finalize(invoice=invoice, at=now - timedelta(days=40))
    running_trial(license, "business", starts_at=now - timedelta(days=2))


def _queries(manager, at) -> tuple[int, list]:
    with CaptureQueriesContext(connection) as captured:
        rows = book_rows(book_organizations(manager_id=manager.pk), at=at)
    return len(captured), rows


def test_the_same_queries_for_3_or_10_accounts(catalog, now, django_assert_max_num_queries):
    manager = UserFactory(is_staff=True)
    for n in range(3):
        _account(manager, catalog, now, n)
    three, rows = _queries(manager, now)
    assert len(rows) == 3
    for n in range(3, 10):
        _account(manager, catalog, now, n)
    with django_assert_max_num_queries(three):
        rows = book_rows(book_organizations(manager_id=manager.pk), at=now)
    assert len(rows) == 10
    assert three <= MAX_QUERIES
    for row in rows:
        assert row.has(Signal.SEAT_GROWTH)  # 9 of 10 seats
        assert row.has(Signal.OVERDUE)  # issued 40 days ago, due on receipt
        assert row.invoices.overdue_amounts == [Money(Decimal("100.00"), "USD")]
        assert [plan.seats_used for plan in row.plans] == [9]
        assert row.arr and row.arr[0].currency == "USD"
        assert [t.trial.tier.slug for t in row.trials] == ["business"]
