"""billing.ledger.services.changes_recorded: a change inside another change of the same
license joins it; a change of another license records itself; a refusal records
nothing; and it only runs inside the change's transaction."""

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from billing.ledger.services import changes_recorded
from billing.models import AdminOperation, SubscriptionEvent
from billing.subscriptions.services import subscription_set_auto_renew
from licensing.licenses.services import license_change_seats
from tests.factories import OrganizationFactory
from tests.helpers.checkout import subscribed
from tests.helpers.licenses import SYSTEM


def _recorded(**kwargs):
    return changes_recorded(actor=SYSTEM, reason="Outer.", action="outer", **kwargs)


def test_a_change_of_the_same_license_joins_the_outer_recording(organization, catalog, now):
    license = subscribed(organization, catalog, "team", seats=5)
    with transaction.atomic(), _recorded(license=license, at=now):
        license_change_seats(license=license, seats=6, actor=SYSTEM, reason="Inner.")
        subscription_set_auto_renew(
            subscription=license.subscription, auto_renew=False, actor=SYSTEM, reason="Inner."
        )
    events = list(license.subscription.events.order_by("pk"))[1:]
    assert [(e.kind, e.operation.action, e.reason) for e in events] == [
        ("seats_added", "outer", "Outer."),
        ("auto_renew_off", "outer", "Outer."),
    ]
    assert events[0].operation == events[1].operation


def test_a_change_of_another_license_records_itself(organization, catalog, now):
    mine = subscribed(organization, catalog, "team", seats=5)
    theirs = subscribed(OrganizationFactory(slug="globex"), catalog, "team", seats=5)
    with transaction.atomic(), _recorded(license=mine, at=now):
        subscription_set_auto_renew(
            subscription=theirs.subscription, auto_renew=False, actor=SYSTEM, reason="Theirs."
        )
    event = theirs.subscription.events.get(kind="auto_renew_off")
    assert (event.operation.action, event.reason) == ("subscription_set_auto_renew", "Theirs.")
    assert mine.subscription.events.count() == 1  # its purchase: nothing moved


def test_a_refusal_records_nothing(organization, catalog, now):
    license = subscribed(organization, catalog, "team", seats=5)
    counts = (SubscriptionEvent.objects.count(), AdminOperation.objects.count())
    with pytest.raises(ValidationError), transaction.atomic(), _recorded(license=license, at=now):
        license_change_seats(license=license, seats=6, actor=SYSTEM, reason="Inner.")
        license_change_seats(license=license, seats=0, actor=SYSTEM, reason="Refused.")
    assert (SubscriptionEvent.objects.count(), AdminOperation.objects.count()) == counts
    license.refresh_from_db()
    assert license.seats == 5


@pytest.mark.django_db(transaction=True)
def test_it_runs_only_inside_the_changes_transaction(organization, catalog, now):
    license = subscribed(organization, catalog, "team", seats=5)
    refused = pytest.raises(RuntimeError, match="inside the change's transaction")
    with refused, _recorded(license=license, at=now):
        pass
