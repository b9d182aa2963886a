"""Concurrent duplicate usage posts count once: the unique (license, idempotency key)
constraint decides, on a real database with real concurrent transactions."""

import threading
from datetime import date

import pytest
from django.db import connection

from licensing.demo.catalog import build_catalog
from licensing.licenses.services import license_create
from licensing.models import TierVersion, UsageRecord, VersionStatus
from licensing.usage.services import UsageReport, usage_record_batch
from tests.factories import OrganizationFactory
from tests.helpers.licenses import SYSTEM
from tests.helpers.services import REAL_SERVICES_REQUIRED

pytestmark = pytest.mark.integration


@pytest.mark.skipif(
    connection.vendor != "postgresql" and not REAL_SERVICES_REQUIRED,
    reason="needs PostgreSQL (set DATABASE_URL=postgres://…)",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicate_usage_posts_count_once():
    build_catalog()
    license = license_create(
        organization=OrganizationFactory(),
        version=TierVersion.objects.get(tier__slug="team", status=VersionStatus.PUBLISHED),
        seats=3,
        term_start=date(2026, 1, 1),
        term_end=date(2026, 12, 31),
        actor=SYSTEM,
        reason="Concurrency test.",
    ).license
    posts = 8
    barrier = threading.Barrier(posts)
    outcomes, errors = [], []

    def post():
        try:
            barrier.wait()
            batch = [
                UsageReport("api-calls", 10, "batch-1-a"),
                UsageReport("api-calls", 5, "batch-1-b"),
            ]
            outcomes.append(usage_record_batch(license=license, reports=batch))
        except Exception as exc:  # any failure in a thread is asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(posts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    assert UsageRecord.objects.filter(license=license).count() == 2
    assert sum(r.quantity for r in UsageRecord.objects.filter(license=license)) == 15
    accepted = [key for result in outcomes for key, o in result.items() if o == "accepted"]
    assert sorted(accepted) == ["batch-1-a", "batch-1-b"]
