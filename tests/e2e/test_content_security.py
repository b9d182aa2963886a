"""The Content-Security-Policy in a real browser: the main pages of every persona load
under it with no violation, htmx, Swagger UI and the admin still work, and markup that
slips into a page anyway does not run."""

import re

import pytest
from playwright.sync_api import expect

from licensing.demo.catalog import build_catalog
from licensing.models import TierVersion, VersionStatus
from tests.helpers.licenses import Catalog, issue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def licensed(owner):
    build_catalog()
    issue(owner.memberships.get().organization, Catalog())


def visit(page, url: str, csp_violations: list[str]) -> None:
    response = page.goto(url)
    page.wait_for_load_state("networkidle")
    assert "script-src 'self'" in response.headers["content-security-policy"], url
    assert not csp_violations, f"{url}:\n" + "\n".join(csp_violations)


def test_it_shows_the_public_pages_without_a_violation(page, live_server, licensed, csp_violations):
    for path in [
        "/",
        "/pricing/",
        "/pricing/compare/",
        "/pricing/compare/starter/team/",
        "/changelog/",
        "/policy/upgrades/",
        "/roi/",
        "/accounts/login/",
        "/accounts/signup/",
        "/no-such-page/",
    ]:
        visit(page, f"{live_server.url}{path}", csp_violations)

    visit(page, f"{live_server.url}/api/v1/docs", csp_violations)
    # Swagger UI ran: it drew the API from its OpenAPI document.
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Tierwise licensing API")
    expect(page.get_by_text("/api/v1/licenses/validate").first).to_be_visible()
    assert not csp_violations


def test_it_swaps_with_htmx_under_the_policy(page, live_server, licensed, csp_violations):
    visit(page, f"{live_server.url}/pricing/", csp_violations)
    page.evaluate("window.loadedOnce = true")
    page.get_by_role("navigation", name="Billing cycle").get_by_role(
        "link", name="Annual billing"
    ).click()
    expect(page.locator(".tier-card__amount").first).to_have_text("$290.00")
    expect(page).to_have_url(re.compile(r"cycle=annual"))
    # The same document: htmx swapped the matrix in, the browser did not load a new page.
    assert page.evaluate("window.loadedOnce") is True
    assert not csp_violations


def test_it_shows_a_customers_pages_without_a_violation(
    page, live_server, login, owner, licensed, csp_violations
):
    login(owner)
    for path in ["/accounts/email/", "/app/northwind/members/", "/app/northwind/", "/roi/"]:
        visit(page, f"{live_server.url}{path}", csp_violations)
    # The ROI charts keep their look, from the static stylesheet: a bold value line.
    line = page.locator("svg.pygal-roi .serie-0 .line").first
    assert line.evaluate("line => getComputedStyle(line).strokeWidth") == "3px"


def test_it_shows_the_admin_without_a_violation(
    page, live_server, login, admin_user, licensed, organization, csp_violations
):
    license = organization.licenses.first()
    past = organization.history.earliest()
    published = TierVersion.objects.filter(status=VersionStatus.PUBLISHED).first()
    login(admin_user)
    for path in [
        "/admin/",
        "/admin/portal/organization/",
        f"/admin/portal/organization/{organization.pk}/change/",
        f"/admin/licensing/tierversion/{published.pk}/change/",
        "/manage/",
        f"/admin/portal/organization/{organization.pk}/history/",
        f"/admin/portal/organization/{organization.pk}/history/{past.history_id}/",
        f"/admin/licensing/license/{license.pk}/change/",
    ]:
        visit(page, f"{live_server.url}{path}", csp_violations)
    # The license's operations sit beside each other under its name, covering none of it.
    title = page.locator("#content h2").first.bounding_box()
    boxes = [tool.bounding_box() for tool in page.locator(".object-tools li").all()]
    assert len(boxes) >= 5
    for box in boxes:
        assert box["y"] >= title["y"] + title["height"], "an operation covers the title"
    # The manage page was the last; the tier version's "New draft" button, styled from
    # static/css/admin.css now that inline styles are refused:
    page.goto(f"{live_server.url}/admin/licensing/tierversion/{published.pk}/change/")
    button = page.get_by_role("button", name="New draft from this version")
    assert button.evaluate("b => getComputedStyle(b).borderRadius") == "15px"


def test_it_refuses_markup_that_slips_into_a_page(context, live_server):
    # A page of its own: the `page` fixture fails on the violations expected here.
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    refused = page.evaluate(
        """() => new Promise((resolve) => {
            const refused = new Set();
            document.addEventListener("securitypolicyviolation", (event) => {
                refused.add(event.effectiveDirective);
                if (refused.has("script-src-attr") && refused.has("script-src-elem")) {
                    resolve([...refused]);
                }
            });
            // The ceiling: what was refused by then.
            setTimeout(() => resolve([...refused]), 30000);
            document.body.insertAdjacentHTML(
                "beforeend", '<img src="data:," onerror="window.ran = true">');
            const script = document.createElement("script");
            script.textContent = "window.ran = true";
            document.body.append(script);
        })"""
    )
    assert {"script-src-attr", "script-src-elem"} <= set(refused), refused
    assert page.evaluate("window.ran") is None
