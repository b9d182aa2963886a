"""Migration 0020 on data made before it: a subscription's price holds until its term's
last day (or its retired version's later notice date), and an open invoice gets the
dunning days in force, counted from its due date."""

from datetime import date, timedelta
from decimal import Decimal

from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from billing.models import Invoice, Subscription
from licensing.models import TierVersion
from tests.factories import OrganizationFactory
from tests.helpers.licenses import issue

BEFORE = [("billing", "0019_card_payment_save_card")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def test_it_backfills_the_lock_and_the_dunning_dates(
    transactional_db, catalog, organization, settings
):
    """One trip back and forth for both cases (each migration costs seconds): a version
    without a notice date locks to the term's end; one retired with a later notice date
    locks to that date."""
    settings.DUNNING_REMINDER_DAYS = [2, 9]
    settings.DUNNING_PAST_DUE_DAYS = 5
    settings.DUNNING_SUSPEND_DAYS = 21
    term = {"term_start": date(2026, 5, 19), "term_end": date(2027, 5, 18)}
    at_term_end = issue(organization, catalog, "team", **term).license
    later = issue(OrganizationFactory(name="Acme", slug="acme"), catalog, "business", **term)
    at_notice_date = later.license
    TierVersion.objects.filter(pk=at_notice_date.version_id).update(notice_date=date(2027, 9, 30))
    apps = migrate(BEFORE)
    for license in (at_term_end, at_notice_date):
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
    common = {"organization_id": organization.pk, "currency": "USD", "license_id": at_term_end.pk}
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
    locked = dict(Subscription.objects.values_list("license_id", "price_locked_until"))
    assert locked == {at_term_end.pk: date(2027, 5, 18), at_notice_date.pk: date(2027, 9, 30)}
    opened = Invoice.objects.get(number="INV-1")
    assert opened.dunning_reminder_days == [2, 9]
    assert opened.past_due_on == date(2026, 6, 18) + timedelta(days=5)
    assert opened.suspend_on == date(2026, 6, 18) + timedelta(days=21)
    paid = Invoice.objects.get(number="INV-2")
    assert (paid.past_due_on, paid.suspend_on, paid.dunning_reminder_days) == (None, None, [])
