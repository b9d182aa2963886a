"""billing 0021 on a database from before License.ends_with_term: a subscription its
customer canceled ends with its term (no grace), one staff set to renew by hand keeps
the grace, read from the commercial ledger as canceled_by_customer reads it."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from billing.subscriptions.cancellation import subscription_cancel
from billing.subscriptions.services import subscription_set_auto_renew
from licensing.licenses.services import Actor
from licensing.models import License
from tests.factories import OrganizationFactory
from tests.helpers.checkout import subscribed
from tests.helpers.licenses import SYSTEM

BEFORE = [("billing", "0020_renewals_dunning_notices")]
AFTER = [("billing", "0021_canceled_licenses_end_with_term")]


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_canceled_licenses_end_with_their_term_and_by_hand_ones_keep_the_grace(
    organization, catalog, owner, now
):
    canceled = subscribed(organization, catalog, seats=5)
    subscription_cancel(
        subscription=canceled.subscription, actor=Actor.of(owner, "owner"), reason="not_used"
    )
    by_hand = subscribed(OrganizationFactory(name="Acme", slug="acme"), catalog, seats=3)
    subscription_set_auto_renew(
        subscription=by_hand.subscription, auto_renew=False, actor=SYSTEM, reason="By hand."
    )
    renewing = subscribed(OrganizationFactory(name="Globex", slug="globex"), catalog, seats=3)
    License.objects.update(ends_with_term=False)  # as before the field existed

    _migrate(BEFORE)
    try:
        _migrate(AFTER)
        _check(canceled, by_hand, renewing)
    finally:
        # Back to the latest schema: the tests after this one in the worker need it.
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def _check(canceled, by_hand, renewing) -> None:
    assert set(License.objects.filter(ends_with_term=True).values_list("pk", flat=True)) == {
        canceled.pk
    }
    for license in (canceled, by_hand, renewing):
        license.refresh_from_db()
    assert canceled.grace_until is None
    assert by_hand.grace_until is not None and renewing.grace_until is not None
