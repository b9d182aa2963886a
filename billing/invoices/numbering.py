"""Gapless numbers per series and year: INV-2026-000123, CN-2026-000001.

A number is taken inside the transaction that issues the document, with the series'
row locked until that transaction ends: a second issuer waits, and a rollback hands the
number back, so the numbers of a series have neither gaps nor duplicates."""

from django.db import transaction

from billing.invoices.rules import format_number
from billing.models import DocumentSequence


def take_next_number(*, series: str, year: int) -> str:
    return take_numbers(series=series, year=year, count=1)[0]


def take_numbers(*, series: str, year: int, count: int) -> list[str]:
    """The next `count` numbers of the series, one after another (a batch of renewals
    takes its invoices' numbers at once)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Take a number inside the transaction that issues the document.")
    if count < 1:
        return []
    # Create the year's row if it is the first number of the year; ON CONFLICT DO
    # NOTHING so two first issuers do not fail each other, then lock the one row.
    DocumentSequence.objects.bulk_create(
        [DocumentSequence(series=series, year=year)], ignore_conflicts=True
    )
    sequence = DocumentSequence.objects.select_for_update().get(series=series, year=year)
    first = sequence.last_number + 1
    # One step per number: on PostgreSQL the row refuses any other move (billing
    # migration 0008), so a number is never skipped, even by a batch.
    for _ in range(count):
        sequence.last_number += 1
        sequence.save(update_fields=["last_number"])
    return [format_number(series, year, n) for n in range(first, first + count)]
