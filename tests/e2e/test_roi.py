"""The ROI calculator in a real browser: live htmx recalculation, the chart, errors
beside their fields, saving a scenario, and axe on each state."""

import re
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from billing.models import RoiScenario
from licensing.licenses.services import license_create
from licensing.usage import meters
from licensing.usage.services import UsageReport, usage_record_batch
from portal.models import Role
from tests.factories import MembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def results(page):
    return page.locator("#roi-results")


def test_it_recalculates_as_the_visitor_types(page, live_server, roi_catalog, axe):
    page.goto(f"{live_server.url}/roi/")
    axe("the ROI calculator")
    first_chart = page.locator("#roi-results svg[role=img]").first.get_attribute("aria-label")

    page.get_by_label("Team size (people)").fill("50")
    page.get_by_label("Billing cycle").select_option("annual")
    page.get_by_label("Horizon (years)").fill("1")
    page.get_by_label("Cost of one error or incident").fill("0")
    page.get_by_label("Loaded hourly cost per person").fill("75")

    expect(results(page)).to_contain_text("875.0%")
    expect(results(page)).to_contain_text("$585,000.00")
    expect(results(page)).to_contain_text("1.2 months")
    expect(page.locator(".roi-recommendation")).to_contain_text("Business")
    # The chart was redrawn with the new numbers, and the URL keeps the inputs.
    charts = page.locator("#roi-results svg[role=img]")
    expect(charts).to_have_count(3)
    assert charts.nth(1).get_attribute("aria-label") != first_chart
    expect(charts.nth(1)).to_have_attribute("aria-label", re.compile(r"\$585,000\.00 a year"))
    expect(page).to_have_url(re.compile(r"team_size=50.*hourly_cost=75"))
    axe("the ROI calculator after htmx swaps")

    page.get_by_label("Loaded hourly cost per person").fill("NaN")
    error = page.locator("#id_hourly_cost_error")
    expect(error).to_contain_text("Enter a number using digits")
    expect(results(page)).to_contain_text("Some inputs need fixing")
    expect(page.get_by_label("Loaded hourly cost per person")).to_be_focused()
    axe("the ROI calculator with an error")

    page.get_by_label("Loaded hourly cost per person").fill("75")
    expect(error).to_be_empty()
    expect(results(page)).to_contain_text("875.0%")

    # The shared URL reproduces the result in a fresh page.
    page.goto(page.url)
    expect(results(page)).to_contain_text("875.0%")


@pytest.mark.parametrize("width", [1280, 390])
def test_it_fits_the_screen(page, live_server, roi_catalog, width):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/roi/?team_size=50&hourly_cost=75&horizon_years=3")
    expect(results(page)).to_contain_text("Recommended")
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert not overflow, f"the page scrolls sideways at {width}px"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"roi-{width}.png"), full_page=True)


def test_it_works_without_javascript(page_without_javascript, live_server, roi_catalog):
    page = page_without_javascript
    page.goto(f"{live_server.url}/roi/")
    page.get_by_label("Team size (people)").fill("50")
    page.get_by_label("Horizon (years)").fill("1")
    page.get_by_label("Cost of one error or incident").fill("0")
    page.get_by_role("button", name="Calculate").click()
    expect(page).to_have_url(re.compile(r"team_size=50"))
    expect(results(page)).to_contain_text("875.0%")


def test_it_saves_a_scenario_for_a_member(page, live_server, login, roi_catalog, axe):
    owner = MembershipFactory(
        organization__name="Northwind", organization__slug="northwind", role=Role.OWNER
    ).user
    login(owner)
    page.goto(f"{live_server.url}/roi/?team_size=50&hourly_cost=75")
    expect(page.get_by_text("Pre-filled for Northwind")).to_be_visible()
    page.get_by_label("Team size (people)").fill("40")
    expect(page).to_have_url(re.compile(r"team_size=40"))
    page.get_by_label("Scenario name").fill("Forty people")
    page.get_by_role("button", name="Save for Northwind").click()
    expect(page.get_by_text("Saved the scenario “Forty people”.")).to_be_visible()
    assert RoiScenario.objects.get().query["team_size"] == "40"

    page.get_by_role("link", name="Saved scenarios").click()
    expect(page.get_by_role("row", name=re.compile("Forty people"))).to_be_visible()
    axe("saved scenarios")
    page.get_by_role("button", name="Delete Forty people").click()
    expect(page.get_by_text("No saved scenarios yet")).to_be_visible()


@pytest.mark.parametrize("width", [1280, 390])
def test_it_shows_a_members_own_usage_accessibly(page, live_server, login, roi_catalog, axe, width):
    owner = MembershipFactory(
        organization__name="Northwind", organization__slug="northwind", role=Role.OWNER
    ).user
    organization = owner.memberships.get().organization
    today = timezone.now()
    license = license_create(
        organization=organization,
        version=roi_catalog.versions["business"],
        seats=40,
        term_start=today.date() - timedelta(days=120),
        term_end=today.date() + timedelta(days=240),
        reason="Bought in the test.",
    ).license
    months = meters.completed_periods(meters.period_of(today), 3)
    usage_record_batch(
        license=license,
        reports=[
            UsageReport(
                "api-calls", calls, f"calls-{month}", datetime.combine(month, time(12), UTC)
            )
            for month, calls in zip(months, (96_000, 118_000, 104_000), strict=True)
        ],
    )
    page.set_viewport_size({"width": width, "height": 900})
    login(owner)
    page.goto(f"{live_server.url}/roi/")
    expect(page.get_by_label("Team size (people)")).to_have_value("40")
    expect(page.locator(".roi-card--current")).to_contain_text("Your tier")
    expect(results(page)).to_contain_text(
        "On Enterprise you would not have hit the API calls a month limit in 2 of the last 3 months"
    )
    axe(f"the personalised ROI calculator at {width}px")
    nav = page.get_by_role("navigation", name="Main")
    if width < 1000:
        nav.locator(".nav-mobile > summary").click()
    expect(nav.get_by_role("link", name="ROI calculator")).to_have_attribute("aria-current", "page")
    axe(f"the navigation at {width}px")
