import re

import pytest
from playwright.sync_api import expect

from licensing.demo.catalog import build_catalog

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_catalog(transactional_db):
    from django.core.cache import cache

    cache.clear()
    build_catalog()


def test_it_switches_cycle_and_currency_and_compares_two_tiers(
    page, live_server, demo_catalog, axe
):
    page.goto(f"{live_server.url}/pricing/")
    expect(page.get_by_role("heading", name="Team", exact=True)).to_be_visible()
    expect(page.locator(".tier-card__amount").first).to_have_text("$29.00")
    axe("/pricing/")

    page.get_by_role("navigation", name="Billing cycle").get_by_role(
        "link", name="Annual billing"
    ).click()
    expect(page.locator(".tier-card__amount").first).to_have_text("$290.00")
    expect(page).to_have_url(re.compile(r"cycle=annual"))  # htmx pushed a shareable URL

    page.get_by_role("navigation", name="Currency").get_by_role("link", name="EUR").click()
    expect(page.locator(".tier-card__amount").first).to_have_text("€270.00")
    expect(page).to_have_url(re.compile(r"currency=EUR&cycle=annual"))
    expect(page.get_by_text("€54.00 (16.7%)").first).to_be_visible()

    page.get_by_label("From").select_option("enterprise")
    page.get_by_label("To").select_option("team")
    page.get_by_role("button", name="Compare").click()
    expect(page).to_have_url(re.compile(r"/pricing/compare/enterprise/team/\?currency=EUR"))
    expect(page.get_by_role("heading", name="Enterprise → Team")).to_be_visible()
    expect(page.get_by_text("You lose (")).to_be_visible()
    axe("compare")

    page.goto(f"{live_server.url}/changelog/")
    expect(page.get_by_text("Now retired")).to_be_visible()
    axe("/changelog/")

    page.goto(f"{live_server.url}/policy/upgrades/")
    expect(page.get_by_role("heading", name="Proration and rounding")).to_be_visible()
    axe("/policy/upgrades/")


def test_it_works_without_javascript(page_without_javascript, live_server, demo_catalog):
    page = page_without_javascript
    page.goto(f"{live_server.url}/pricing/")
    page.get_by_role("link", name="GBP").click()
    expect(page).to_have_url(re.compile(r"currency=GBP"))
    expect(page.locator(".tier-card__amount").first).to_have_text("£23.00")
    page.get_by_role("button", name="Compare").click()
    expect(page.get_by_role("heading", name="Starter → Team")).to_be_visible()
