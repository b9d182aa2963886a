"""Migration 0020 on data made before it: a subscription's price holds until its term's
last day (or its retired version's later notice date), and an open invoice gets the
dunning days in force, counted from its due date."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from billing.models import Invoice, Subscription
from licensing.models import TierVersion
from tests.helpers.licenses import issue

BEFORE = [("billing", "0019_card_payment_save_card")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.parametrize(
    ("notice_date", "locked_until"),
    [(None, date(2027, 5, 18)), (date(2027, 9, 30), date(2027, 9, 30))],
    ids=["term-end", "later-notice-date"],
)
def test_it_backfills_the_lock_and_the_dunning_dates(
    transactional_db, catalog, organization, settings, notice_date, locked_until
):
    settings.DUNNING_REMINDER_DAYS = [2, 9]
    settings.DUNNING_PAST_DUE_DAYS = 5
    settings.DUNNING_SUSPEND_DAYS = 21
    license = issue(
        organization, catalog, "team", term_start=date(2026, 5, 19), term_end=date(2027, 5, 18)
    ).license
    TierVersion.objects.filter(pk=license.version_id).update(notice_date=notice_date)
    apps = migrate(BEFORE)
    apps.get_model("billing", "Subscription").objects.create(
        license_id=license.pk,
        currency_id="USD",
        cycle="annual",
        unit_amount=Decimal("190.00"),
        per_seat=True,
        min_seats=3,
        price_locked_on=date(2026, 5, 19),
        billing_anchor=date(2026, 5, 19),
    )
    invoices = apps.get_model("billing", "Invoice")
    common = {"organization_id": organization.pk, "currency": "USD", "license_id": license.pk}
    invoices.objects.create(
        **common,
        status="open",
        number="INV-1",
        issued_on=date(2026, 5, 19),
        due_on=date(2026, 6, 18),
    )
    invoices.objects.create(
        **common,
        status="paid",
        number="INV-2",
        issued_on=date(2026, 5, 19),
        due_on=date(2026, 6, 18),
    )
    migrate(latest())
    assert Subscription.objects.get().price_locked_until == locked_until
    opened = Invoice.objects.get(number="INV-1")
    assert opened.dunning_reminder_days == [2, 9]
    assert opened.past_due_on == date(2026, 6, 18) + timedelta(days=5)
    assert opened.suspend_on == date(2026, 6, 18) + timedelta(days=21)
    paid = Invoice.objects.get(number="INV-2")
    assert (paid.past_due_on, paid.suspend_on, paid.dunning_reminder_days) == (None, None, [])
