"""A trial converted in a real browser, as issue 19's "Done when" tries it: a paying Team
customer's owner starts a Business trial from the dashboard, its software's validation
(the licensing API, with the license key) says Business at once, the dashboard's trial
panel shows it, and Convert goes through the checkout to a confirmed upgrade: the
license is on Business, the trial closed as converted, one invoice. A new organization
without a license starts a trial license and buys it the same way, keeping its key.
axe on each page at 1280 and 390 px (nothing serious or critical), nothing scrolls
sideways. Screenshots of each page land in /tmp/shots/ (TRIAL_SHOTS to change it)."""

import os
import re
from pathlib import Path

import pytest
from django.test import Client
from playwright.sync_api import expect

from billing.models import BillingDetails, Invoice, Subscription
from licensing.api.tokens import api_token_create
from licensing.demo.catalog import build_catalog
from licensing.models import License, LicenseStatus, Trial, TrialStatus
from licensing.usage.features import FeatureReport, feature_use_record_batch
from portal import clock
from tests.helpers.browser import wait_until_ready
from tests.helpers.checkout import subscribed_this_month
from tests.helpers.licenses import Catalog

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("TRIAL_SHOTS", "/tmp/shots"))
WIDTHS = (1280, 390)
CONFIRMED = "Your Business trial is converted"
CONFIRM = re.compile(r"^Confirm: .* due (now|by .*)$")


@pytest.fixture
def billed(organization):
    """Complete billing details: the checkout goes straight to Confirm."""
    return BillingDetails.objects.create(
        organization=organization,
        legal_name="Northwind Ltd",
        address_line1="1 Main Street",
        city="Dublin",
        country="IE",
    )


@pytest.fixture
def review(page, axe):
    """review(label): at each width, axe (nothing serious or critical), no sideways
    scrolling, and a full-page screenshot; back to the desktop width after."""
    SHOTS.mkdir(parents=True, exist_ok=True)

    def check(label: str) -> None:
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            axe(f"{label} at {width}px")
            overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
            assert not overflow, f"{label} scrolls sideways at {width}px"
            page.screenshot(
                path=str(SHOTS / f"{label.replace(' ', '-')}-{width}.png"), full_page=True
            )
        page.set_viewport_size({"width": WIDTHS[0], "height": 900})

    return check


@pytest.fixture
def validate(organization, owner):
    """validate(key): the licensing API's answer to the customer's software (the real
    endpoint, through the test client, with an API token of the organization)."""
    token = api_token_create(organization=organization, name="Software", created_by=owner)
    client = Client()

    def call(key: str) -> dict:
        response = client.post(
            "/api/v1/licenses/validate",
            data={"key": key},
            content_type="application/json",
            headers={"Authorization": f"Bearer {token.secret}"},
        )
        assert response.status_code == 200, response.content
        return response.json()

    return call


def confirm_fits(page) -> None:
    """On a phone the Confirm button, its amount and date in its label, stays inside the
    preview's column (the label wraps), rather than running to the screen's edge."""
    page.set_viewport_size({"width": 390, "height": 900})
    button = page.get_by_role("button", name=CONFIRM).bounding_box()
    column = page.locator("#checkout-preview").bounding_box()
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})
    assert button["x"] + button["width"] <= column["x"] + column["width"] + 0.5, (button, column)


def confirm(page) -> Invoice:
    """Confirm what the checkout shows; the one new invoice."""
    issued = Invoice.objects.count()
    page.get_by_role("button", name=CONFIRM).click()
    expect(page.get_by_role("heading", name=CONFIRMED)).to_be_visible()
    expect(page.get_by_text("Your software keeps the key it has")).to_be_visible()
    assert Invoice.objects.count() == issued + 1
    return Invoice.objects.latest("pk")


def test_a_team_customer_tries_business_and_converts_it(
    page, live_server, login, review, validate, owner, organization, billed
):
    build_catalog()
    team = subscribed_this_month(organization, Catalog(), seats=5)
    key = team.issued_key
    subscription = Subscription.objects.get(license=team)
    price = subscription.cycle_price
    assert validate(key)["license"]["tier"] == "team"
    login(owner)

    page.goto(f"{live_server.url}/app/{organization.slug}/")
    wait_until_ready(page)
    review("convert dashboard before")
    page.get_by_role("link", name="Try Business free for 14 days").click()
    expect(page.get_by_role("heading", name="Try Business free for 14 days")).to_be_visible()
    review("convert trial start")
    page.get_by_role("button", name="Start the Business trial").click()
    expect(page.get_by_role("heading", name="Your Business trial has started")).to_be_visible()
    review("convert trial started")

    # At once: the software's next validation is Business, with the trial's end.
    trial = Trial.objects.get(organization=organization)
    body = validate(key)
    assert (body["valid"], body["license"]["tier"]) == (True, "business")
    assert body["trial"]["tier"]["slug"] == "business"
    assert body["trial"]["ends_at"] == trial.ends_at.isoformat()
    assert "audit-log" in body["entitlements"]["features"]
    team.refresh_from_db()
    assert team.version.tier.slug == "team"  # the license itself is untouched
    feature_use_record_batch(
        license=team, reports=[FeatureReport("webhooks", 4, "convert-1")], at=clock.now()
    )

    page.get_by_role("link", name="Go to your dashboard").click()
    panel = page.locator(f"#trial-{trial.pk}")
    expect(panel.get_by_role("heading", name="Business trial")).to_be_visible()
    expect(panel.get_by_text("14 days left")).to_be_visible()
    expect(panel.get_by_text("4 uses")).to_be_visible()
    wait_until_ready(page)
    review("convert dashboard trial panel")

    panel.get_by_role("link", name="Keep Business: buy it").click()
    expect(page.get_by_role("heading", name="Change your plan")).to_be_visible()
    expect(page.get_by_label("Tier")).to_have_value("business")
    preview = page.locator("#checkout-preview")
    # The seats kept, at least the 10 Business is sold from.
    expect(preview).to_contain_text("Business, 10 seats, monthly")
    wait_until_ready(page)
    review("convert checkout")
    confirm_fits(page)

    invoice = confirm(page)
    review("convert confirmation")
    team.refresh_from_db()
    trial.refresh_from_db()
    subscription.refresh_from_db()
    assert (team.version.tier.slug, team.seats) == ("business", 10)
    assert trial.status == TrialStatus.CONVERTED
    assert Invoice.objects.filter(organization=organization).count() == 1
    assert invoice.license == team
    assert subscription.cycle_price != price  # Business's price from now on
    body = validate(key)
    assert (body["valid"], body["license"]["tier"], body["trial"]) == (True, "business", None)

    page.goto(f"{live_server.url}/app/{organization.slug}/")
    expect(page.locator(f"#trial-{trial.pk}")).to_have_count(0)
    expect(page.get_by_role("link", name="Try Business free for 14 days")).to_have_count(0)


def test_a_new_organization_buys_its_trial_license(
    page, live_server, login, review, validate, owner, organization, billed
):
    build_catalog()
    login(owner)
    page.goto(f"{live_server.url}/app/{organization.slug}/")
    page.get_by_role("link", name="Try Business free for 14 days").click()
    expect(page.get_by_text("on a new trial license with its own key")).to_be_visible()
    page.get_by_role("button", name="Start the Business trial").click()
    expect(page.get_by_text("it is shown only this once")).to_be_visible()
    key = page.locator("#secret-value").inner_text().strip()
    assert key.startswith("TW-")
    review("trial license started")

    body = validate(key)
    assert (body["valid"], body["code"], body["license"]["tier"]) == (True, "trialing", "business")
    trial = Trial.objects.get(organization=organization)
    license = trial.license
    assert license.status == LicenseStatus.TRIALING

    page.get_by_role("link", name="Go to your dashboard").click()
    panel = page.locator(f"#trial-{trial.pk}")
    expect(panel.get_by_role("heading", name="Business trial")).to_be_visible()
    wait_until_ready(page)
    review("trial license dashboard")

    panel.get_by_role("link", name="Keep Business: buy it").click()
    expect(page.get_by_role("heading", name="Keep Business")).to_be_visible()
    expect(page.get_by_label("Tier")).to_have_value("business")
    wait_until_ready(page)
    expect(page.locator("#checkout-preview")).to_contain_text("Business")
    review("trial license checkout")
    confirm_fits(page)

    invoice = confirm(page)
    review("trial license bought")
    license.refresh_from_db()
    trial.refresh_from_db()
    assert License.objects.filter(organization=organization).count() == 1
    assert (license.status, license.version.tier.slug) == (LicenseStatus.ACTIVE, "business")
    assert trial.status == TrialStatus.CONVERTED
    assert Subscription.objects.filter(license=license).count() == 1
    assert list(Invoice.objects.filter(organization=organization)) == [invoice]
    body = validate(key)  # the same key, now a paid license
    assert (body["valid"], body["code"], body["license"]["tier"]) == (True, "valid", "business")
    assert body["trial"] is None
