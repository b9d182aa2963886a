"""The checkout through the test client: buy, upgrade, add seats, schedule a downgrade;
every preview is the invoice; members see the cost, outsiders get 404."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine

from billing.checkout.services import checkout_abandon
from billing.models import Checkout, CheckoutEvent, CheckoutStatus, Invoice, ScheduledChange
from licensing.usage.services import UsageReport, usage_record_batch
from portal.models import Role
from tests.factories import MembershipFactory, OrganizationFactory
from tests.helpers.checkout import subscribed


def _start(client, slug, **params):
    response = client.get(f"/app/{slug}/checkout/", params)
    assert response.status_code == 302
    return response["Location"].split("?")[0]


def _confirm_form(response, **changed) -> dict:
    """What the Confirm button submits: the form's choices as the page shows them (with
    `changed` typed over them) and the fingerprint of the preview shown."""
    form = response.context["form"]
    data = {
        name: value
        for name, field in form.fields.items()
        if (value := form[name].value()) not in (None, False, "")
    }
    if data.get("auto_renew") is True:
        data["auto_renew"] = "on"
    return data | {"submitted": "1", "digest": response.context["preview"].digest} | changed


# A submitted form: auto-renew stays ticked.
CHANGE = {"cycle": "monthly", "submitted": 1, "auto_renew": "on"}


@pytest.fixture
def team(organization, catalog):
    return subscribed(organization, catalog, seats=5)


def test_an_owner_adds_seats_and_the_invoice_is_the_preview(client_for, owner, team):
    client = client_for(owner)
    url = _start(client, "northwind", tier="team")
    page = client.get(url, CHANGE | {"tier": "team", "seats": 8})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Unused time: 18 of 31 days of Team, 5 seats at $95.00 a month" in html
    assert "$33.10" in html
    checkout = Checkout.objects.get()
    assert checkout.status == CheckoutStatus.PREVIEWED
    page_before = page
    done = client.post(url + "confirm/", _confirm_form(page))
    assert done.status_code == 302 and done["Location"].endswith("/done/")
    invoice = Invoice.objects.get()
    assert invoice.amount_due == Decimal("33.10")
    page = client.get(done["Location"])
    assert page.status_code == 200
    assert invoice.number in page.content.decode()
    assert "Download the new license file" in page.content.decode()
    # The back button and a second click: no second charge.
    again = client.post(url + "confirm/", _confirm_form(page_before))
    assert again.status_code == 302 and again["Location"].endswith("/done/")
    assert Invoice.objects.count() == 1


def test_a_member_sees_the_cost_and_who_can_buy(client_for, teammate, owner, team):
    client = client_for(teammate)
    url = _start(client, "northwind", tier="team")
    page = client.get(url, {"tier": "business", "seats": 12, "cycle": "monthly"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Only an owner or a billing admin can confirm" in html
    assert owner.display_name in html
    refused = client.post(url + "confirm/", _confirm_form(page))
    assert refused.status_code == 403
    assert Invoice.objects.count() == 0


def test_an_outsider_gets_404(client_for, outsider, owner, team):
    url = _start(client_for(owner), "northwind", tier="team")
    client = client_for(outsider)
    assert client.get(url).status_code == 404
    assert client.post(url + "confirm/", {}).status_code == 404
    assert client.get("/app/northwind/checkout/").status_code == 404


def test_an_outsider_gets_404_for_the_fragment_too(client_for, outsider, owner, team):
    url = _start(client_for(owner), "northwind", tier="team")
    client = client_for(outsider)
    asked = CHANGE | {"tier": "team", "seats": 8}
    assert client.get(url, asked, HTTP_HX_REQUEST="true").status_code == 404
    assert client.get(url.replace("northwind", "elsewhere"), asked).status_code == 404


def test_the_pages_navigation_lists_her_organizations_by_name_with_this_one_current(
    client_for, owner, team
):
    for name, slug in (("Zeta Labs", "zeta"), ("Acme", "acme")):
        MembershipFactory(
            organization=OrganizationFactory(name=name, slug=slug), user=owner, role=Role.MEMBER
        )
    client = client_for(owner)
    url = _start(client, "northwind", tier="team")
    html = client.get(url, CHANGE | {"tier": "team", "seats": 8}).content.decode()
    switcher = html.split('id="org-switcher-title"', 1)[1].split("</ul>", 1)[0]
    assert [line.split('href="', 1)[1].split('"', 1)[0] for line in switcher.split("<li>")[1:]] == [
        "/app/acme/",
        "/app/northwind/",
        "/app/zeta/",
    ]
    assert 'href="/app/northwind/" aria-current="true"' in switcher
    assert switcher.count("aria-current") == 1


def test_bad_input_is_a_422_with_a_message(client_for, owner, team):
    client = client_for(owner)
    url = _start(client, "northwind", tier="team")
    page = client.get(url, {"tier": "team", "seats": "lots", "cycle": "monthly"})
    assert page.status_code == 422
    assert "Enter a whole number of seats." in page.content.decode()
    page = client.get(url, {"tier": "team", "seats": 99, "cycle": "monthly"})
    assert page.status_code == 422
    assert "Team allows at most 15 seats" in page.content.decode()


def test_a_downgrade_is_scheduled_and_can_be_cancelled(client_for, owner, organization, catalog):
    subscribed(organization, catalog, "business", seats=12)
    client = client_for(owner)
    url = _start(client, "northwind", tier="business")
    page = client.get(url, CHANGE | {"tier": "team", "seats": 8})
    assert page.status_code == 200
    assert "What exceeds the new plan" in page.content.decode()
    client.post(url + "confirm/", _confirm_form(page))
    change = ScheduledChange.objects.get()
    dashboard = client.get("/app/northwind/").content.decode()
    assert "Scheduled for" in dashboard and change.summary in dashboard
    response = client.post(f"/app/northwind/licenses/{change.license_id}/scheduled-change/cancel/")
    assert response.status_code == 302
    change.refresh_from_db()
    assert change.status == "canceled"


def test_the_downgrade_table_writes_one_integration_in_the_singular(
    client_for, owner, organization, catalog
):
    license = subscribed(organization, catalog, "team", seats=3)
    usage_record_batch(license=license, reports=[UsageReport("integrations", 2, "i1")])
    client = client_for(owner)
    url = _start(client, "northwind", tier="team")
    page = client.get(url, CHANGE | {"tier": "starter", "seats": 3}).content.decode()
    assert '<td data-label="Today">2 integrations in use</td>' in page
    assert '<td data-label="New plan">1 integration</td>' in page
    assert "1 integrations" not in page


def test_buy_from_pricing_through_signup(client, db, catalog):
    response = client.get("/app/buy/", {"tier": "team", "cycle": "monthly", "currency": "USD"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/signup/?next=")


def test_stale_preview_is_refused_with_a_fresh_one(client_for, owner, team):
    client = client_for(owner)
    url = _start(client, "northwind", tier="team")
    page = client.get(url, {"tier": "team", "seats": 8, "cycle": "monthly"})
    form = _confirm_form(page)
    form["digest"] = "0" * 64
    refused = client.post(url + "confirm/", form)
    assert refused.status_code == 409
    assert "Something changed since you saw this preview" in refused.content.decode()
    assert Invoice.objects.count() == 0
    assert CheckoutEvent.objects.filter(step="refused").count() == 1


def test_htmx_gets_the_preview_only(client_for, owner, team):
    client = client_for(owner)
    url = _start(client, "northwind", tier="team")
    page = client.get(
        url, {"tier": "team", "seats": 9, "cycle": "monthly"}, headers={"HX-Request": "true"}
    )
    html = page.content.decode()
    assert html.lstrip().startswith("<section") and "checkout-preview" in html


def test_each_new_preview_is_a_step_and_a_reload_is_not(client_for, owner, team):
    client = client_for(owner)
    url = _start(client, "northwind", tier="team")
    for seats in (8, 8, 9):
        client.get(url, {"tier": "team", "seats": seats, "cycle": "monthly"})
    steps = list(CheckoutEvent.objects.values_list("step", "data__seats"))
    assert steps == [("started", None), ("previewed", 8), ("previewed", 9)]
    client.post(url + "abandon/")
    assert Checkout.objects.get().status == CheckoutStatus.ABANDONED
    # An abandoned checkout's address starts a new one.
    response = client.get(url, {"tier": "team", "seats": 9, "cycle": "monthly"})
    assert response.status_code == 302 and Checkout.objects.count() == 1


def test_opened_from_the_dashboard_it_asks_rather_than_refuses(client_for, owner, team):
    client = client_for(owner)
    dashboard = client.get("/app/northwind/").content.decode()
    assert "/app/northwind/checkout/?tier=team" in dashboard
    page = client.get("/app/northwind/checkout/?tier=team", follow=True)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Choose another tier, more or fewer seats" in html
    assert "cannot be priced" not in html


def test_the_confirmation_names_what_changed(client_for, owner, team):
    client = client_for(owner)
    url = _start(client, "northwind", tier="team")
    page = client.get(url, CHANGE | {"tier": "business", "seats": 12})
    done = client.get(client.post(url + "confirm/", _confirm_form(page))["Location"])
    html = done.content.decode()
    assert "Audit log" in html and "audit-log" not in html
    assert "Seats bought: 5 → 12" in html


@pytest.mark.parametrize(
    ("following", "lands_on"),
    [
        ("/app/buy/?tier=team", "/app/buy/?tier=team"),
        ("https://evil.example/", "/app/acme/members/"),
        ("//evil.example/", "/app/acme/members/"),
    ],
)
def test_a_new_organization_goes_on_to_buy_only_within_the_site(
    client_for, outsider, following, lands_on
):
    client = client_for(outsider)
    answer = client.post("/app/new/", {"name": "Acme", "next": following})
    assert answer.status_code == 302 and answer["Location"] == lands_on


def test_a_member_cannot_abandon_an_owners_checkout(client, owner, teammate, team):
    client.force_login(owner)
    url = _start(client, "northwind", tier="team")
    client.force_login(teammate)
    page = client.get(url, CHANGE | {"tier": "team", "seats": 8}).content.decode()
    assert "Cancel and change nothing" not in page

    refused = client.post(url + "abandon/")

    assert refused.status_code == 403
    assert Checkout.objects.get().status != CheckoutStatus.ABANDONED
    client.force_login(owner)
    assert client.post(url + "abandon/").status_code == 302
    assert Checkout.objects.get().status == CheckoutStatus.ABANDONED


def test_a_member_abandons_their_own_checkout(client_for, teammate, team):
    client = client_for(teammate)
    url = _start(client, "northwind", tier="team")
    assert "Cancel and change nothing" in client.get(url).content.decode()
    assert client.post(url + "abandon/").status_code == 302
    assert Checkout.objects.get().status == CheckoutStatus.ABANDONED


def test_the_done_page_shows_a_member_no_invoice_details(client, owner, teammate, team):
    client.force_login(owner)
    url = _start(client, "northwind", tier="team")
    page = client.get(url, CHANGE | {"tier": "team", "seats": 8})
    done = client.post(url + "confirm/", _confirm_form(page))["Location"]
    invoice = Invoice.objects.get()
    assert invoice.number in client.get(done).content.decode()  # the owner's, with its message

    client.force_login(teammate)
    html = client.get(done).content.decode()

    assert "An invoice is issued" in html
    assert invoice.number not in html and "$33.10" not in html
    assert client.get(f"/app/northwind/invoices/{invoice.number}/").status_code == 403


def test_opening_the_checkout_again_continues_the_open_one(client_for, owner, teammate, team):
    """A reload, the back button or the pricing page again within the hour continues the
    member's open checkout: one record per visit, not one per page view. Another member,
    a closed checkout or one opened over an hour ago starts a new one."""
    client = client_for(owner)
    first = _start(client, "northwind", tier="team")
    again = _start(client, "northwind", tier="business", seats=7)
    assert again == first
    assert Checkout.objects.count() == 1
    assert CheckoutEvent.objects.filter(step=CheckoutEvent.Step.STARTED).count() == 1

    assert _start(client_for(teammate), "northwind", tier="team") != first
    client = client_for(owner)
    assert _start(client, "northwind", tier="team") == first

    checkout_abandon(checkout=Checkout.objects.get(token=first.rstrip("/").split("/")[-1]))
    after_abandon = _start(client, "northwind", tier="team")
    assert after_abandon != first

    started = Checkout.objects.get(token=after_abandon.rstrip("/").split("/")[-1]).started_at
    with time_machine.travel(started + timedelta(hours=1, seconds=1), tick=False):
        later = _start(client, "northwind", tier="team")
    assert later != after_abandon
    assert Checkout.objects.count() == 4


def test_a_second_tab_confirming_other_choices_is_refused_not_told_done(client_for, owner, team):
    """Two tabs on one checkout (opened twice within the hour, or a duplicated tab): tab A
    confirms 8 seats, then tab B confirms its preview of 10. B is told its choices were
    not made, never "already confirmed"; the license keeps 8 seats and one invoice."""
    client = client_for(owner)
    url = _start(client, "northwind", tier="team")
    assert _start(client, "northwind", tier="team", seats=10) == url
    tab_a = client.get(url, CHANGE | {"tier": "team", "seats": 8})
    tab_b = client.get(url, CHANGE | {"tier": "team", "seats": 10})
    assert client.post(url + "confirm/", _confirm_form(tab_a))["Location"].endswith("/done/")

    refused = client.post(url + "confirm/", _confirm_form(tab_b), follow=True)

    html = refused.content.decode()
    assert "already confirmed with other choices" in html
    assert "nothing more was changed or charged" in html
    assert "nothing was charged twice" not in html
    team.refresh_from_db()
    assert team.seats == 8
    assert Invoice.objects.count() == 1
    refusal = CheckoutEvent.objects.get(step=CheckoutEvent.Step.REFUSED)
    assert refusal.data == {"why": "confirmed_otherwise"}
    # Tab A's own back button and second click: still the same change, told as done.
    again = client.post(url + "confirm/", _confirm_form(tab_a), follow=True)
    assert "nothing was charged twice" in again.content.decode()
    assert Invoice.objects.count() == 1


def _opened_from_a_link(client, tier):
    """The checkout a pricing-page link naming `tier` and no seats opens: priced."""
    url = _start(client, "northwind", tier=tier, cycle="monthly")
    page = client.get(url, {"tier": tier, "cycle": "monthly"})
    assert page.status_code == 200
    assert page.context["preview"] is not None
    return url, page


def test_a_link_to_a_tier_sold_from_more_seats_opens_on_its_minimum(client_for, owner, team):
    """The pricing page's "Upgrade to Enterprise" names the tier and no seats: a team of
    5 is shown Enterprise at the 25 seats it is sold from, priced, not a refusal; seats
    asked for are kept as asked."""
    client = client_for(owner)
    url, page = _opened_from_a_link(client, "enterprise")
    assert page.context["form"]["seats"].value() == 25
    asked = client.get(url, {"tier": "enterprise", "cycle": "monthly", "seats": "10"})
    assert asked.status_code == 422
    assert "25" in asked.content.decode()


def test_a_link_to_a_tier_allowing_fewer_seats_opens_on_its_most(client_for, owner, team):
    """"Downgrade to Starter" from the pricing page for a team of 5: Starter allows 3, so
    the checkout opens at 3, priced and scheduled, with what exceeds it, not a refusal."""
    _, page = _opened_from_a_link(client_for(owner), "starter")
    assert page.context["form"]["seats"].value() == 3
    assert "allows at most" not in page.content.decode()
