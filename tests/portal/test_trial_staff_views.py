"""What staff read of a trial (the walk of issue 19, second pass): the book, the account
page and the Trial admin give the same last day as the customer's pages and emails, and
the account page keeps a trial's usage summary once it has ended. "Now" is 14 March 2026."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from licensing.models import Feature, FeatureUse, TrialStatus
from tests.helpers.checkout import subscribed
from tests.helpers.trials import running_trial

pytestmark = pytest.mark.django_db

# A 14-day trial from midnight on 10 March ends at midnight on 24 March: its last day is
# 23 March, as the customer is told.
STARTS = datetime(2026, 3, 10, tzinfo=UTC)


@pytest.fixture
def team(organization, catalog, now):
    return subscribed(organization, catalog, seats=5)


@pytest.fixture
def trial(team, now):
    return running_trial(team, "business", starts_at=STARTS)


def _used(trial, key: str, count: int, at: datetime) -> None:
    FeatureUse.objects.create(
        license=trial.license,
        feature=Feature.objects.get(key=key),
        count=count,
        used_at=at,
        idempotency_key=uuid.uuid4().hex,
        batch=uuid.uuid4(),
    )


def _close(trial, status: str, at: datetime) -> None:
    trial.status, trial.ended_at = status, at
    trial.save(update_fields=["status", "ended_at"])


def _text(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def test_the_book_says_the_trials_last_day(client_for, account_manager, trial):
    page = _text(client_for(account_manager).get("/manage/"))
    assert "Business until 23 Mar" in page
    assert "24 Mar" not in page


def test_the_account_page_says_the_trials_last_day(client_for, account_manager, trial):
    page = _text(client_for(account_manager).get(f"/manage/accounts/{trial.organization_id}/"))
    assert '<td data-label="To" class="nowrap">23 Mar 2026</td>' in page
    assert "24 Mar 2026" not in page


def test_the_trial_admin_lists_and_shows_the_last_day(admin_client, trial):
    listing = _text(admin_client.get("/admin/licensing/trial/"))
    assert "23 Mar 2026" in listing and "March 24" not in listing
    page = _text(admin_client.get(f"/admin/licensing/trial/{trial.pk}/change/"))
    assert "Last day" in page and "23 Mar 2026" in page
    extend = _text(admin_client.get(f"/admin/licensing/trial/{trial.pk}/extend/"))
    assert "runs until the end of\n23 March 2026 (UTC)" in extend


# --- 2. The usage summary outlives the trial ----------------------------------------------


@pytest.mark.parametrize("status", [TrialStatus.ENDED, TrialStatus.CONVERTED])
def test_the_account_page_keeps_a_closed_trials_features_used(
    client_for, account_manager, trial, now, status
):
    _used(trial, "webhooks", 4, STARTS + timedelta(days=1))
    _close(trial, status, now - timedelta(hours=2))
    _used(trial, "webhooks", 9, now - timedelta(hours=1))  # after the end: not the trial's
    page = _text(client_for(account_manager).get(f"/manage/accounts/{trial.organization_id}/"))
    cell = page[page.index('data-label="Extra features used"') :]
    cell = cell[: cell.index("</td>")]
    assert "1 of 2: Webhooks (4)" in cell


def test_a_reverted_trial_keeps_its_summary_after_the_end(client_for, account_manager, trial):
    _used(trial, "webhooks", 3, STARTS + timedelta(days=2))
    later = trial.ends_at + timedelta(days=3)
    with time_machine.travel(later, tick=False):
        _close(trial, TrialStatus.REVERTED, trial.ends_at + timedelta(minutes=5))
        page = _text(client_for(account_manager).get(f"/manage/accounts/{trial.organization_id}/"))
    assert "1 of 2: Webhooks (3)" in page


@pytest.mark.parametrize(
    ("days_after", "signalled"),
    [(0, True), (30, True), (31, False)],
)
def test_the_book_keeps_the_trial_signal_for_30_days_after_the_last_day(
    client_for, account_manager, trial, days_after, signalled
):
    _used(trial, "webhooks", 3, STARTS + timedelta(days=2))
    _close(trial, TrialStatus.REVERTED, trial.ends_at)
    # The last day is 23 March; 30 days after it is 22 April.
    with time_machine.travel(datetime(2026, 3, 23, 12, tzinfo=UTC) + timedelta(days=days_after)):
        page = _text(client_for(account_manager).get("/manage/", {"signal": "trial_features"}))
    assert ("Northwind" in page) is signalled
    if signalled:
        assert "1 trial feature used" in page


def test_a_bought_trial_raises_no_trial_signal(client_for, account_manager, trial, now):
    _used(trial, "webhooks", 3, STARTS + timedelta(days=2))
    _close(trial, TrialStatus.CONVERTED, now)
    page = _text(client_for(account_manager).get("/manage/", {"signal": "trial_features"}))
    assert "Northwind" not in page
