"""Cancel and resume from the dashboard, through the test client: the page says what
happens at the term's end, confirming (a POST with CSRF) schedules it with the reason,
the dashboard then says "Ends on", never "Renews", and "Resume subscription" undoes it.
Owners and billing admins only: members get 403, outsiders 404. "Now" is 14 March 2026."""

import pytest
from django.test import Client

from billing.models import SubscriptionEvent
from portal.models import OutboundEmail
from tests.helpers.checkout import subscribed


@pytest.fixture
def team(organization, catalog, now):
    return subscribed(organization, catalog, seats=5)


@pytest.fixture
def urls(team):
    base = f"/app/northwind/licenses/{team.pk}"
    return {"cancel": f"{base}/cancel/", "resume": f"{base}/resume/"}


def test_the_dashboard_offers_cancel_to_billing_managers_only(
    client_for, owner, teammate, team, urls
):
    page = client_for(owner).get("/app/northwind/").content.decode()
    assert f'href="{urls["cancel"]}"' in page and "Cancel subscription" in page
    assert "Renews on" in page
    member = client_for(teammate).get("/app/northwind/").content.decode()
    assert "Cancel subscription" not in member


def test_the_cancel_page_says_what_happens_at_the_terms_end(client_for, billing_admin, urls):
    response = client_for(billing_admin).get(urls["cancel"])
    page = response.content.decode()
    assert response.status_code == 200
    assert 'on <strong><time datetime="2026-03-31">31 March 2026</time></strong>' in page
    assert "Stops validating at" in page and "1 April 2026, 00:00 UTC" in page
    assert "7 days of grace while its renewal runs; a canceled one has none" in page
    assert "answers “expired”" in page and "<code>grace_until</code> null" in page
    assert "Kept for 90 days after the end, until" in page and "29 June 2026" in page
    assert "No further invoice" in page and "You have no open invoice." in page
    assert 'name="reason"' in page and 'name="details"' in page
    assert 'method="post"' in page and "csrfmiddlewaretoken" in page


def test_cancel_with_a_reason_then_resume(client_for, owner, team, urls):
    client = client_for(owner)
    response = client.post(
        urls["cancel"], {"reason": "missing_features", "details": "We need SSO."}
    )
    assert (response.status_code, response["Location"]) == (302, "/app/northwind/")
    team.refresh_from_db()
    assert team.auto_renew is False
    event = SubscriptionEvent.objects.order_by("-pk").first()
    assert event.kind == "auto_renew_off"
    assert event.reason.endswith("Reason: It lacks something we need: We need SSO.")
    assert OutboundEmail.objects.filter(subject__contains="ends on 31 March 2026").exists()

    page = client.get("/app/northwind/").content.decode()
    assert "Ends on" in page and "Canceled: ends on" in page and "Renews" not in page
    assert "Resume subscription" in page and "Cancel subscription" not in page
    # The cancel page is not offered twice.
    again = client.get(urls["cancel"])
    assert (again.status_code, again["Location"]) == (302, "/app/northwind/")

    resumed = client.post(urls["resume"])
    assert (resumed.status_code, resumed["Location"]) == (302, "/app/northwind/")
    team.refresh_from_db()
    assert team.auto_renew is True
    page = client.get("/app/northwind/").content.decode()
    assert "Renews on" in page and "Resume subscription" not in page
    assert "Resumed. Your subscription renews on 1 April 2026, as before." in page
    assert OutboundEmail.objects.filter(subject__contains="renews again").exists()


def test_cancel_without_a_reason(client_for, owner, team, urls):
    assert client_for(owner).post(urls["cancel"], {}).status_code == 302
    team.refresh_from_db()
    assert team.auto_renew is False
    assert SubscriptionEvent.objects.order_by("-pk").first().reason.endswith("No reason given")


def test_a_bad_reason_is_refused_with_a_message(client_for, owner, team, urls):
    response = client_for(owner).post(urls["cancel"], {"reason": "nope", "details": "x" * 501})
    page = response.content.decode()
    assert response.status_code == 422
    assert "Choose one of the reasons, or none." in page
    assert "Say it in 500 characters or fewer." in page
    team.refresh_from_db()
    assert team.auto_renew is True


def test_resuming_what_is_not_canceled_says_so(client_for, owner, team, urls):
    page = client_for(owner).post(urls["resume"], follow=True).content.decode()
    assert "The subscription is not canceled: it renews on 1 April 2026." in page


def test_writes_need_post_and_csrf(owner, team, urls):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    assert client.post(urls["cancel"], {"reason": "pause"}).status_code == 403
    assert client.post(urls["resume"]).status_code == 403
    assert client.get(urls["resume"]).status_code == 405
    team.refresh_from_db()
    assert team.auto_renew is True


def test_a_member_gets_403_and_changes_nothing(client_for, teammate, team, urls):
    client = client_for(teammate)
    assert client.get(urls["cancel"]).status_code == 403
    assert client.post(urls["cancel"], {"reason": "pause"}).status_code == 403
    assert client.post(urls["resume"]).status_code == 403
    team.refresh_from_db()
    assert team.auto_renew is True


def test_an_outsider_gets_404_everywhere(client_for, outsider, team, urls):
    client = client_for(outsider)
    assert client.get(urls["cancel"]).status_code == 404
    assert client.post(urls["cancel"], {"reason": "pause"}).status_code == 404
    assert client.post(urls["resume"]).status_code == 404
    assert client.get(f"/app/elsewhere/licenses/{team.pk}/cancel/").status_code == 404
    team.refresh_from_db()
    assert team.auto_renew is True


def test_a_license_without_a_subscription_has_nothing_to_cancel(client_for, owner, issued):
    url = f"/app/northwind/licenses/{issued.license.pk}/cancel/"
    assert client_for(owner).get(url).status_code == 404


def test_the_checkout_has_no_renewal_checkbox_and_keeps_a_cancellation(
    client_for, owner, team, urls
):
    from tests.portal.test_checkout_pages import CHANGE, _confirm_form, _start

    client = client_for(owner)
    client.post(urls["cancel"], {"reason": "pause"})
    url = _start(client, "northwind", tier="team")
    page = client.get(url, CHANGE | {"tier": "team", "seats": 8})
    assert 'name="auto_renew"' not in page.content.decode()
    assert "Your subscription is canceled and ends on 31 March 2026" in page.content.decode()
    client.post(url + "confirm/", _confirm_form(page))
    team.refresh_from_db()
    # More seats now; the subscription still ends at the term's end.
    assert (team.seats, team.auto_renew) == (8, False)
