"""Starting a trial through the pages (PRODUCT.md rule 6): the pricing, comparison and
dashboard offers only where the rule allows; the start page that says what happens; who
may start (owners and billing admins), what a member sees (who can), outsiders' 404, a
signed-out visitor sent to sign up and back, a refusal's reason with a 4xx, and a double
POST. "Now" is 14 March 2026; Team and Business offer 14 days."""

import pytest
from django.utils.html import escape

from licensing.models import License, LicenseStatus, Trial, TrialStatus
from tests.factories import UserFactory
from tests.helpers.checkout import subscribed
from tests.helpers.trials import running_trial

pytestmark = pytest.mark.django_db

START = "/app/northwind/trials/start/{}/"
DASHBOARD = "/app/northwind/"


@pytest.fixture
def team(organization, catalog, now):
    """Northwind pays for Team (5 seats, monthly)."""
    return subscribed(organization, catalog, seats=5)


def test_the_start_page_says_what_happens_for_a_paying_organization(client_for, owner, team):
    response = client_for(owner).get(START.format("business"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Try Business free for 14 days" in page
    assert "27 March 2026" in page  # the last day: 14 days from 14 March, today included
    assert "No payment details are asked" in page
    assert "your Team plan is billed exactly as before" in page
    assert "You go back to Team by yourself" in page
    assert "Audit log export" in page  # what Business adds to Team
    assert "Start the Business trial" in page
    assert not Trial.objects.exists()  # a GET starts nothing


@pytest.mark.parametrize("role", ["owner", "billing_admin"])
def test_an_owner_or_billing_admin_starts_it_on_the_license(client_for, team, role, request):
    user = request.getfixturevalue(role)
    client = client_for(user)
    response = client.post(START.format("business"))
    trial = Trial.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/app/northwind/trials/{trial.pk}/started/"
    assert (trial.license, trial.tier.slug, trial.status) == (team, "business", "running")
    assert trial.started_by == user
    team.refresh_from_db()
    assert (team.version.tier.slug, team.status) == ("team", LicenseStatus.ACTIVE)
    page = client.get(response["Location"]).content.decode()
    assert "Your Business trial has started" in page
    assert "the same key keeps working" in page


def test_a_new_organization_gets_a_trial_license_and_its_key_once(client_for, owner, catalog, now):
    client = client_for(owner)
    response = client.post(START.format("team"))
    license = License.objects.get(organization__slug="northwind")
    assert license.status == LicenseStatus.TRIALING
    first = client.get(response["Location"]).content.decode()
    assert 'id="secret-value"' in first and "shown only this once" in first
    again = client.get(response["Location"]).content.decode()
    assert 'id="secret-value"' not in again
    assert "was shown once" in again and license.masked_key in again


def test_a_member_sees_who_can_start_it(client_for, teammate, owner, billing_admin, team):
    client = client_for(teammate)
    page = client.get(START.format("business")).content.decode()
    assert "Only an owner or a billing admin can start a trial" in page
    assert escape(owner.display_name) in page and escape(billing_admin.display_name) in page
    assert "Start the Business trial" not in page
    refused = client.post(START.format("business"))
    assert refused.status_code == 403
    assert not Trial.objects.exists()


def test_an_outsider_gets_404(client_for, outsider, team):
    client = client_for(outsider)
    assert client.get(START.format("business")).status_code == 404
    assert client.post(START.format("business")).status_code == 404
    assert not Trial.objects.exists()


def test_a_signed_out_visitor_is_sent_to_sign_in_and_back(client, team):
    response = client.get(START.format("business"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert "next=/app/northwind/trials/start/business/" in response["Location"]
    assert client.post(START.format("business")).status_code == 302
    assert not Trial.objects.exists()


def test_the_pricing_entry_sends_a_visitor_to_sign_up_and_a_member_to_the_start(
    client, client_for, owner, team
):
    visitor = client.get("/pricing/try/business/")
    assert visitor["Location"].startswith("/accounts/signup/")
    assert "next=%2Fpricing%2Ftry%2Fbusiness%2F" in visitor["Location"]
    signed_in = client_for(owner).get("/pricing/try/business/")
    assert signed_in["Location"] == START.format("business")


def test_a_double_post_says_it_already_started(client_for, owner, team):
    client = client_for(owner)
    client.post(START.format("business"))
    second = client.post(START.format("business"))
    assert second.status_code == 409
    assert "Your Business trial is running now" in second.content.decode()
    # The first one's last day (started 14 March for 14 days), and the way to it.
    assert "27 March 2026" in second.content.decode()
    assert f"/app/northwind/trials/{Trial.objects.get().pk}/" in second.content.decode()
    assert Trial.objects.count() == 1


@pytest.mark.parametrize(
    "tier, reason",
    [
        ("starter", "Starter has no trial."),
        ("team", "Your plan already includes what Team offers"),
    ],
)
def test_a_refused_start_says_the_rule_with_a_4xx(client_for, owner, team, tier, reason):
    client = client_for(owner)
    shown = client.get(START.format(tier))
    posted = client.post(START.format(tier))
    for response in (shown, posted):
        assert response.status_code == 409
        assert escape(reason) in response.content.decode()
    assert not Trial.objects.exists()


def test_a_tier_tried_once_is_refused_after_it_ended(client_for, owner, team, now):
    trial = running_trial(team, "business")
    Trial.objects.filter(pk=trial.pk).update(status=TrialStatus.ENDED, ended_at=now)
    response = client_for(owner).post(START.format("business"))
    assert response.status_code == 409
    assert "each tier is tried once" in response.content.decode()


def test_the_offers_follow_the_rule_on_every_page(client_for, owner, team, organization):
    client = client_for(owner)
    pricing = client.get("/pricing/").content.decode()
    assert 'data-trial="business"' in pricing  # higher than Team, never tried
    assert 'data-trial="team"' not in pricing  # their own plan
    assert 'data-trial="starter"' not in pricing  # no trial
    compare = client.get("/pricing/compare/team/business/").content.decode()
    assert "Try Business free for 14 days" in compare
    dashboard = client.get(DASHBOARD).content.decode()
    assert f'href="{START.format("business")}"' in dashboard
    running_trial(team, "business")
    assert 'data-trial="business"' not in client.get("/pricing/").content.decode()
    assert "Try Business free" not in client.get("/pricing/compare/team/business/").content.decode()
    assert f'href="{START.format("business")}"' not in client.get(DASHBOARD).content.decode()


def test_a_visitor_is_offered_every_tier_with_a_trial(client, catalog):
    pricing = client.get("/pricing/").content.decode()
    assert 'href="/pricing/try/team/"' in pricing and 'href="/pricing/try/business/"' in pricing
    assert 'data-trial="starter"' not in pricing and 'data-trial="enterprise"' not in pricing
    # A comparison downwards offers none.
    assert "Try Team free" not in client.get("/pricing/compare/business/team/").content.decode()


def test_a_user_without_an_organization_makes_one_first_and_comes_back(client_for, catalog):
    response = client_for(UserFactory()).get("/pricing/try/team/")
    assert response["Location"] == "/app/new/?next=%2Fpricing%2Ftry%2Fteam%2F"


def test_an_unknown_tier_is_a_404(client_for, owner, client, catalog):
    assert client.get("/pricing/try/nonsense/").status_code == 404
    assert client_for(owner).get(START.format("nonsense")).status_code == 404


def test_the_start_page_of_a_running_trial_says_it_runs_now_and_links_to_it(
    client_for, owner, team
):
    trial = running_trial(team, "business")
    response = client_for(owner).get(START.format("business"))
    page = response.content.decode()
    assert "Your Business trial is running now</strong>, until the end of" in page
    assert f'href="/app/northwind/trials/{trial.pk}/">see your Business trial</a>' in page
    assert "already tried" not in page and "each tier is tried once" not in page


def test_the_dashboard_offers_the_trial_to_who_can_start_it_and_tells_a_member_who_can(
    client_for, owner, teammate, team
):
    offer = "Try Business free for 14 days"
    assert f">{offer}</a>" in client_for(owner).get("/app/northwind/").content.decode()
    page = client_for(teammate).get("/app/northwind/").content.decode()
    assert f">{offer}</a>" not in page  # no button that ends in a refusal
    assert (
        "Only an owner or a billing admin can start a trial: ask one of them to try "
        "Business free for 14 days" in page
    )
