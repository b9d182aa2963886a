"""The dashboard's trial panel (templates/portal/trials/_panel.html) with real FeatureUse
rows: days left and the end, the trial tier's extra features used and how often (the
never-used ones too, with what each does), usage against the trial tier's limits, and
the two choices for owners and billing admins only; End now; and after the trial, what
exceeds the plan kept read-only. "Now" is 14 March 2026."""

import uuid
from datetime import timedelta

import pytest

from licensing.models import Feature, FeatureUse, LicenseEvent, Trial, TrialStatus
from licensing.usage.services import UsageReport, usage_record_batch
from tests.helpers.checkout import subscribed
from tests.helpers.trials import running_trial

pytestmark = pytest.mark.django_db

DASHBOARD = "/app/northwind/"


@pytest.fixture
def team(organization, catalog, now):
    return subscribed(organization, catalog, seats=5)


@pytest.fixture
def trial(team, now):
    """A Business trial started 4 days ago on Northwind's Team license."""
    return running_trial(team, "business", starts_at=now - timedelta(days=4))


def _used(license, feature, count, at, key=None):
    return FeatureUse.objects.create(
        license=license,
        feature=Feature.objects.get(key=feature),
        count=count,
        used_at=at,
        idempotency_key=key or uuid.uuid4().hex,
        batch=uuid.uuid4(),
    )


def _panel(page: str, trial) -> str:
    """The trial panel's card, from its id to the renewal panel that follows it."""
    start = page.index(f'id="trial-{trial.pk}"')
    return page[start : page.index('id="renewal-', start)]


def test_the_panel_shows_days_left_features_used_and_never_used(
    client_for, owner, team, trial, now
):
    _used(team, "webhooks", 5, now - timedelta(days=2))
    _used(team, "webhooks", 7, now - timedelta(hours=1))
    _used(team, "webhooks", 100, now - timedelta(days=9))  # before the trial: not counted
    _used(team, "coupons", 40, now)  # Team has coupons: not one of Business's extras
    page = client_for(owner).get(DASHBOARD).content.decode()
    panel = _panel(page, trial)
    assert "Business trial" in panel
    # Started at 09:30 on 10 March for 14 days: it ends at 09:30 on 24 March, its last
    # day, 11 days from 14 March with both counted.
    assert "11 days left" in panel and "24 March 2026" in panel
    assert "12 uses" in panel  # webhooks: 5 + 7
    # Business's other extra over Team, never used, is listed with what it does.
    assert "Audit log export" in panel and "Not used yet" in panel
    assert "Every change on record for your auditors." in panel
    assert panel.index("Webhooks") < panel.index("Audit log export")  # used ones first
    assert "Coupons" not in panel
    assert "Keep Business: buy it" in panel
    assert f"/app/northwind/trials/{trial.pk}/end/" in panel


def test_the_panel_meters_count_against_the_trial_tiers_limits(client_for, owner, team, trial):
    usage_record_batch(
        license=team,
        reports=[UsageReport(metric="api-calls", quantity=150_000, idempotency_key="a")],
    )
    panel = _panel(client_for(owner).get(DASHBOARD).content.decode(), trial)
    # Business allows 1,000,000 API calls a month (Team: 100,000).
    assert "150,000 of 1,000,000 calls" in panel


def test_the_convert_link_goes_to_the_checkout_for_the_tier(client_for, owner, trial):
    panel = _panel(client_for(owner).get(DASHBOARD).content.decode(), trial)
    assert 'href="/app/northwind/checkout/?tier=business"' in panel


def test_a_member_reads_the_panel_without_the_buttons(client_for, teammate, team, trial, now):
    _used(team, "webhooks", 3, now - timedelta(minutes=1))
    panel = _panel(client_for(teammate).get(DASHBOARD).content.decode(), trial)
    assert "3 uses" in panel
    assert "Keep Business: buy it" not in panel and "/end/" not in panel
    assert "An owner or billing admin can keep Business or end the trial" in panel


def test_end_now_asks_then_ends_with_the_reason_on_record(client_for, owner, team, trial):
    client = client_for(owner)
    asked = client.get(f"/app/northwind/trials/{trial.pk}/end/")
    assert asked.status_code == 200
    assert "You are back on Team now, billed as before" in asked.content.decode()
    assert 'would run until the end of <time datetime="2026-03-24">24 March 2026</time>' in (
        asked.content.decode()
    )
    trial.refresh_from_db()
    assert trial.status == TrialStatus.RUNNING  # a GET ends nothing
    ended = client.post(f"/app/northwind/trials/{trial.pk}/end/", {"reason": "Too much for us."})
    assert (ended.status_code, ended["Location"]) == (302, DASHBOARD)
    trial.refresh_from_db()
    assert trial.status == TrialStatus.ENDED
    event = LicenseEvent.objects.filter(license=team).latest("pk")
    assert event.reason == "Too much for us."
    again = client.post(f"/app/northwind/trials/{trial.pk}/end/")
    assert again.status_code == 409
    assert "already ended" in again.content.decode()


def test_end_now_is_for_owners_and_billing_admins(client_for, teammate, outsider, trial):
    member = client_for(teammate)
    assert member.post(f"/app/northwind/trials/{trial.pk}/end/").status_code == 403
    outside = client_for(outsider)
    assert outside.get(f"/app/northwind/trials/{trial.pk}/end/").status_code == 404
    assert outside.post(f"/app/northwind/trials/{trial.pk}/end/").status_code == 404
    trial.refresh_from_db()
    assert trial.status == TrialStatus.RUNNING


def test_a_long_reason_is_refused_with_a_422(client_for, owner, trial):
    response = client_for(owner).post(
        f"/app/northwind/trials/{trial.pk}/end/", {"reason": "x" * 301}
    )
    assert response.status_code == 422
    trial.refresh_from_db()
    assert trial.status == TrialStatus.RUNNING


def test_after_the_trial_what_exceeds_the_plan_is_kept_read_only(
    client_for, owner, team, trial, now
):
    usage_record_batch(
        license=team,
        reports=[UsageReport(metric="api-calls", quantity=150_000, idempotency_key="a")],
    )
    Trial.objects.filter(pk=trial.pk).update(status=TrialStatus.ENDED, ended_at=now)
    page = client_for(owner).get(DASHBOARD).content.decode()
    assert f'id="trial-{trial.pk}"' not in page  # no panel after it ended
    assert "Your Business trial has ended; nothing made during it was deleted." in page
    assert "API calls a month" in page and "150,000 calls this period" in page
    assert "No longer included:" in page and "Audit log export" in page


def test_nothing_is_said_after_a_converted_trial(client_for, owner, team, now):
    trial = running_trial(team, "business", starts_at=now - timedelta(days=2))
    Trial.objects.filter(pk=trial.pk).update(status=TrialStatus.CONVERTED, ended_at=now)
    page = client_for(owner).get(DASHBOARD).content.decode()
    assert "trial has ended" not in page  # bought: nothing read-only


def test_the_trial_page_the_emails_point_to_shows_the_panel_then_the_end(
    client_for, owner, teammate, outsider, team, trial, now
):
    url = f"/app/northwind/trials/{trial.pk}/"
    page = client_for(owner).get(url).content.decode()
    assert "Your Business trial" in page and f'id="trial-{trial.pk}"' in page
    assert "End the trial now" in page
    assert "End the trial now" not in client_for(teammate).get(url).content.decode()
    assert client_for(outsider).get(url).status_code == 404
    Trial.objects.filter(pk=trial.pk).update(status=TrialStatus.REVERTED, ended_at=now)
    page = client_for(owner).get(url).content.decode()
    # Its last day, not when the job that reverted it ran (ended_at).
    assert "It ended at the end of" in page and "24 March 2026" in page
    assert "No longer included:" in page


def test_the_license_header_says_the_trial_beside_the_plans_status(client_for, owner, trial):
    page = client_for(owner).get(DASHBOARD).content.decode()
    title = page[page.index(f'id="license-{trial.license_id}-title"') :]
    title = title[: title.index("</h2>")]
    assert "Active</span>" in title
    assert f"Business trial until {trial.last_day:%-d %b}</span>" in title


def test_without_a_trial_the_header_has_no_trial_badge(client_for, owner, team):
    page = client_for(owner).get(DASHBOARD).content.decode()
    assert f'id="license-{team.pk}-trial-badge"' not in page
