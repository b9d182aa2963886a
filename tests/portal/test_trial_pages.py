"""What the trial pages say, checked against what the license actually has (the walk of
issue 19): whose seat maximum the meter names, the seats and limits the start page
promises, one storage figure on the panel and the meter (an admin's override counted),
the last day everywhere, a trial license that expired with its trial, a purchase of
another tier than the trial's, the pricing page's offers, the role before the state on
End now, and the account managers' list of trials. "Now" is 14 March 2026."""

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from licensing.models import (
    EntitlementOverride,
    Feature,
    FeatureUse,
    License,
    LicenseStatus,
    LimitMetric,
    Trial,
    TrialStatus,
)
from licensing.trials.rules import last_day
from licensing.usage.services import UsageReport, usage_record_batch
from portal.models import User
from tests.factories import OrganizationFactory
from tests.helpers.checkout import subscribed
from tests.helpers.trials import running_trial

pytestmark = pytest.mark.django_db

DASHBOARD = "/app/northwind/"
START = "/app/northwind/trials/start/{}/"


@pytest.fixture
def team(organization, catalog, now):
    """Northwind pays for Team: 5 seats (Team allows up to 15)."""
    return subscribed(organization, catalog, seats=5)


@pytest.fixture
def trial(team, now):
    """A Business trial (up to 50 seats) started 4 days ago on the Team license."""
    return running_trial(team, "business", starts_at=now - timedelta(days=4))


def _text(response) -> str:
    return response.content.decode()


def _meter(page: str, title: str) -> str:
    """The dashboard's usage meter named `title`, up to its chart."""
    start = page.index(f">{title}</h4>")
    return page[start : page.index("meter__chart", start)]


# --- 1. The seat meter names whose maximum it is; months before the trial ----------------


def test_the_seat_meter_names_the_trial_tier_as_the_maximums_owner(client_for, owner, trial):
    seats = _meter(_text(client_for(owner).get(DASHBOARD)), "Seats")
    day = f"{last_day(trial.ends_at):%-d %B}"
    assert f"Business, on trial until the end of {day}, allows up to 50" in seats
    assert "Team allows up to 50" not in seats


def test_without_a_trial_the_seat_meter_names_the_plan(client_for, owner, team):
    seats = _meter(_text(client_for(owner).get(DASHBOARD)), "Seats")
    assert "Team allows up to 15" in seats and "on trial" not in seats


def test_an_enterprise_trial_names_enterprise_as_without_maximum(client_for, owner, team):
    running_trial(team, "enterprise")
    seats = _meter(_text(client_for(owner).get(DASHBOARD)), "Seats")
    assert "Enterprise, on trial until the end of" in seats and "has no maximum" in seats
    assert "Team has no maximum" not in seats


def test_the_usage_table_gives_months_before_the_trial_the_plans_limit(
    client_for, owner, team, now
):
    # The license started in January; the trial in March: January and February were
    # Team's 100,000 calls, March is Business's 1,000,000.
    License.objects.filter(pk=team.pk).update(created_at=now - timedelta(days=70))
    License.objects.filter(pk=team.pk).update(term_start=(now - timedelta(days=70)).date())
    running_trial(team, "business", starts_at=now - timedelta(days=2))
    page = _text(client_for(owner).get(DASHBOARD))
    start = page.index("API calls a month by month, as a table")
    table = page[start : page.index("</table>", start)]
    assert (
        '<td>January 2026</td><td class="text-right">0</td><td class="text-right">100,000</td>'
        in table
    )
    assert (
        '<td>March 2026</td><td class="text-right">0</td><td class="text-right">1,000,000</td>'
        in table
    )


def test_the_usage_chart_draws_the_trials_limit_over_its_months_only(client_for, owner, team, now):
    # As above: January and February had Team's 100,000 calls, March Business's
    # 1,000,000. The chart draws each month's own limit over its bar, not one line
    # across all three, and says so in its label.
    License.objects.filter(pk=team.pk).update(created_at=now - timedelta(days=70))
    License.objects.filter(pk=team.pk).update(term_start=(now - timedelta(days=70)).date())
    running_trial(team, "business", starts_at=now - timedelta(days=2))
    page = _text(client_for(owner).get(DASHBOARD))
    label = page[page.index('aria-label="API calls a month') :]
    label = label[: label.index('">')]
    assert "against a limit of 1,000,000 calls (100,000 calls in January, February)" in label
    start = page.index(label)
    chart = page[start : page.index("</svg>", start)]
    heights = re.findall(r'<path d="M[\d.]+ ([\d.]+)H[\d.]+" class="limit-step"', chart)
    assert len(heights) == 3  # one per month
    assert heights[0] == heights[1] != heights[2]  # the plan's twice, then the trial's
    assert float(heights[2]) < float(heights[0])  # the trial's is higher up: larger
    assert 'class="major"' not in chart  # no one guide line across every month
    # Seats count against the 5 bought, trial or not: one limit, one guide line.
    start = page.index('aria-label="Seats over the last 3 months')
    seats = page[start : page.index("</svg>", start)]
    assert "limit-step" not in seats and 'class="major">5<' in seats


# --- 2. The start page promises what the license will have ------------------------------


def test_the_start_page_promises_a_paying_license_its_seats_bought(client_for, owner, team):
    page = _text(client_for(owner).get(START.format("business")))
    start = page.index('id="trial-limits-caption"')
    table = page[start : page.index("</table>", start)]
    seats = table[table.index(">Seats<") : table.index("</tr>", table.index(">Seats<"))]
    assert "5 seats" in seats and "50 seats" not in seats
    storage = table[table.index(">Storage<") : table.index("</tr>", table.index(">Storage<"))]
    assert "50 GB" in storage and "250 GB" in storage  # Team's now, Business's during


def test_the_start_page_promises_a_new_trial_license_its_trial_seats(client_for, owner, catalog):
    page = _text(client_for(owner).get(START.format("business")))
    start = page.index('id="trial-limits-caption"')
    table = page[start : page.index("</table>", start)]
    seats = table[table.index(">Seats<") : table.index("</tr>", table.index(">Seats<"))]
    # Business is sold from 10 seats: the trial license has them, so buying it keeps them.
    assert "<strong>10 seats</strong>" in seats and "50 seats" not in seats
    # What the start then gives is what the page said.
    client_for(owner).post(START.format("business"))
    assert License.objects.get(status=LicenseStatus.TRIALING).seats == 10


def test_the_start_page_counts_an_override_as_the_resolver_does(client_for, owner, team, now):
    EntitlementOverride.objects.create(
        license=team,
        metric=LimitMetric.objects.get(key="storage"),
        value=400,
        reason="Archive migration",
        starts_at=now - timedelta(days=1),
    )
    page = _text(client_for(owner).get(START.format("business")))
    start = page.index('id="trial-limits-caption"')
    table = page[start : page.index("</table>", start)]
    storage = table[table.index(">Storage<") : table.index("</tr>", table.index(">Storage<"))]
    assert "<strong>400 GB</strong>" in storage


# --- 3. One storage figure on the panel and the meter ----------------------------------


def test_the_panel_and_the_meter_show_the_same_limit_under_an_override(
    client_for, owner, team, trial, now
):
    EntitlementOverride.objects.create(
        license=team,
        metric=LimitMetric.objects.get(key="storage"),
        value=400,
        reason="Archive migration",
        starts_at=now - timedelta(days=1),
    )
    usage_record_batch(
        license=team, reports=[UsageReport(metric="storage", quantity=140, idempotency_key="s")]
    )
    page = _text(client_for(owner).get(DASHBOARD))
    panel = page[page.index(f'id="trial-{trial.pk}"') :]
    panel = panel[: panel.index("</section>") if "</section>" in panel else None]
    assert "140 of 400 GB" in panel and "2,000" not in panel and "250 GB" not in panel
    assert "140 of 400 GB" in _meter(page, "Storage")


# --- 4. The last day everywhere ---------------------------------------------------------


def test_the_feature_list_says_the_trials_last_day(client_for, owner, team):
    # Started at midnight on 10 March for 14 days: its grants end at 00:00 on 24 March,
    # so its last day is 23 March.
    running_trial(team, "business", starts_at=datetime(2026, 3, 10, tzinfo=UTC))
    page = _text(client_for(owner).get(DASHBOARD))
    chips = page[page.index("What your license includes") :]
    assert "Audit log export · trial: Business · until the end of 23 Mar 2026" in chips
    assert "24 Mar" not in chips


def test_a_reverted_trial_ended_at_the_end_of_its_last_day(client_for, owner, team, now):
    trial = running_trial(team, "business", starts_at=datetime(2026, 2, 28, tzinfo=UTC))
    # The job ran the morning after the last day: the page names the last day.
    Trial.objects.filter(pk=trial.pk).update(
        status=TrialStatus.REVERTED, ended_at=trial.ends_at + timedelta(hours=3)
    )
    page = _text(client_for(owner).get(f"/app/northwind/trials/{trial.pk}/"))
    assert "It ended at the end of" in page and "13 March 2026" in page
    assert "14 March 2026" not in page


def test_a_trial_ended_early_says_the_day_it_was_ended(client_for, owner, trial, now):
    Trial.objects.filter(pk=trial.pk).update(
        status=TrialStatus.ENDED, ended_at=now - timedelta(days=1)
    )
    page = _text(client_for(owner).get(f"/app/northwind/trials/{trial.pk}/"))
    assert "You ended it on" in page and "13 March 2026" in page


# --- 5. A trial license that expired with its trial -------------------------------------


def _trial_license_trial(client_for, owner, tier="business") -> Trial:
    client = client_for(owner)
    assert client.post(START.format(tier)).status_code == 302
    trial = Trial.objects.get(tier__slug=tier)
    response = client.post(f"/app/northwind/trials/{trial.pk}/end/", {"reason": ""})
    assert response.status_code == 302
    trial.refresh_from_db()
    return trial


def test_an_expired_trial_license_says_so_and_offers_to_buy(client_for, owner, catalog):
    trial = _trial_license_trial(client_for, owner)
    assert trial.license.status == LicenseStatus.EXPIRED
    page = _text(client_for(owner).get(f"/app/northwind/trials/{trial.pk}/"))
    assert "Your trial license has expired with the trial" in page
    assert "nothing is read-only" not in page
    assert "/app/northwind/checkout/?tier=business" in page
    dashboard = _text(client_for(owner).get(DASHBOARD))
    assert "This trial license expired with your Business trial" in dashboard
    assert "Buy again" not in dashboard and "Buy Business" in dashboard


def test_an_organization_without_a_plan_is_told_of_a_trial_license(client_for, owner, catalog):
    page = _text(client_for(owner).get(START.format("business")))
    assert "The trial license expires" in page
    assert "What is beyond your plan is kept, read-only" not in page
    dashboard = _text(client_for(owner).get(DASHBOARD))
    assert "trial license that expires at its end unless you buy a plan" in dashboard
    assert "you go back to where you are now" not in dashboard


def test_ending_a_trial_license_early_is_worded_for_it(client_for, owner, catalog):
    client = client_for(owner)
    client.post(START.format("business"))
    trial = Trial.objects.get()
    page = _text(client.get(f"/app/northwind/trials/{trial.pk}/end/"))
    assert "Your trial license stops working now" in page
    assert "what is beyond your plan is kept" not in page


# --- 6. A purchase of another tier than the trial's -------------------------------------


def test_buying_another_tier_says_what_was_bought_and_what_is_read_only(
    client_for, owner, catalog, now
):
    client = client_for(owner)
    client.post(START.format("business"))
    trial = Trial.objects.get()
    FeatureUse.objects.create(
        license=trial.license,
        feature=Feature.objects.get(key="webhooks"),
        count=3,
        used_at=now,
        idempotency_key=uuid.uuid4().hex,
        batch=uuid.uuid4(),
    )
    # Team bought on the trial license (billing's conversion writes this).
    License.objects.filter(pk=trial.license_id).update(
        version=catalog.version("team"), status=LicenseStatus.ACTIVE
    )
    Trial.objects.filter(pk=trial.pk).update(status=TrialStatus.CONVERTED, ended_at=now)
    page = _text(client.get(f"/app/northwind/trials/{trial.pk}/"))
    assert "You bought Team" in page and "You bought Business" not in page
    assert "No longer included:" in page and "Webhooks" in page


# --- 7. The pricing page offers only what the organization may try ---------------------


def test_pricing_does_not_offer_a_tier_the_organization_tried(client_for, owner, catalog):
    _trial_license_trial(client_for, owner, "team")
    page = _text(client_for(owner).get("/pricing/"))
    assert 'data-trial="team"' not in page
    assert 'data-trial="business"' in page
    # A visitor is still offered every trial (the cached page).
    assert 'data-trial="team"' in _text(Client().get("/pricing/"))


# --- 8. The role before the state -------------------------------------------------------


def test_a_member_ending_an_ended_trial_gets_403(client_for, teammate, trial):
    Trial.objects.filter(pk=trial.pk).update(status=TrialStatus.ENDED, ended_at=trial.starts_at)
    response = client_for(teammate).post(f"/app/northwind/trials/{trial.pk}/end/")
    assert response.status_code == 403
    assert "Only an owner or a billing admin" in _text(response)


def test_an_outsider_gets_404_on_the_trial_pages(client_for, outsider, trial):
    for path in ("", "end/"):
        assert (
            client_for(outsider).get(f"/app/northwind/trials/{trial.pk}/{path}").status_code == 404
        )


# --- 9. The account managers' trials ----------------------------------------------------


def test_an_account_manager_sees_the_trials_running_in_their_accounts(
    client_for, account_manager, trial, catalog, now
):
    FeatureUse.objects.create(
        license=trial.license,
        feature=Feature.objects.get(key="webhooks"),
        count=4,
        used_at=now - timedelta(hours=1),
        idempotency_key=uuid.uuid4().hex,
        batch=uuid.uuid4(),
    )
    elsewhere = OrganizationFactory(name="Initech")
    elsewhere.account_manager = User.objects.create_user("other.am@example.com")
    elsewhere.save()
    theirs = running_trial(subscribed(elsewhere, catalog, seats=3), "business")
    manager = client_for(account_manager)
    book = _text(manager.get("/manage/"))
    assert f"Business until {last_day(trial.ends_at):%-d %b}" in book
    assert "Initech" not in book
    page = _text(manager.get(f"/manage/accounts/{trial.organization_id}/"))
    row = page[page.index(f'id="manage-trial-{trial.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "Business" in row and "Running" in row
    assert f"{last_day(trial.ends_at):%-d %b %Y}" in row
    assert "1 of 2" in row and "Webhooks (4)" in row
    assert f"/admin/licensing/trial/{trial.pk}/change/" in row
    assert manager.get(f"/manage/accounts/{elsewhere.pk}/").status_code == 404
    assert theirs.organization_id == elsewhere.pk
