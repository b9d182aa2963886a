"""portal.bulk.update_rows stores what save() stores, on PostgreSQL and SQLite."""

from datetime import UTC, datetime, timedelta
from datetime import timezone as tz
from decimal import Decimal

import pytest

from billing.invoices import services as invoices
from billing.models import Invoice
from portal.bulk import update_rows

pytestmark = pytest.mark.django_db


def _draft(organization):
    return invoices.invoice_create_draft(organization=organization, currency="USD")


FIELDS = [
    "finalized_at",
    "paid_at",
    "seller",
    "dunning_reminder_days",
    "tax_rate",
    "subtotal",
    "tax_note",
    "po_number",
]


def _values(invoice: Invoice) -> None:
    invoice.finalized_at = datetime(2026, 4, 1, 2, 30, tzinfo=tz(timedelta(hours=5)))
    invoice.paid_at = None
    invoice.seller = {"name": 'Ünïcode "q" \' ;', "n": [1, None, 2.5]}
    invoice.dunning_reminder_days = []
    invoice.tax_rate = Decimal("19.5")
    invoice.subtotal = Decimal("10.25")
    invoice.tax_note = "it's; -- drop"
    invoice.po_number = ""


def test_update_rows_stores_what_save_stores(organization, catalog):
    saved, updated, untouched = (_draft(organization) for _ in range(3))
    for invoice in (saved, updated):
        _values(invoice)
    saved.save(update_fields=FIELDS)

    update_rows([updated], FIELDS)

    rows = {row.pop("pk"): row for row in Invoice.objects.values("pk", *FIELDS)}
    assert rows[updated.pk] == rows[saved.pk]
    assert rows[updated.pk]["finalized_at"] == datetime(2026, 3, 31, 21, 30, tzinfo=UTC)
    assert rows[updated.pk]["seller"] == {"name": 'Ünïcode "q" \' ;', "n": [1, None, 2.5]}
    assert rows[untouched.pk]["tax_note"] == ""  # only the rows given change


def test_a_row_given_twice_is_refused_on_every_database(organization, catalog):
    a = _draft(organization)
    a.tax_note = "x"
    with pytest.raises(ValueError, match="twice"):
        update_rows([a, a], ["tax_note"])
    a.refresh_from_db()
    assert a.tax_note == ""
