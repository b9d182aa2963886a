"""The Content-Security-Policy in a real browser: the main pages of every persona load
under it with no violation, htmx, Swagger UI and the admin still work, htmx's swaps and
the back button after one apply no inline style even where something gave the page's
elements a style attribute at runtime, and markup that slips into a page anyway does not
run."""

import re

import pytest
from playwright.sync_api import expect

from billing.models import BillingDetails
from licensing.demo.catalog import build_catalog
from licensing.models import TierVersion, VersionStatus
from portal.models import Membership, Role
from tests.factories import MembershipFactory
from tests.helpers.browser import wait_until_ready
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


# A style attribute set through the CSSOM, which the policy allows: Playwright's screenshot
# leaves style="" on each input it hid the caret of, password managers and other browser
# extensions style the fields they decorate. Copied on by setAttribute, or parsed from
# markup, the same attribute is an inline style the policy refuses (style-src-attr).
STYLE_AT_RUNTIME = """() => document.querySelectorAll('main [id], main input, main select')
    .forEach((element) => element.style.setProperty('--set-at-runtime', '1'))"""


def test_the_members_panels_swaps_apply_no_inline_style(
    page, live_server, login, owner, organization, no_csp_violation
):
    """htmx settles the attributes of an element the swap replaces with one of the same
    id: by default it copied the old element's style attribute onto the new one with
    setAttribute, which the policy refused (style-src-attr) whenever the old one had a
    style at all. The role save, invitation, revocation and removal all swap the panel."""
    ada = MembershipFactory(organization=organization, role=Role.MEMBER).user
    grace = MembershipFactory(organization=organization, role=Role.MEMBER).user
    login(owner)
    page.goto(f"{live_server.url}/app/northwind/members/")
    wait_until_ready(page)

    page.evaluate(STYLE_AT_RUNTIME)
    page.get_by_label(f"Role of {ada.display_name}").select_option(Role.BILLING)
    page.get_by_role("button", name=f"Save role of {ada.display_name}").click()
    expect(page.get_by_text(f"{ada.display_name} is now a billing admin.")).to_be_visible()
    assert Membership.objects.get(user=ada).role == Role.BILLING
    no_csp_violation("saving a role")

    page.evaluate(STYLE_AT_RUNTIME)
    page.get_by_role("button", name="Send invitation").click()  # no email: the form's error
    expect(page.get_by_text("This field is required.")).to_be_visible()
    no_csp_violation("an invitation refused")

    page.evaluate(STYLE_AT_RUNTIME)
    page.get_by_label("Email").fill("new.colleague@example.com")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("Invitation sent to new.colleague@example.com.")).to_be_visible()
    no_csp_violation("inviting")

    page.evaluate(STYLE_AT_RUNTIME)
    page.get_by_role("button", name="Revoke invitation for new.colleague@example.com").click()
    expect(page.get_by_text("is revoked.")).to_be_visible()
    no_csp_violation("revoking")

    page.evaluate(STYLE_AT_RUNTIME)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=f"Remove {grace.display_name}").click()
    expect(page.get_by_text(f"{grace.display_name} was removed from Northwind.")).to_be_visible()
    no_csp_violation("removing a member")


def test_the_back_button_after_an_htmx_swap_applies_no_inline_style(
    page, live_server, login, owner, organization, no_csp_violation
):
    """htmx kept a snapshot of the page's markup for the back button, style attributes
    set at runtime included, and parsing it back was refused (style-src-attr). Back after
    a swap that changed the address now loads that address afresh from the server."""
    build_catalog()
    page.goto(f"{live_server.url}/pricing/?currency=USD")
    wait_until_ready(page)
    page.evaluate(STYLE_AT_RUNTIME)
    page.get_by_role("navigation", name="Billing cycle").get_by_role(
        "link", name="Annual billing"
    ).click()
    expect(page.locator(".tier-card__amount").first).to_have_text("$290.00")
    no_csp_violation("switching the pricing to annual")
    page.evaluate(STYLE_AT_RUNTIME)
    page.go_back()
    expect(page).not_to_have_url(re.compile(r"cycle=annual"))
    expect(page.locator(".tier-card__amount").first).to_have_text("$29.00")
    wait_until_ready(page)
    no_csp_violation("back to the monthly pricing")

    BillingDetails.objects.create(
        organization=organization,
        legal_name="Northwind Ltd",
        address_line1="1 Main Street",
        city="Dublin",
        country="IE",
    )
    login(owner)
    page.goto(f"{live_server.url}/app/buy/?tier=team&cycle=monthly&currency=USD")
    wait_until_ready(page)
    preview = page.locator("#checkout-preview")
    page.evaluate(STYLE_AT_RUNTIME)
    page.get_by_label("Seats").fill("8")
    expect(preview).to_contain_text("Team, 8 seats, monthly")
    page.evaluate(STYLE_AT_RUNTIME)
    page.get_by_label("Seats").fill("2")
    expect(preview).to_contain_text("Team is sold from 3 seats; choose 3 or more.")
    no_csp_violation("the checkout's previews")
    page.go_back()
    expect(page).to_have_url(re.compile(r"seats=8"))
    expect(preview).to_contain_text("Team, 8 seats, monthly")
    wait_until_ready(page)
    no_csp_violation("back to the preview of 8 seats")


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
