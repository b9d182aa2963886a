"""A suspended license grants nothing, its trial included (licensing.licenses.entitlements.
usable_trial, the rule of usable_entitlements): while it is suspended, the API's answer,
the signed license file and the dashboard name the plan underneath, never the running
trial's tier or limits as in force; reinstated while the trial runs, the trial applies
again. "Now" is 14 March 2026; the Business trial on Northwind's Team runs to 28 March."""

from datetime import timedelta

import pytest

from billing.trials.notices import trial_revert_and_tell
from licensing.licenses import signing
from licensing.licenses.services import (
    Actor,
    license_latest_file,
    license_reinstate,
    license_suspend,
)
from licensing.models import Tier
from licensing.trials.services import trial_start
from portal.models import OutboundEmail
from tests.helpers.checkout import subscribed
from tests.helpers.licenses import SYSTEM
from tests.helpers.trials import running_trial

NOTHING = {"features": [], "limits": {}, "feature_until": {}}
DASHBOARD = "/app/northwind/"


@pytest.fixture
def started(issued, catalog):
    business = Tier.objects.get(slug="business")
    return trial_start(
        organization=issued.license.organization, tier=business, actor=Actor(label="owner")
    )


def _signed(license) -> dict:
    return signing.verify(license_latest_file(license).body, signing.public_key_pem())


def test_the_api_names_no_trial_while_the_license_is_suspended(api, issued, started):
    running = api("licenses/validate", {"key": issued.key}).json()
    assert (running["license"]["tier"], running["trial"]["tier"]["slug"]) == (
        "business",
        "business",
    )

    license_suspend(license=issued.license, actor=SYSTEM, reason="Unpaid.")
    body = api("licenses/validate", {"key": issued.key}).json()

    assert (body["valid"], body["code"]) == (False, "suspended")
    assert (body["license"]["tier"], body["license"]["version"]) == ("team", 2)
    assert body["trial"] is None
    assert body["entitlements"] == NOTHING


def test_the_license_file_names_no_trial_while_the_license_is_suspended(issued, started):
    assert _signed(issued.license)["trial"]["tier"]["slug"] == "business"

    license_suspend(license=issued.license, actor=SYSTEM, reason="Unpaid.")
    payload = _signed(issued.license)

    assert payload["status"] == "suspended"
    assert "trial" not in payload
    assert payload["entitlements"] == NOTHING


def test_reinstated_while_the_trial_runs_the_trial_applies_again(api, issued, started):
    license_suspend(license=issued.license, actor=SYSTEM, reason="Unpaid.")
    license_reinstate(license=issued.license, actor=SYSTEM, reason="Paid.")

    body = api("licenses/validate", {"key": issued.key}).json()
    payload = _signed(issued.license)
    assert body["trial"]["tier"]["slug"] == payload["trial"]["tier"]["slug"] == "business"
    assert body["entitlements"]["limits"]["api-calls"]["value"] == 1_000_000
    assert payload["entitlements"] == body["entitlements"]


def test_the_dashboard_shows_the_trial_on_hold_not_in_force(client_for, owner, catalog, now):
    team = subscribed(owner.memberships.get().organization, catalog, seats=5)
    trial = running_trial(team, "business", starts_at=now - timedelta(days=4))
    in_force = client_for(owner).get(DASHBOARD).content.decode()
    assert f'id="license-{team.pk}-trial-badge"' in in_force
    assert "You are trying Business" in in_force

    license_suspend(license=team, actor=SYSTEM, reason="Unpaid.")
    page = client_for(owner).get(DASHBOARD).content.decode()

    assert f'id="license-{team.pk}-trial-badge"' not in page
    assert "You are trying Business" not in page
    assert "Business, on trial" not in page  # the seats meter's maximum is Team's
    assert "1,000,000" not in page  # Business's API calls are not shown as the limit
    assert "of 100,000 calls" in page
    assert "Audit log export" not in page  # only Business has it
    held = page[page.index(f'id="trial-{trial.pk}"') :]
    assert "the Business trial grants nothing" in held


def test_the_trial_page_shows_the_trial_on_hold_not_in_force(client_for, owner, catalog, now):
    """The trial's own page (where its reminder emails point) says what the dashboard says."""
    team = subscribed(owner.memberships.get().organization, catalog, seats=5)
    trial = running_trial(team, "business", starts_at=now - timedelta(days=4))
    url = f"/app/northwind/trials/{trial.pk}/"
    in_force = client_for(owner).get(url).content.decode()
    assert "Running until the end of" in in_force

    license_suspend(license=team, actor=SYSTEM, reason="Unpaid.")
    response = client_for(owner).get(url)
    page = response.content.decode()

    assert response.status_code == 200
    assert "Running until the end of" not in page
    assert "On hold while the license is suspended" in page
    assert "You are trying Business" not in page
    assert "1,000,000" not in page
    assert "Unpaid." not in page
    held = page[page.index(f'id="trial-{trial.pk}"') :]
    assert "the Business trial grants nothing" in held


def _suspended_with_trial(organization, catalog, now):
    team = subscribed(organization, catalog, seats=5)
    trial = running_trial(team, "business", starts_at=now - timedelta(days=4))
    license_suspend(license=team, actor=SYSTEM, reason="Unpaid.")
    return team, trial


def test_the_started_page_shows_the_trial_on_hold(client_for, owner, catalog, now):
    _, trial = _suspended_with_trial(owner.memberships.get().organization, catalog, now)

    page = client_for(owner).get(f"/app/northwind/trials/{trial.pk}/started/").content.decode()

    assert "Your Business trial is on hold" in page
    assert "while the license is suspended it grants nothing" in page
    assert "has started" not in page
    assert "Your software sees it at its next check" not in page
    assert "the same key keeps working" not in page


def test_the_start_page_names_the_running_trial_on_hold(client_for, owner, catalog, now):
    _suspended_with_trial(owner.memberships.get().organization, catalog, now)

    page = client_for(owner).get("/app/northwind/trials/start/business/").content.decode()

    assert "Your Business trial is on hold" in page
    assert "while the license is suspended" in page
    assert "is running now" not in page


def test_the_end_page_says_the_license_stays_suspended(client_for, owner, catalog, now):
    _, trial = _suspended_with_trial(owner.memberships.get().organization, catalog, now)

    page = client_for(owner).get(f"/app/northwind/trials/{trial.pk}/end/").content.decode()

    assert "The license stays suspended: ending the trial does not lift that" in page
    assert "billed as before" not in page


def test_the_trial_ended_email_says_the_license_is_still_suspended(
    owner, organization, catalog, now
):
    team = subscribed(organization, catalog, seats=5)
    trial = running_trial(team, "business", starts_at=now - timedelta(days=15))
    license_suspend(license=team, actor=SYSTEM, reason="Unpaid.")

    assert trial_revert_and_tell(trial_id=trial.pk, at=now)

    email = OutboundEmail.objects.get(subject__startswith="Your Business trial has ended")
    for body in (email.body_text, email.body_html):
        assert "at the price you paid before" not in body
        assert "still suspended" in body or "still <strong>suspended</strong>" in body
        assert "ending the trial did not lift that" in body
