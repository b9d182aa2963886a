"""On PostgreSQL, the same feature-use batch sent twice at the same moment (a client's
retry racing its first attempt) is stored once: the (license, idempotency key) unique
constraint settles it, each key accepted by exactly one of the two."""

import pytest

from licensing.models import FeatureUse
from licensing.usage.features import FeatureReport, feature_use_record_batch
from tests.helpers.concurrency import run_together
from tests.helpers.licenses import issue
from tests.helpers.services import NEEDS_POSTGRESQL


@NEEDS_POSTGRESQL
@pytest.mark.django_db(transaction=True)
def test_a_batch_sent_twice_at_once_counts_once(organization, catalog, now):
    license = issue(organization, catalog).license
    reports = [FeatureReport("webhooks", 2, f"k{n}") for n in range(50)]

    def send():
        return feature_use_record_batch(license=license, reports=reports, at=now)

    outcomes = run_together([send, send])

    assert not [outcome for outcome in outcomes if isinstance(outcome, Exception)], outcomes
    for key in (f"k{n}" for n in range(50)):
        assert sorted(outcome[key] for outcome in outcomes) == ["accepted", "duplicate"]
    assert FeatureUse.objects.filter(license=license).count() == 50
