"""A batch of reminders reads in bulk: its query count does not grow with its licenses
(what it reads per license is read once for the batch: entitlements, usage, scheduled
changes, tax, recipients; its notices and emails are written in one INSERT each). A
reminder that came back to per-license queries fails here."""

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.models import BillingDetails, Notice
from billing.renewals import notices
from licensing.usage.services import UsageReport, usage_record_batch
from portal import clock
from portal.models import OutboundEmail, Role
from tests.factories import MembershipFactory, OrganizationFactory
from tests.helpers.checkout import subscribed

pytestmark = pytest.mark.django_db

DAY = date(2026, 4, 2)  # 90 days before the 1 July 2026 renewals
# What a batch reads and writes whatever its size: the licenses, the notices sent, the
# recipients (2), entitlements (5), usage (2), scheduled changes and billing details
# (2), the catalog rows of its one tier version (about 6), tax rates, savepoint and
# the two INSERTs. Measured 24; the bound leaves room for a query or two, not for one
# per license.
MAX_QUERIES_PER_BATCH = 30


def licenses(catalog, start: int, count: int) -> list[int]:
    ids = []
    for index in range(start, start + count):
        organization = OrganizationFactory(name=f"Org {index}", slug=f"org-{index}")
        MembershipFactory(organization=organization, role=Role.OWNER)
        BillingDetails.objects.create(
            organization=organization,
            legal_name=f"Org {index}",
            country="US",
            billing_emails=[f"ap-{index}@example.com"],
        )
        license = subscribed(
            organization,
            catalog,
            "team",
            cycle="annual",
            term_start=date(2025, 7, 1),
            term_end=date(2026, 6, 30),
        )
        usage_record_batch(
            license=license,
            reports=[UsageReport("api-calls", 1000 * (index + 1), f"k-{index}")],
            at=datetime(2026, 3, 10, tzinfo=UTC),
        )
        ids.append(license.pk)
    return ids


def queries_of(ids: list[int]) -> int:
    with (
        time_machine.travel(datetime(2026, 4, 2, 7, tzinfo=UTC), tick=False),
        CaptureQueriesContext(connection) as captured,
    ):
        counts = notices.reminders_send(license_ids=ids, today=clock.today())
    assert counts.sent == len(ids)
    return len(captured)


def test_a_batchs_queries_do_not_grow_with_its_licenses(catalog):
    small, large = licenses(catalog, 0, 2), licenses(catalog, 2, 8)
    queries_of(licenses(catalog, 10, 1))  # caches filled once per process, not measured
    small_count, large_count = queries_of(small), queries_of(large)

    assert large_count == small_count
    assert large_count <= MAX_QUERIES_PER_BATCH
    assert Notice.objects.count() == 11
    assert OutboundEmail.objects.filter(to__startswith="ap-").count() == 11
