"""The commercial ledger through the admin: a staff operation on a license (which
licensing makes alone) lands in the ledger with an AdminOperation saying who and why; a
change refused writes nothing; the ledger and the operations are read-only."""

from django.contrib.auth.models import Group, Permission

from billing.models import AdminOperation, SubscriptionEvent
from billing.subscriptions.services import subscription_create
from licensing.models import Tier
from licensing.trials.services import trial_start
from portal.models import ACCOUNT_MANAGERS_GROUP
from tests.factories import OrganizationFactory, UserFactory
from tests.helpers.licenses import SYSTEM

LICENSES = "/admin/licensing/license/"


def _subscribe(issued):
    return subscription_create(
        license=issued.license, currency="USD", cycle="monthly", actor=SYSTEM, reason="Bought."
    )


def _operate(admin_client, license, operation, data):
    return admin_client.post(
        f"{LICENSES}{license.pk}/operate/{operation}/", {"confirm": "yes", **data}
    )


def test_a_staff_suspension_and_reinstatement_are_in_the_ledger(admin_client, admin_user, issued):
    subscription = _subscribe(issued)
    _operate(admin_client, issued.license, "suspend", {"reason": "Chargeback."})
    _operate(admin_client, issued.license, "reinstate", {"reason": "Paid."})

    events = list(subscription.events.order_by("pk"))
    assert [(e.kind, e.mrr_before, e.mrr_after) for e in events] == [
        ("purchased", 0, 9500),
        ("suspended", 9500, 0),
        ("reinstated", 0, 9500),
    ]
    suspended = events[1].operation
    assert (suspended.actor, suspended.reason) == (admin_user, "Chargeback.")
    assert suspended.action == "license: status changed"
    assert events[2].operation.reason == "Paid."


def test_a_refused_change_writes_nothing(admin_client, issued):
    subscription = _subscribe(issued)
    before = (SubscriptionEvent.objects.count(), AdminOperation.objects.count())
    # Reinstating a license that is not suspended is refused by licensing.
    _operate(admin_client, issued.license, "reinstate", {"reason": "Nothing to undo."})
    assert (SubscriptionEvent.objects.count(), AdminOperation.objects.count()) == before
    assert subscription.events.count() == 1


def test_the_ledger_is_shown_read_only_with_mrr_and_cause(admin_client, issued):
    subscription = _subscribe(issued)
    event = subscription.events.get()
    page = admin_client.get("/admin/billing/subscriptionevent/").content.decode()
    assert "Purchased" in page and "$95.00" in page
    assert f"Operation {event.operation_id}: subscription_create" in page
    detail = f"/admin/billing/subscriptionevent/{event.pk}/change/"
    shown = admin_client.get(detail).content.decode()
    assert 'name="mrr_after"' not in shown
    # Its title names the license as such, not a bare number.
    assert f"Purchased on license {issued.license.pk} by {event.actor_label}" in shown
    assert admin_client.post(detail, {"mrr_after": "1"}).status_code == 403
    assert admin_client.get("/admin/billing/subscriptionevent/add/").status_code == 403
    operations = admin_client.get("/admin/billing/adminoperation/").content.decode()
    assert "subscription_create" in operations
    assert admin_client.get("/admin/billing/adminoperation/add/").status_code == 403
    inline = admin_client.get(f"/admin/billing/subscription/{subscription.pk}/change/")
    assert "$95.00" in inline.content.decode()


def test_an_account_manager_sees_every_event_of_their_customers_only(
    client_for, account_manager, issued
):
    subscription = _subscribe(issued)
    row = f"/admin/billing/subscriptionevent/{subscription.events.get().pk}/change/"
    may_read = Permission.objects.filter(
        codename__in=["view_subscriptionevent", "view_adminoperation"]
    )
    account_manager.user_permissions.set(may_read)
    client = client_for(account_manager)
    # The purchase came from no checkout: the row is the subscription's organization's.
    assert row in client.get("/admin/billing/subscriptionevent/").content.decode()
    assert client.get(row).status_code == 200
    assert client.get("/admin/billing/adminoperation/").status_code == 403

    other = UserFactory(is_staff=True)
    other.groups.add(Group.objects.get(name=ACCOUNT_MANAGERS_GROUP))
    other.user_permissions.set(may_read)
    OrganizationFactory(account_manager=other)
    client = client_for(other)
    assert row not in client.get("/admin/billing/subscriptionevent/").content.decode()
    assert client.get(row).status_code == 404


def test_a_trial_licenses_events_are_listed_and_scoped_by_the_license(
    client_for, account_manager, admin_client, organization, catalog
):
    """A trial license has no subscription: its trial's events are whose its license is."""
    trial = trial_start(
        organization=organization, tier=Tier.objects.get(slug="team"), actor=SYSTEM
    ).trial
    event = SubscriptionEvent.objects.get(trial=trial)
    row = f"/admin/billing/subscriptionevent/{event.pk}/change/"
    page = admin_client.get("/admin/billing/subscriptionevent/").content.decode()
    assert "Trial started" in page and f"Trial {trial.pk}" in page
    assert "none (no subscription)" in page
    assert admin_client.get(row).status_code == 200

    account_manager.user_permissions.set(
        Permission.objects.filter(codename="view_subscriptionevent")
    )
    listed = client_for(account_manager).get("/admin/billing/subscriptionevent/")
    assert row in listed.content.decode()
    other = UserFactory(is_staff=True)
    other.groups.add(Group.objects.get(name=ACCOUNT_MANAGERS_GROUP))
    other.user_permissions.set(Permission.objects.filter(codename="view_subscriptionevent"))
    assert client_for(other).get(row).status_code == 404
