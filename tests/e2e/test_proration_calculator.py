"""The proration calculator in a real browser: the policy's example worked out, an error
beside its field, axe on each state, and the page at desktop and phone widths."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.factories import CurrencyFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
URL = "/policy/upgrades/calculator/"
EXAMPLE = (
    "?currency=USD&current_price=50.00&new_price=80.00"
    "&term_start=2025-11-01&term_end=2025-11-30&change_date=2025-11-21"
)


@pytest.fixture
def currencies(transactional_db):
    for order, code in enumerate(["USD", "EUR", "JPY"]):
        CurrencyFactory(code=code, order=order)


def lines(page):
    return page.locator(".proration-lines")


def test_it_works_out_the_policy_example(currencies, page, live_server, axe):
    page.goto(f"{live_server.url}{URL}")
    expect(page.get_by_role("heading", name="Proration calculator")).to_be_visible()
    expect(lines(page)).to_contain_text("Amount due now")
    axe("the proration calculator's own example")

    page.get_by_label("Currency").select_option("USD")
    page.get_by_label("Current price of the term").fill("50.00")
    page.get_by_label("New price of the term").fill("80.00")
    page.get_by_label("First day of the term").fill("2025-11-01")
    page.get_by_label("Last day of the term").fill("2025-11-30")
    page.get_by_label("First day at the new price").fill("2025-11-21")
    page.get_by_role("button", name="Calculate").click()

    expect(page).to_have_url(
        re.compile(r"current_price=50\.00.*change_date=2025-11-21#proration-result$")
    )
    expect(lines(page)).to_contain_text("$16.67")
    expect(lines(page)).to_contain_text("$26.67")
    expect(page.locator(".proration-lines__total")).to_contain_text("$10.00")
    expect(page.locator(".proration-working")).to_contain_text("10 of 30 days remain")
    axe("the proration calculator with a result")

    page.get_by_label("First day at the new price").fill("2025-12-01")
    page.get_by_role("button", name="Calculate").click()
    error = page.locator("#id_change_date_error")
    expect(error).to_contain_text("on or before its last day, 2025-11-30")
    expect(page.get_by_label("First day at the new price")).to_have_attribute(
        "aria-describedby", re.compile(r"id_change_date_error")
    )
    expect(page.get_by_role("alert")).to_contain_text("Some inputs need fixing")
    axe("the proration calculator with an error")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "proration-calculator-error.png"), full_page=True)


def test_it_works_without_javascript(currencies, page_without_javascript, live_server):
    page = page_without_javascript
    page.goto(f"{live_server.url}{URL}{EXAMPLE}")
    page.get_by_label("New price of the term").fill("110.00")
    page.get_by_role("button", name="Calculate").click()
    expect(page.locator(".proration-lines__total")).to_contain_text("$20.00")


@pytest.mark.parametrize("width", [1280, 390])
def test_it_fits_the_screen(currencies, page, live_server, axe, width):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}{URL}{EXAMPLE}")
    expect(lines(page)).to_contain_text("$16.67")
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert not overflow, f"the page scrolls sideways at {width}px"
    axe(f"the proration calculator at {width}px")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"proration-calculator-{width}.png"), full_page=True)
