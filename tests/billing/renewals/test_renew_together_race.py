"""Two term-end batches over overlapping ids, and a batch beside a payment, on PostgreSQL."""

import time

import pytest

from billing.models import Invoice, SubscriptionPeriod
from billing.renewals import batch
from tests.helpers.concurrency import run_together
from tests.helpers.renewal_compare import AT, DAY, customer
from tests.helpers.services import NEEDS_POSTGRESQL


@NEEDS_POSTGRESQL
@pytest.mark.django_db(transaction=True)
def test_two_batches_over_overlapping_ids(catalog, now, monkeypatch):
    licenses = [customer(catalog, f"C{n}") for n in range(5)]
    ids = [lic.subscription.pk for lic in licenses]
    real = batch._claimed

    def slow(subs):
        time.sleep(0.3)
        return real(subs)

    monkeypatch.setattr(batch, "_claimed", slow)
    outcomes = run_together(
        [
            lambda: batch.subscriptions_renew(ids[:4], today=DAY, at=AT),
            lambda: batch.subscriptions_renew(list(reversed(ids[1:])), today=DAY, at=AT),
        ]
    )
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    for lic in licenses:
        assert (
            SubscriptionPeriod.objects.filter(subscription__license=lic, starts_on=DAY).count() == 1
        )
        assert Invoice.objects.filter(license=lic).count() == 1
    numbers = sorted(
        int(n.rsplit("-", 1)[1]) for n in Invoice.objects.values_list("number", flat=True)
    )
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))
