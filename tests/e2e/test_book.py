"""Maya's book of accounts and an account page in a real browser, on the demo: she signs
in and lands on her book, filters it by a signal, opens Northwind's page; axe on both, at
1280 and 390 px (screenshots in /tmp/shots). The filter works without JavaScript."""

from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from portal.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots")
WIDTHS = (1280, 390)


@pytest.fixture
def demo_site(settings, now):
    settings.DEBUG = True
    call_command("demo", stdout=open("/dev/null", "w"))  # noqa: SIM115


def sign_in_as_maya(page, live_server) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill("maya@tierwise.test")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(f"{live_server.url}/manage/")


@pytest.mark.parametrize("width", WIDTHS)
def test_maya_reads_her_book_and_an_account(page, live_server, demo_site, axe, width):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in_as_maya(page, live_server)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your accounts")
    table = page.get_by_role("region", name="Your accounts")
    expect(table).to_contain_text("Northwind Analytics")
    expect(table).to_contain_text("Acme Robotics")
    expect(table).to_contain_text("Risk: Overdue invoice")
    expect(table).to_contain_text("Trial features used")
    expect(page.get_by_text("ARR in USD")).to_be_visible()
    axe("book of accounts")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"book-{width}.png"), full_page=True)

    page.get_by_label("Signal").select_option("overdue")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**/manage/?signal=overdue**")
    expect(table).to_contain_text("Northwind Analytics")
    expect(table).not_to_contain_text("Acme Robotics")

    page.get_by_role("link", name="Northwind Analytics", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Northwind Analytics")
    expect(page.get_by_role("region", name="Commercial ledger")).to_contain_text("Purchased")
    expect(page.get_by_role("region", name="Invoices")).to_contain_text("Overdue")
    expect(page.locator("figure.meter__chart svg").first).to_be_visible()
    axe("account page")
    page.screenshot(path=str(SHOTS / f"account-{width}.png"), full_page=True)


def test_the_book_filters_and_sorts_without_javascript(
    page_without_javascript, live_server, demo_site
):
    page = page_without_javascript
    sign_in_as_maya(page, live_server)
    page.get_by_label("Signal").select_option("trial_features")
    page.get_by_label("Sort", exact=True).select_option("-name")
    page.get_by_role("button", name="Apply").click()
    table = page.get_by_role("region", name="Your accounts")
    expect(table).to_contain_text("Acme Robotics")
    expect(table).not_to_contain_text("Northwind Analytics")
