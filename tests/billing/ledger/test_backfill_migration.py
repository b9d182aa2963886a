"""billing 0012 and licensing 0005 on a database that has the old ledgers: every old
subscription event gets its fine-grained kind, MRR, currency, version, seats and cause
from what it recorded, and the license ledger's "term" rows their precise kinds."""

from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from billing.models import AdminOperation, Checkout, SubscriptionEvent
from licensing.models import LicenseEvent
from tests.helpers.licenses import issue

OLD = [("billing", "0009_invoice_billed_to_snapshot"), ("licensing", "0004_license_holds")]
WHEN = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_old_rows_are_completed_honestly(organization, catalog, owner):
    license = issue(organization, catalog, "team", seats=5).license
    checkout = Checkout.objects.create(organization=organization, license=license)
    old_apps = _migrate(OLD)
    try:
        Event = old_apps.get_model("billing", "SubscriptionEvent")
        OldLicenseEvent = old_apps.get_model("licensing", "LicenseEvent")
        subscription_id = (
            old_apps.get_model("billing", "Subscription")
            .objects.create(
                license_id=license.pk,
                currency_id="USD",
                cycle="monthly",
                unit_amount="19.00",
                per_seat=True,
                min_seats=3,
                price_locked_on=date(2026, 3, 1),
            )
            .pk
        )
        fields = {
            "currency": "USD",
            "cycle": "monthly",
            "term_cycles": 1,
            "unit_amount": "19.00",
            "per_seat": True,
            "min_seats": 3,
            "price_locked_on": "2026-03-01",
            "price_source": None,
            "seats": 5,
            "auto_renew": True,
        }
        common = {"subscription_id": subscription_id, "actor_label": "olivia", "happened_at": WHEN}
        Event.objects.create(kind="created", reason="Bought.", after=fields, **common)
        Event.objects.create(
            kind="price",
            reason=f"Checkout {checkout.pk} confirmed in the portal.",
            before=fields,
            after=fields | {"cycle": "annual", "unit_amount": "190.00", "seats": 6},
            **common,
        )
        Event.objects.create(
            kind="auto_renew",
            reason="Leaving.",
            before=fields,
            after=fields | {"auto_renew": False},
            **common,
        )
        term = {"license_id": license.pk, "actor_label": "x", "happened_at": WHEN, "revision": 9}
        span = {"term_start": "2026-03-01", "term_end": "2026-03-31", "auto_renew": True}
        OldLicenseEvent.objects.create(
            kind="term", reason="a", before=span, after=span | {"auto_renew": False}, **term
        )
        OldLicenseEvent.objects.create(
            kind="term", reason="b", before=span, after=span | {"term_start": "2026-03-14"}, **term
        )
        OldLicenseEvent.objects.create(
            kind="term", reason="c", before=span, after=span | {"term_end": "2026-04-30"}, **term
        )
    finally:
        # On to the newest migration, whatever came after 0012, so later tests (and this
        # one's own queries below) meet today's schema.
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    events = list(SubscriptionEvent.objects.order_by("pk"))
    assert [e.kind for e in events] == ["purchased", "cycle_changed", "auto_renew_off"]
    assert {e.effective_at for e in events} == {WHEN}
    # billing 0023: each event is its subscription's license's.
    assert {e.license_id for e in events} == {license.pk}
    assert {(e.version_id, e.currency_id) for e in events} == {(license.version_id, "USD")}
    assert [(e.mrr_before, e.mrr_after, e.seats) for e in events] == [
        (0, 9500, 5),
        (9500, 9500, 6),  # 6 seats at $190 a year: $95.00 a month
        (9500, 9500, 5),
    ]
    assert events[1].checkout == checkout
    operation = events[0].operation
    assert (operation.action, operation.actor_label, operation.reason) == (
        "backfill: created",
        "olivia",
        "Bought.",
    )
    assert AdminOperation.objects.filter(action__startswith="backfill").count() == 2
    split = dict(
        LicenseEvent.objects.filter(reason__in=["a", "b", "c"]).values_list("reason", "kind")
    )
    assert split == {"a": "auto_renew", "b": "term_started", "c": "term_extended"}
