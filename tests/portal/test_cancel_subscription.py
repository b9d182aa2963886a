"""Cancel and resume from the dashboard, through the test client: the page says what
happens at the term's end, confirming (a POST with CSRF) schedules it with the reason,
the dashboard then says "Ends on", never "Renews", and "Resume subscription" undoes it.
Owners and billing admins only: members get 403, outsiders 404. "Now" is 14 March 2026."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.test import Client

from billing.models import SubscriptionEvent
from billing.renewals.services import subscription_renew
from billing.subscriptions.services import subscription_set_auto_renew
from portal.models import OutboundEmail
from tests.helpers.checkout import subscribed
from tests.helpers.licenses import SYSTEM


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
        urls["cancel"],
        {"reason": "missing_features", "details": "We need SSO.", "term_end": "2026-03-31"},
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
    assert client_for(owner).post(urls["cancel"], {"term_end": "2026-03-31"}).status_code == 302
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
    refused = client.get(urls["cancel"])
    assert refused.status_code == 403
    # Says what the member may not do here (it said "see invoices").
    assert "Only an owner or a billing admin can cancel or resume the subscription." in (
        refused.content.decode()
    )
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
    client.post(urls["cancel"], {"reason": "pause", "term_end": "2026-03-31"})
    url = _start(client, "northwind", tier="team")
    page = client.get(url, CHANGE | {"tier": "team", "seats": 8})
    assert 'name="auto_renew"' not in page.content.decode()
    assert "Your subscription is canceled and ends on 31 March 2026" in page.content.decode()
    client.post(url + "confirm/", _confirm_form(page))
    team.refresh_from_db()
    # More seats now; the subscription still ends at the term's end.
    assert (team.seats, team.auto_renew) == (8, False)


def test_while_canceled_the_checkout_refuses_a_change_at_the_terms_end(
    client_for, owner, organization, catalog, now
):
    """Cancel, then a downgrade, then Resume would have ended the subscription anyway:
    the downgrade is refused until the subscription is resumed; after a Resume it is
    scheduled and applied, and the subscription still renews."""
    from billing.checkout.scheduled import scheduled_changes_apply_due
    from billing.models import ScheduledChange
    from tests.portal.test_checkout_pages import CHANGE, _confirm_form, _start

    business = subscribed(organization, catalog, "business", seats=12)
    base = f"/app/northwind/licenses/{business.pk}"
    client = client_for(owner)
    client.post(f"{base}/cancel/", {"reason": "pause", "term_end": business.term_end.isoformat()})
    url = _start(client, "northwind", tier="business")
    page = client.get(url, CHANGE | {"tier": "team", "seats": 8})
    assert page.status_code == 422
    assert "Resume the subscription first to change what it renews to." in page.content.decode()
    assert "then it ends" not in page.content.decode()
    assert not ScheduledChange.objects.exists()

    client.post(f"{base}/resume/")
    url = _start(client, "northwind", tier="business")
    page = client.get(url, CHANGE | {"tier": "team", "seats": 8})
    assert page.status_code == 200
    client.post(url + "confirm/", _confirm_form(page))
    change = ScheduledChange.objects.get()
    assert change.auto_renew is True
    assert scheduled_changes_apply_due(today=date(2026, 4, 1)) == [change]
    business.refresh_from_db()
    assert (business.version.tier.slug, business.seats, business.auto_renew) == ("team", 8, True)


def _renewed_by_hand(team) -> None:
    """Staff turn auto-renew off in the subscription admin: renewed by hand."""
    subscription_set_auto_renew(
        subscription=team.subscription,
        auto_renew=False,
        actor=SYSTEM,
        reason="Renewed by hand under the framework agreement.",
    )


def test_a_renewal_by_hand_is_not_shown_as_a_cancellation(client_for, owner, team, urls):
    _renewed_by_hand(team)
    page = client_for(owner).get("/app/northwind/").content.decode()
    assert "Renews by hand:" in page
    assert "will contact you before" in page and "31 March 2026" in page
    assert "Canceled: ends on" not in page and "Resume subscription" not in page
    assert f'action="{urls["resume"]}"' not in page


def test_resume_does_not_override_a_renewal_by_hand(client_for, owner, team, urls):
    _renewed_by_hand(team)
    client = client_for(owner)
    response = client.post(urls["resume"], follow=True)
    assert "renewed by hand, as arranged with your account manager" in response.content.decode()
    team.refresh_from_db()
    assert team.auto_renew is False
    cancel = client.get(urls["cancel"], follow=True).content.decode()
    assert "This subscription is renewed by hand" in cancel


def test_a_cancellation_shows_canceled_with_resume_even_after_a_renewal_by_hand(
    client_for, owner, team, urls
):
    """The dashboard reads the last record: staff's arrangement, then renewal on again,
    then the customer's cancellation."""
    _renewed_by_hand(team)
    subscription_set_auto_renew(
        subscription=team.subscription, auto_renew=True, actor=SYSTEM, reason="Automatic again."
    )
    client = client_for(owner)
    client.post(urls["cancel"], {"reason": "pause", "term_end": "2026-03-31"})
    page = client.get("/app/northwind/").content.decode()
    assert "Canceled: ends on" in page and "Resume subscription" in page
    assert "Renews by hand" not in page


def test_a_cancel_page_opened_before_a_renewal_does_not_cancel_the_new_term(
    client_for, owner, team, urls
):
    """The page showed the term ending 31 March; the renewal ran before the owner
    confirmed. The confirmation is refused (nothing written), and the page shown again
    states the new term and confirms that one."""
    import time_machine

    client = client_for(owner)
    shown = client.get(urls["cancel"]).content.decode()
    assert 'name="term_end" value="2026-03-31"' in shown
    renewed_at = datetime(2026, 4, 1, 0, 20, tzinfo=UTC)
    subscription_renew(subscription=team.subscription, today=date(2026, 4, 1), at=renewed_at)
    team.refresh_from_db()
    assert team.term_end == date(2026, 4, 30)  # a monthly term
    events, emails = SubscriptionEvent.objects.count(), OutboundEmail.objects.count()
    with time_machine.travel(renewed_at + timedelta(minutes=10), tick=False):
        client.force_login(owner)  # the session of 14 March has expired by April
        refused = client.post(urls["cancel"], {"reason": "pause", "term_end": "2026-03-31"})
        page = refused.content.decode()
        assert refused.status_code == 422
        assert (
            "The subscription has renewed since this page was opened: its term now ends on "
            "30 April 2026, not 31 March 2026." in page
        )
        assert 'name="term_end" value="2026-04-30"' in page
        assert '<time datetime="2026-04-30">30 April 2026</time>' in page
        team.refresh_from_db()
        assert team.auto_renew is True
        assert (SubscriptionEvent.objects.count(), OutboundEmail.objects.count()) == (
            events,
            emails,
        )
        # Confirmed again, from the page as it is now: the new term ends as shown.
        again = client.post(urls["cancel"], {"reason": "pause", "term_end": "2026-04-30"})
        assert again.status_code == 302
    team.refresh_from_db()
    assert (team.auto_renew, team.term_end) == (False, date(2026, 4, 30))


@pytest.mark.parametrize("sent", [None, "", "31/03/2026"])
def test_a_cancel_form_without_the_term_it_showed_is_refused(client_for, owner, team, urls, sent):
    data = {"reason": "pause"} | ({} if sent is None else {"term_end": sent})
    refused = client_for(owner).post(urls["cancel"], data)
    assert refused.status_code == 422
    assert "Page: out of date, open it again." in refused.content.decode()
    team.refresh_from_db()
    assert team.auto_renew is True


def test_between_the_terms_end_and_its_renewal_cancel_says_the_renewal_is_under_way(
    client_for, owner, team, urls
):
    """At 00:30 on 1 April the hourly job has not renewed the term that ended on 31
    March yet: canceling is refused, saying so (it said "choose a plan to start a new
    one", to a customer whose renewal was about to run)."""
    import time_machine

    with time_machine.travel(datetime(2026, 4, 1, 0, 30, tzinfo=UTC), tick=False):
        refused = client_for(owner).post(urls["cancel"], {"term_end": "2026-03-31"})
    page = refused.content.decode()
    assert refused.status_code == 422
    assert (
        "The term ended on 31 March 2026 and the subscription is being renewed: it can no "
        "longer be canceled for this renewal." in page
    )
    assert "choose a plan" not in page
    team.refresh_from_db()
    assert team.auto_renew is True
