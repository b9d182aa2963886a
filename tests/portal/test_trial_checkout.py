"""Converting a trial through the checkout pages (the trial panel's "Convert" goes to the
ordinary checkout of the trial tier): the page says the trial converts, the confirmation
closes it; a trial license is bought on itself, its key kept and never shown; members
see the cost and cannot confirm, outsiders get 404, and a closed trial is not touched."""

from datetime import date, timedelta

import pytest

from billing.invoices import services as invoices
from billing.models import Invoice, Subscription
from licensing.models import EventKind, License, LicenseEvent, LicenseStatus, Tier, TrialStatus
from licensing.trials.services import trial_start
from portal import clock
from portal.views.checkout import NEW_KEY_SESSION
from tests.helpers.checkout import subscribed
from tests.helpers.licenses import SYSTEM
from tests.helpers.trials import running_trial
from tests.portal.test_checkout_pages import CHANGE, _confirm_form, _start

BUSINESS = CHANGE | {"tier": "business", "seats": 12}
CONVERTS = "Your Business trial becomes your plan from today; the trial days were free."


@pytest.fixture
def paying(organization, catalog):
    """Team, 12 seats a month, trying Business since 9 March."""
    license = subscribed(organization, catalog, seats=12)
    return license, running_trial(license, "business", starts_at=clock.now() - timedelta(days=5))


@pytest.fixture
def trialing(organization, catalog):
    """A new organization's Business trial license (5 seats, no subscription) started
    on 9 March, with the billing details a first purchase needs."""
    trial = trial_start(
        organization=organization,
        tier=Tier.objects.get(slug="business"),
        actor=SYSTEM,
        at=clock.now() - timedelta(days=5),
    ).trial
    license = License.objects.get(pk=trial.license_id)
    details = invoices.billing_details_for(organization=organization)
    details.legal_name = "Northwind Inc."
    details.address_line1 = "1 Main Street"
    details.city = "Springfield"
    details.country = "US"
    details.save()
    return license, trial


def converted_events(license) -> int:
    return LicenseEvent.objects.filter(license=license, kind=EventKind.TRIAL_CONVERTED).count()


def test_an_owner_converts_a_trial_by_upgrading_to_its_tier(client_for, owner, paying):
    license, trial = paying
    client = client_for(owner)
    url = _start(client, "northwind", tier="business")
    page = client.get(url, BUSINESS)
    assert page.status_code == 200
    assert CONVERTS in page.content.decode()

    done = client.post(url + "confirm/", _confirm_form(page))

    assert done.status_code == 302 and done["Location"].endswith("/done/")
    trial.refresh_from_db()
    assert trial.status == TrialStatus.CONVERTED
    assert converted_events(license) == 1
    license.refresh_from_db()
    assert license.version.tier.slug == "business"
    shown = client.get(done["Location"])
    assert "Your Business trial is converted" in shown.content.decode()
    # The back button and a second click: converted once, charged once.
    again = client.post(url + "confirm/", _confirm_form(page))
    assert again.status_code == 302
    assert Invoice.objects.count() == 1 and converted_events(license) == 1


def test_a_trial_license_is_bought_on_itself_and_its_key_is_kept(client_for, owner, trialing):
    license, trial = trialing
    key_hash = license.key_hash
    client = client_for(owner)
    url = _start(client, "northwind", tier="business")
    # Opened from the trial panel: the trial's tier is priced at once, as a purchase.
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    assert "<h1>Keep Business</h1>" in html and 'name="currency"' in html
    preview = page.context["preview"]
    assert preview.buys_trial_license and preview.quote.is_purchase
    assert (preview.target.tier, preview.target.seats) == ("business", 10)
    assert "Your license key stays the same." in html

    done = client.post(url + "confirm/", _confirm_form(page))

    assert done.status_code == 302
    assert NEW_KEY_SESSION not in client.session
    license.refresh_from_db()
    assert license.key_hash == key_hash and license.status == LicenseStatus.ACTIVE
    assert license.term_start == date(2026, 3, 14)
    assert Subscription.objects.filter(license=license).exists()
    invoice = Invoice.objects.get()
    assert invoice.license_id == license.pk
    trial.refresh_from_db()
    assert trial.status == TrialStatus.CONVERTED
    shown = client.get(done["Location"]).content.decode()
    assert "Your Business trial is converted" in shown
    assert "Your software keeps the key it has" in shown
    assert "shown only this once" not in shown


def test_a_member_sees_the_conversion_and_cannot_confirm_it(client_for, teammate, owner, paying):
    license, trial = paying
    client = client_for(teammate)
    url = _start(client, "northwind", tier="business")
    page = client.get(url, BUSINESS)
    assert page.status_code == 200
    html = page.content.decode()
    assert CONVERTS in html and "Only an owner or a billing admin can confirm" in html

    refused = client.post(url + "confirm/", _confirm_form(page))

    assert refused.status_code == 403
    trial.refresh_from_db()
    assert trial.status == TrialStatus.RUNNING and converted_events(license) == 0
    assert not Invoice.objects.exists()


def test_a_member_cannot_buy_a_trial_license(client_for, teammate, trialing):
    license, trial = trialing
    client = client_for(teammate)
    url = _start(client, "northwind", tier="business")
    page = client.get(url)
    refused = client.post(url + "confirm/", _confirm_form(page))
    assert refused.status_code == 403
    license.refresh_from_db()
    trial.refresh_from_db()
    assert license.status == LicenseStatus.TRIALING and trial.status == TrialStatus.RUNNING
    assert not Subscription.objects.exists()


def test_an_outsider_gets_404(client_for, owner, outsider, trialing):
    license, trial = trialing
    url = _start(client_for(owner), "northwind", tier="business")
    client = client_for(outsider)
    assert client.get(url).status_code == 404
    assert client.get(url, CHANGE | {"tier": "business", "seats": 10}).status_code == 404
    form = CHANGE | {"tier": "business", "seats": 10, "currency": "USD", "digest": "0" * 64}
    assert client.post(url + "confirm/", form).status_code == 404
    assert client.get("/app/northwind/checkout/", {"tier": "business"}).status_code == 404
    trial.refresh_from_db()
    license.refresh_from_db()
    assert trial.status == TrialStatus.RUNNING and license.status == LicenseStatus.TRIALING


def test_bad_input_for_a_trial_license_is_a_clear_422(client_for, owner, trialing):
    license, trial = trialing
    client = client_for(owner)
    url = _start(client, "northwind", tier="business")
    page = client.get(url, CHANGE | {"tier": "business", "seats": 4, "currency": "USD"})
    assert page.status_code == 422
    assert "Business is sold from 10 seats" in page.content.decode()
    bad = CHANGE | {"tier": "business", "seats": 10, "currency": "XYZ", "digest": "0" * 64}
    refused = client.post(url + "confirm/", bad)
    assert refused.status_code == 422
    assert not Subscription.objects.exists()
    trial.refresh_from_db()
    license.refresh_from_db()
    assert trial.status == TrialStatus.RUNNING and license.status == LicenseStatus.TRIALING


@pytest.mark.parametrize("closed", [TrialStatus.ENDED, TrialStatus.REVERTED])
def test_a_closed_trial_is_not_converted(client_for, owner, paying, closed):
    license, trial = paying
    ended_at = clock.now() - timedelta(hours=1)
    trial.status, trial.ended_at = closed, ended_at
    trial.save()
    client = client_for(owner)
    url = _start(client, "northwind", tier="business")
    page = client.get(url, BUSINESS)
    assert CONVERTS not in page.content.decode()

    done = client.post(url + "confirm/", _confirm_form(page))

    assert done.status_code == 302
    trial.refresh_from_db()
    assert (trial.status, trial.ended_at) == (closed, ended_at)
    assert converted_events(license) == 0
    assert "Your change is confirmed" in client.get(done["Location"]).content.decode()


def test_the_convert_link_opens_on_a_price_with_the_seats_the_tier_is_sold_from(
    client_for, owner, organization, catalog
):
    # Team with 5 seats trying Business, sold from 10: the panel's link names the tier
    # only, and the checkout prices 10 seats instead of refusing 5.
    license = subscribed(organization, catalog, seats=5)
    running_trial(license, "business", starts_at=clock.now() - timedelta(days=5))
    client = client_for(owner)
    url = _start(client, "northwind", tier="business")
    page = client.get(url, {"tier": "business"})
    assert page.status_code == 200
    assert page.context["preview"].target.seats == 10
    assert CONVERTS in page.content.decode()


# --- Past the trial's tier, below it on a trial license, and a checkout opened before ---


def test_an_upgrade_past_the_trials_tier_closes_it_and_says_so(client_for, owner, paying):
    license, trial = paying
    client = client_for(owner)
    url = _start(client, "northwind", tier="enterprise")
    page = client.get(url, CHANGE | {"tier": "enterprise", "seats": 25})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Your Business trial ends today: you buy Enterprise; the trial days were free." in html

    done = client.post(url + "confirm/", _confirm_form(page))

    assert done.status_code == 302
    trial.refresh_from_db()
    assert trial.status == TrialStatus.CONVERTED and converted_events(license) == 1
    shown = client.get(done["Location"]).content.decode()
    assert "Your Business trial ends: you bought Enterprise" in shown
    assert "trial is converted" not in shown


def test_a_trial_license_bought_as_a_lower_tier_lists_what_the_trial_gave(
    client_for, owner, trialing, catalog
):
    license, trial = trialing
    client = client_for(owner)
    url = _start(client, "northwind", tier="team")
    page = client.get(url, CHANGE | {"tier": "team", "seats": 5, "currency": "USD"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Your Business trial ends today: you buy Team on its license" in html
    assert "What your Business trial gives that Team does not" in html
    lost = page.context["preview"].continuity.features_lost
    assert lost and all(name in html for name in lost)
    assert "Turned off when you confirm" in html

    done = client.post(url + "confirm/", _confirm_form(page))

    assert done.status_code == 302
    trial.refresh_from_db()
    assert trial.status == TrialStatus.CONVERTED
    event = LicenseEvent.objects.get(license=license, kind=EventKind.TRIAL_CONVERTED)
    assert event.reason == "Trial of Business closed: Team bought on its license."
    shown = client.get(done["Location"]).content.decode()
    assert "Your Business trial ends: you bought Team" in shown
    assert "trial is converted" not in shown


def test_a_checkout_opened_before_a_trial_license_links_to_the_trial_licenses(
    client_for, owner, outsider, organization, catalog
):
    details = invoices.billing_details_for(organization=organization)
    details.legal_name, details.address_line1 = "Northwind Inc.", "1 Main Street"
    details.city, details.country = "Springfield", "US"
    details.save()
    client = client_for(owner)
    url = _start(client, "northwind", tier="team")  # no license yet
    trial = trial_start(
        organization=organization, tier=Tier.objects.get(slug="business"), actor=SYSTEM
    ).trial
    asked = CHANGE | {"tier": "team", "seats": 5, "currency": "USD"}

    page = client.get(url, asked)

    assert page.status_code == 422
    html = page.content.decode()
    assert "started a Business trial since this checkout was opened" in html
    assert "one_open_license_per_product" not in html and "Constraint" not in html
    link = page.context["open_license_url"]
    assert link.startswith("/app/northwind/checkout/?") and "tier=team" in link
    assert link.replace("&", "&amp;") in html
    # Confirming what was priced before the trial: refused the same, nothing written.
    form = asked | {"digest": "0" * 64}
    refused = client.post(url + "confirm/", form)
    assert refused.status_code == 409
    assert "one_open_license_per_product" not in refused.content.decode()
    assert refused.context["open_license_url"] == link
    assert organization.licenses.count() == 1 and not Subscription.objects.exists()
    # The link opens a checkout on the trial license: a purchase on it.
    moved = client.get(link)
    assert moved.status_code == 302
    on_trial = client.get(moved["Location"])
    assert on_trial.status_code == 200
    assert on_trial.context["checkout"].license_id == trial.license_id
    assert on_trial.context["preview"].buys_trial_license
    # An outsider never sees it.
    assert client_for(outsider).get(url, asked).status_code == 404
