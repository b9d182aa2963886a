"""Two workers on the same batch at once, on PostgreSQL with real concurrent
transactions: each reminder is sent once. Both read "nothing sent yet"; the second
Notice insert of each license waits for the first transaction and then fails on the
unique key, so that license's savepoint rolls back with its emails, and both batches
finish."""

import threading
from datetime import date

import pytest
from django.db import connection

from billing.models import BillingDetails, Notice
from billing.renewals.notices import reminders_send
from portal.models import OutboundEmail, Role
from tests.factories import MembershipFactory, OrganizationFactory
from tests.helpers.checkout import subscribed
from tests.helpers.services import REAL_SERVICES_REQUIRED

pytestmark = pytest.mark.integration

LICENSES = 6


@pytest.mark.skipif(
    connection.vendor != "postgresql" and not REAL_SERVICES_REQUIRED,
    reason="needs PostgreSQL (set DATABASE_URL=postgres://…)",
)
@pytest.mark.django_db(transaction=True)
def test_two_workers_on_one_batch_send_each_reminder_once(catalog):
    ids = []
    for index in range(LICENSES):
        organization = OrganizationFactory(name=f"Org {index}", slug=f"org-{index}")
        MembershipFactory(organization=organization, role=Role.OWNER)
        BillingDetails.objects.create(
            organization=organization,
            legal_name=f"Org {index}",
            country="US",
            billing_emails=[f"ap-{index}@example.com"],
        )
        ids.append(subscribed(organization, catalog, "team").pk)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def worker():
        try:
            barrier.wait()
            results.append(reminders_send(license_ids=ids, today=date(2026, 3, 25)))
        except Exception as exc:  # asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    assert sum(r.sent for r in results) == LICENSES
    assert sum(r.sent + r.already_sent + r.nothing_due for r in results) == 2 * LICENSES
    assert sum(r.failed for r in results) == 0
    assert Notice.objects.count() == LICENSES
    assert OutboundEmail.objects.count() == 2 * LICENSES  # the owner and the address each
