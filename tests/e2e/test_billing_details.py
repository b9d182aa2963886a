"""Billing details and tax documents in a real browser: the owner enters the details
with a German VAT number, the next invoice is reverse charged and says so, credit notes
are listed with their PDF; each page accessible at desktop and phone widths, without
sideways scrolling. Screenshots go to var/screenshots/ for a person to look at."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from billing.invoices.services import credit_note_issue
from billing.money import Money
from tests.helpers.browser import wait_until_ready
from tests.helpers.invoices import finalized_invoice, pay_in_full

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def _no_sideways_scroll(page, what: str) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert not overflow, f"{what} scrolls sideways"


@pytest.mark.parametrize("width", [1280, 390])
def test_billing_details_make_the_next_invoice_a_reverse_charge_tax_document(
    page, live_server, login, axe, owner, width
):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    organization = owner.memberships.get().organization
    page.set_viewport_size({"width": width, "height": 900})
    login(owner)

    page.goto(f"{live_server.url}/app/northwind/settings/")
    page.get_by_role("link", name="Billing details").click()
    expect(page.get_by_role("heading", name="Billing details", exact=True)).to_be_visible()
    wait_until_ready(page)
    page.get_by_label("Legal name").fill("Northwind Traders GmbH")
    page.locator("#id_address_line1").fill("Friedrichstraße 68")
    page.get_by_label("City").fill("Berlin")
    page.get_by_label("Postal code").fill("10117")
    page.get_by_label("Country").select_option("DE")
    page.get_by_label("Tax ID").fill("DE 136 695 977")  # a wrong check digit
    page.get_by_role("button", name="Save billing details").click()
    expect(page.get_by_text("not a valid German VAT number")).to_be_visible()
    axe(f"billing details with an error at {width}px")
    page.get_by_label("Tax ID").fill("DE 136 695 976")
    page.get_by_label("Billing email addresses").fill("ap@northwind.test")
    page.get_by_role("button", name="Save billing details").click()
    expect(page.get_by_text("Your billing details are saved.")).to_be_visible()
    expect(page.get_by_role("heading", name="Changes")).to_be_visible()
    changes = page.get_by_role("region", name="Changes to the billing details")
    expect(changes.get_by_text("Billing email addresses: —")).to_be_visible()
    axe(f"billing details at {width}px")
    _no_sideways_scroll(page, f"the billing details page at {width}px")
    page.screenshot(path=str(SCREENSHOTS / f"billing-details-{width}.png"), full_page=True)

    invoice = pay_in_full(finalized_invoice(organization, today=date(2026, 3, 1)))
    note = credit_note_issue(
        invoice=invoice, subtotal=Money(Decimal("10"), "USD"), reason="One seat billed twice"
    )
    page.goto(f"{live_server.url}/app/northwind/invoices/")
    expect(page.get_by_role("heading", name="Credit notes")).to_be_visible()
    expect(page.get_by_text("One seat billed twice")).to_be_visible()
    axe(f"invoice list with credit notes at {width}px")
    _no_sideways_scroll(page, f"the invoice list at {width}px")
    with page.expect_download() as download:
        page.get_by_role("link", name=f"PDF of {note.number}").click()
    assert download.value.suggested_filename == f"{note.number}.pdf"
    download.value.save_as(str(SCREENSHOTS / f"credit-note-{width}.pdf"))

    invoices = page.get_by_role("region", name="Invoices of Northwind")
    invoices.get_by_role("link", name=invoice.number, exact=True).click()
    expect(page.get_by_role("heading", name=f"Invoice {invoice.number}")).to_be_visible()
    expect(page.get_by_text("Northwind Traders GmbH")).to_be_visible()
    expect(page.get_by_text("Article 196 Council Directive 2006/112/EC")).to_be_visible()
    expect(page.get_by_text("Tax (reverse charge, 0 %)")).to_be_visible()
    axe(f"reverse-charge invoice at {width}px")
    _no_sideways_scroll(page, f"the invoice page at {width}px")
    page.screenshot(path=str(SCREENSHOTS / f"invoice-reverse-charge-{width}.png"), full_page=True)


def test_a_member_is_not_shown_the_billing_details(page, live_server, login, teammate, owner):
    login(teammate)
    response = page.goto(f"{live_server.url}/app/northwind/settings/billing/")
    assert response.status == 403
