"""Migrations 0010 and 0011 on data made before them: periods rebuilt from what the
invoices billed (the demo's 366-day annual term gets its extra day as a free extension),
lines typed and linked to them while the freeze trigger is set aside (PostgreSQL)."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from billing.models import InvoiceLine, Subscription, SubscriptionPeriod
from billing.subscriptions.selectors import period_problems
from tests.helpers.licenses import issue

BEFORE = [("billing", "0009_invoice_billed_to_snapshot")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.fixture
def before_periods(transactional_db, catalog, organization):
    """An annual subscription as the demo made it: a term of 19 May to 19 May (366
    days), a paid invoice for the year before and an open one for 19 May to 18 May, the
    latter with an upgrade's two prorated lines and a goodwill credit."""
    license = issue(
        organization, catalog, "team", term_start=date(2026, 5, 19), term_end=date(2027, 5, 19)
    ).license
    apps = migrate(BEFORE)
    subscription = apps.get_model("billing", "Subscription").objects.create(
        license_id=license.pk,
        currency_id="USD",
        cycle="annual",
        unit_amount=Decimal("190.00"),
        per_seat=True,
        min_seats=3,
        price_locked_on=date(2025, 5, 19),
    )
    invoice_model = apps.get_model("billing", "Invoice")
    line_model = apps.get_model("billing", "InvoiceLine")

    def invoice(number, status, rows):
        draft = invoice_model.objects.create(
            organization_id=organization.pk, license_id=license.pk, currency="USD"
        )
        for position, (description, amount, start, end) in enumerate(rows):
            seats = 5 if description.startswith("Team plan") else 1
            line_model.objects.create(
                invoice=draft,
                description=description,
                quantity=seats,
                unit_price=amount / seats,
                amount=amount,
                period_start=start,
                period_end=end,
                position=position,
            )
        # Finalized as the service did: the trigger lets a draft become open, once.
        invoice_model.objects.filter(pk=draft.pk).update(status=status, number=number)
        return draft.pk

    year = (date(2026, 5, 19), date(2027, 5, 18))
    upgraded = date(2026, 9, 1)
    paid = invoice(
        "INV-2025-000001",
        "paid",
        [("Team plan, 5 seats", Decimal("950.00"), date(2025, 5, 19), date(2026, 5, 18))],
    )
    current = invoice(
        "INV-2026-000001",
        "open",
        [
            ("Team plan, 5 seats", Decimal("950.00"), *year),
            ("Unused time on Team, 5 seats, annual", Decimal("-100.00"), upgraded, year[1]),
            ("Remaining time on Team, 8 seats, annual", Decimal("160.00"), upgraded, year[1]),
            ("Goodwill", Decimal("-10.00"), None, None),
        ],
    )  # fmt: skip
    yield subscription.pk, paid, current
    migrate(latest())


def test_periods_and_line_kinds_are_rebuilt_from_the_invoices(before_periods):
    subscription_id, paid, current = before_periods
    migrate(latest())

    subscription = Subscription.objects.get(pk=subscription_id)
    assert subscription.billing_anchor == date(2025, 5, 19)
    assert subscription.billing == "upfront"
    rows = [
        (p.index, p.starts_on, p.ends_on, p.reason, p.net_amount, p.invoice_id, p.seats)
        for p in SubscriptionPeriod.objects.filter(subscription=subscription)
    ]
    assert rows == [
        (0, date(2025, 5, 19), date(2026, 5, 18), "purchase", Decimal("950.00"), paid, 5),
        (1, date(2026, 5, 19), date(2027, 5, 18), "renewal", Decimal("950.00"), current, 5),
        (2, date(2027, 5, 19), date(2027, 5, 19), "extension", Decimal("0.00"), None, 5),
    ]
    extension = SubscriptionPeriod.objects.get(reason="extension")
    assert "no invoice billed" in extension.note
    year = SubscriptionPeriod.objects.get(starts_on=date(2026, 5, 19))
    lines = [
        (line.kind, line.period_id, line.subscription_id, line.list_unit_price)
        for line in InvoiceLine.objects.filter(invoice_id=current)
    ]
    assert lines == [
        ("recurring", year.pk, subscription_id, Decimal("190.0000")),
        ("proration_credit", year.pk, subscription_id, None),
        ("proration_charge", year.pk, subscription_id, None),
        ("discount", None, subscription_id, None),
    ]
    # History keeps the kind too.
    assert set(InvoiceLine.history.values_list("kind", flat=True)) <= {
        "recurring",
        "proration_credit",
        "proration_charge",
        "discount",
    }
    assert period_problems() == []
    if connection.vendor == "postgresql":
        # The trigger is back: the lines of a finalized invoice stay as issued.
        with pytest.raises(Exception, match="finalized"), connection.cursor() as cursor:
            cursor.execute(
                "UPDATE billing_invoiceline SET kind = 'one_off' WHERE invoice_id = %s", [current]
            )


@pytest.mark.django_db
def test_a_period_written_without_the_replaced_column_is_live():
    # Code from before migration 0027, still running between a deploy's migrate and its
    # restart, inserts periods without "replaced": the database fills it in as live.
    with connection.cursor() as cursor:
        columns = connection.introspection.get_table_description(
            cursor, SubscriptionPeriod._meta.db_table
        )
    (replaced,) = [column for column in columns if column.name == "replaced"]
    assert str(replaced.default).lower() in {"false", "0"}
