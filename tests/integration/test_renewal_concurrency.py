"""On PostgreSQL, renewals at the same moment: two workers renewing one subscription (a
duplicated beat tick, a batch delivered twice), and the renewal racing a retried batch of
the term-end task, make one period, one invoice and one email (billing.renewals: the
license's row lock, then the period that is the claim)."""

from datetime import UTC, date, datetime

import pytest

from billing.models import Invoice, Notice, NoticeKind, RenewalRun, SubscriptionPeriod
from billing.renewals.services import Outcome, subscription_renew
from billing.renewals.tasks import renew_batch
from portal.models import OutboundEmail
from tests.helpers.checkout import subscribed
from tests.helpers.concurrency import run_together
from tests.helpers.services import NEEDS_POSTGRESQL

pytestmark = pytest.mark.integration

APRIL_1 = date(2026, 4, 1)
AT = datetime(2026, 4, 1, 0, 2, tzinfo=UTC)


@NEEDS_POSTGRESQL
@pytest.mark.django_db(transaction=True)
def test_two_workers_renewing_one_subscription_renew_it_once(organization, catalog, owner, now):
    license = subscribed(organization, catalog, seats=5)
    subscription = license.subscription

    def renew():
        return subscription_renew(subscription=subscription, today=APRIL_1, at=AT)

    outcomes = run_together([renew, renew])

    assert not [outcome for outcome in outcomes if isinstance(outcome, Exception)], outcomes
    assert sorted(outcome.outcome for outcome in outcomes) == [Outcome.RENEWED, Outcome.SKIPPED]
    assert (
        SubscriptionPeriod.objects.filter(subscription=subscription, starts_on=APRIL_1).count() == 1
    )
    assert Invoice.objects.filter(license=license).count() == 1
    assert Notice.objects.filter(kind=NoticeKind.RENEWED).count() == 1
    assert OutboundEmail.objects.filter(subject__contains="renewed").count() == 1
    license.refresh_from_db()
    assert (license.term_start, license.term_end) == (APRIL_1, date(2026, 4, 30))


@NEEDS_POSTGRESQL
@pytest.mark.django_db(transaction=True)
def test_a_batch_delivered_twice_at_once_renews_each_once(organization, catalog, owner, now):
    from tests.factories import OrganizationFactory

    licenses = [subscribed(organization, catalog, seats=5)]
    for number in range(3):
        other = OrganizationFactory(name=f"Other {number}", slug=f"other-{number}")
        licenses.append(subscribed(other, catalog, seats=3))
    ids = [license.subscription.pk for license in licenses]
    run = RenewalRun.objects.create(business_day=APRIL_1, due=len(ids), batches=1)

    def batch():
        return renew_batch(run.pk, ids)

    outcomes = run_together([batch, batch])

    assert not [outcome for outcome in outcomes if isinstance(outcome, Exception)], outcomes
    assert Invoice.objects.count() == len(ids)
    assert SubscriptionPeriod.objects.filter(starts_on=APRIL_1).count() == len(ids)
    assert Notice.objects.filter(kind=NoticeKind.RENEWED).count() == len(ids)
    run.refresh_from_db()
    assert (run.renewed, run.skipped, run.failed) == (len(ids), len(ids), 0)
