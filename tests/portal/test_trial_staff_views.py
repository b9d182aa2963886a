"""What staff read of a trial (the walk of issue 19, second pass): the book, the account
page and the Trial admin give the same last day as the customer's pages and emails, and
the account page keeps a trial's usage summary once it has ended. "Now" is 14 March 2026."""

from datetime import UTC, datetime

import pytest

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
