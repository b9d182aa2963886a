""" "See the trial, as it ran" (the ended-trial email's link): a closed trial's page shows
the extra features used with their counts, the unused ones, and usage against the trial
tier's limits as it stood at the end. "Now" is 14 March 2026."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from licensing.models import Feature, FeatureUse, TrialStatus
from licensing.usage.services import UsageReport, usage_record_batch
from tests.helpers.checkout import subscribed
from tests.helpers.trials import running_trial

pytestmark = pytest.mark.django_db

STARTS = datetime(2026, 3, 10, tzinfo=UTC)  # its last day is 23 March


@pytest.fixture
def team(organization, catalog, now):
    return subscribed(organization, catalog, seats=5)


@pytest.fixture
def trial(team, now):
    trial = running_trial(team, "business", starts_at=STARTS)
    FeatureUse.objects.create(
        license=team,
        feature=Feature.objects.get(key="webhooks"),
        count=4,
        used_at=now - timedelta(hours=1),
        idempotency_key=uuid.uuid4().hex,
        batch=uuid.uuid4(),
    )
    usage_record_batch(
        license=team, reports=[UsageReport(metric="storage", quantity=140, idempotency_key="s")]
    )
    return trial


def _section(client, trial) -> str:
    response = client.get(f"/app/northwind/trials/{trial.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    start = page.index(f'id="trial-ran-{trial.pk}"')
    return page[start : page.index("</section>", start)]


@pytest.mark.parametrize("status", [TrialStatus.REVERTED, TrialStatus.ENDED])
def test_a_closed_trials_page_shows_how_it_ran(client_for, teammate, trial, status):
    with time_machine.travel(datetime(2026, 3, 26, 8, tzinfo=UTC), tick=False):
        trial.status, trial.ended_at = status, trial.ends_at
        trial.save(update_fields=["status", "ended_at"])
        section = _section(client_for(teammate), trial)
    assert "How the trial ran" in section
    assert "From <time" in section and "10 March 2026" in section
    assert "Webhooks" in section and "4 uses" in section
    assert "Audit log export" in section and "Not used" in section
    assert "140 of 250 GB" in section  # Business's limit, not Team's 50 GB


def test_use_after_an_early_end_is_not_the_trials(client_for, owner, trial, now):
    trial.status, trial.ended_at = TrialStatus.ENDED, now
    trial.save(update_fields=["status", "ended_at"])
    FeatureUse.objects.create(
        license=trial.license,
        feature=Feature.objects.get(key="webhooks"),
        count=9,
        used_at=now + timedelta(hours=1),
        idempotency_key=uuid.uuid4().hex,
        batch=uuid.uuid4(),
    )
    with time_machine.travel(now + timedelta(days=1), tick=False):
        section = _section(client_for(owner), trial)
    assert "4 uses" in section and "13 uses" not in section


def test_a_running_trial_shows_its_panel_not_the_closed_section(client_for, owner, trial):
    page = client_for(owner).get(f"/app/northwind/trials/{trial.pk}/").content.decode()
    assert f'id="trial-{trial.pk}"' in page and "How the trial ran" not in page
