"""On PostgreSQL, the one lock order (billing/locks.py) keeps a checkout confirmation,
the daily job applying a scheduled change and staff canceling it from deadlocking when
they meet on one license: each takes the license before its scheduled change, so they
queue instead of each holding a row the other waits for.

To make them meet at the worst moment, applying and canceling pause while they hold what
they locked first (as a slow machine would): with the change locked before its license
(the order before billing/locks.py), a confirmation that locks the license and then the
change deadlocked against them here ("deadlock detected")."""

import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import OperationalError, connection, transaction

from billing.checkout import changes
from billing.checkout.scheduled import scheduled_change_apply, scheduled_change_cancel
from billing.checkout.services import StalePreview, checkout_confirm
from billing.models import ScheduledChange, ScheduledChangeStatus
from licensing.licenses.services import Actor, license_lock
from licensing.models import License
from portal.models import Role
from tests.factories import MembershipFactory, OrganizationFactory
from tests.helpers.checkout import confirm, preview, subscribed
from tests.helpers.concurrency import run_together
from tests.helpers.services import NEEDS_POSTGRESQL

pytestmark = pytest.mark.integration

PAUSE = 0.5  # seconds held under the first locks: beyond any query's time here


def paused(rule):
    def slow(*args, **kwargs):
        time.sleep(PAUSE)
        return rule(*args, **kwargs)

    return slow


@pytest.fixture
def slow_under_lock(monkeypatch):
    # Both are asked right after the service has locked the change (and, in the one
    # order, its license): the pause is taken holding those locks.
    monkeypatch.setattr(changes, "is_open", paused(changes.is_open))
    monkeypatch.setattr(changes, "cancel_refusal", paused(changes.cancel_refusal))


def scheduled_downgrade(catalog):
    """A new organization on Business, 12 seats a month for March, with Team and 8 seats
    scheduled for 1 April by its owner."""
    organization = OrganizationFactory()
    owner = MembershipFactory(organization=organization, role=Role.OWNER).user
    license = subscribed(organization, catalog, "business", seats=12)
    _, checkout = confirm(organization, license, owner, tier="team", seats=8, cycle="monthly")
    return organization, owner, license, checkout.scheduled_change


# What the confirmation asks for: an upgrade (which cancels the scheduled change) or
# fewer seats (a later part of its own, which replaces it).
TARGETS = {
    "upgrade": {"tier": "enterprise", "seats": 25, "cycle": "monthly"},
    "fewer-seats": {"tier": "business", "seats": 10, "cycle": "monthly"},
}


@NEEDS_POSTGRESQL
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("target", list(TARGETS), ids=list(TARGETS))
def test_a_confirmation_the_job_and_staff_meet_on_one_license_without_deadlock(
    catalog, now, slow_under_lock, target
):
    organization, owner, license, change = scheduled_downgrade(catalog)
    shown = preview(organization, license, owner, **TARGETS[target])
    admin = MembershipFactory(organization=organization, role=Role.OWNER).user

    def confirming():
        return checkout_confirm(
            checkout=shown.checkout,
            target=shown.target,
            digest=shown.digest,
            actor=Actor.of(owner, "owner"),
        )

    def applying():
        return scheduled_change_apply(change=change, today=change.effective_on)

    def canceling():
        return scheduled_change_cancel(change=change, user=admin, reason="Asked by phone.")

    outcomes = run_together([confirming, applying, canceling])

    deadlocks = [outcome for outcome in outcomes if isinstance(outcome, OperationalError)]
    assert deadlocks == []
    confirmed, applied, canceled = outcomes
    # Each either did its work or was refused for what another did first, never
    # for a database error.
    assert isinstance(confirmed, StalePreview) or confirmed.status == "confirmed", confirmed
    assert isinstance(canceled, (ValidationError, ScheduledChange)), canceled
    assert isinstance(applied, ScheduledChange), applied
    change.refresh_from_db()
    license.refresh_from_db()
    if change.status == ScheduledChangeStatus.APPLIED:
        assert (license.version.tier.slug, license.seats) == ("team", 8)
        assert isinstance(confirmed, StalePreview)
    else:
        assert change.status == ScheduledChangeStatus.CANCELED
    assert ScheduledChange.objects.filter(
        license=license, status=ScheduledChangeStatus.SCHEDULED
    ).count() == (1 if target == "fewer-seats" and not isinstance(confirmed, StalePreview) else 0)
    print(
        f"\n{target}: confirmation {type(confirmed).__name__}, scheduled change "
        f"{change.status}, staff cancel {type(canceled).__name__}; no deadlock"
    )


def waiting_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        # Read afresh: a transaction keeps its first look at the activity otherwise.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            " AND datname = current_database()"
        )
        return cursor.fetchone()[0] > 0


@NEEDS_POSTGRESQL
@pytest.mark.django_db(transaction=True)
def test_a_license_lock_that_waited_for_an_upgrade_reads_the_upgraded_license(catalog):
    """PostgreSQL rechecks a locked row's joins against the joined rows it first saw: a
    lock taken with the license's version joined, waiting while an upgrade changed that
    version, found no license at all (a trial's "End now" against a conversion)."""
    organization = OrganizationFactory()
    license = subscribed(organization, catalog, "team", seats=8)
    business = catalog.version("business")
    upgraded = threading.Event()

    def upgrade():
        with transaction.atomic():
            License.objects.select_for_update().filter(pk=license.pk).update(version=business)
            upgraded.set()
            for _ in range(200):  # until the other lock waits on this row (at most 10 s)
                if waiting_for_a_lock():
                    break
                time.sleep(0.05)
            else:
                raise AssertionError("the other lock never waited")
        return "upgraded"

    def lock():
        upgraded.wait(10)
        with transaction.atomic():
            return license_lock(license).version.tier.slug

    assert run_together([upgrade, lock]) == ["upgraded", "business"]
