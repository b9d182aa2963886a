"""Trials in the admin: read-only rows with the usage summary, "Extend" with days and a
required reason through trial_extend (admins only), account managers reading their own
customers' trials and no one else's, and trial_days editable on the Tier admin."""

from datetime import UTC, datetime, timedelta

import pytest

from licensing.licenses.services import Actor
from licensing.models import EventKind, Tier, Trial
from licensing.trials.services import trial_start
from tests.factories import OrganizationFactory

LIST = "/admin/licensing/trial/"
END = datetime(2026, 3, 28, tzinfo=UTC)


@pytest.fixture
def ours(issued, catalog):
    business = Tier.objects.get(slug="business")
    return trial_start(
        organization=issued.license.organization, tier=business, actor=Actor(label="owner")
    ).trial


@pytest.fixture
def theirs(catalog):
    business = Tier.objects.get(slug="business")
    other = OrganizationFactory(name="Contoso", slug="contoso")
    return trial_start(organization=other, tier=business, actor=Actor(label="owner")).trial


def test_an_admin_reads_a_trial_with_its_summary_and_cannot_edit_it(admin_client, ours):
    page = admin_client.get(f"{LIST}{ours.pk}/change/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "Audit log export: not used" in body
    assert "API calls a month" in body
    assert 'name="_save"' not in body
    assert "Extend…" in body
    assert admin_client.post(f"{LIST}{ours.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Trial.objects.filter(pk=ours.pk).exists()


def test_an_admin_extends_a_trial_with_a_reason(admin_client, ours):
    response = admin_client.post(
        f"{LIST}{ours.pk}/extend/", {"days": "7", "reason": "Their pilot slipped a week."}
    )
    assert response.status_code == 302
    ours.refresh_from_db()
    assert ours.ends_at == END + timedelta(days=7)
    event = ours.license.events.latest("revision")
    assert (event.kind, event.reason) == (EventKind.TRIAL_EXTENDED, "Their pilot slipped a week.")
    assert event.actor_label.endswith("(admin)")


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"days": "7", "reason": ""}, "This field is required."),
        ({"days": "0", "reason": "Asked."}, "greater than or equal to 1"),
        ({"days": "many", "reason": "Asked."}, "Enter a whole number."),
    ],
)
def test_bad_input_is_told_and_changes_nothing(admin_client, ours, data, error):
    response = admin_client.post(f"{LIST}{ours.pk}/extend/", data)
    assert response.status_code == 200
    assert error in response.content.decode()
    ours.refresh_from_db()
    assert ours.ends_at == END


def test_an_account_manager_reads_only_their_customers_trials(
    client_for, account_manager, ours, theirs
):
    client = client_for(account_manager)
    page = client.get(LIST)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Northwind" in body and "Contoso" not in body
    assert client.get(f"{LIST}{theirs.pk}/change/").status_code == 404
    assert client.get(f"{LIST}{ours.pk}/change/").status_code == 200
    # Reading, not extending: that is an admin's change.
    assert client.get(f"{LIST}{theirs.pk}/extend/").status_code == 404
    response = client.post(f"{LIST}{ours.pk}/extend/", {"days": "7", "reason": "Please."})
    assert response.status_code == 302
    ours.refresh_from_db()
    assert ours.ends_at == END


def test_trial_days_are_set_on_the_tier(admin_client, catalog):
    team = Tier.objects.get(slug="team")
    page = admin_client.get(f"/admin/licensing/tier/{team.pk}/change/")
    assert 'name="trial_days"' in page.content.decode()
