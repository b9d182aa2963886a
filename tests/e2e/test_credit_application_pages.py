"""Credit applied to an open invoice, in a real browser: the invoice page shows
"Credit applied on <day>" and the rule, the dashboard and the list say the same rule;
accessible at desktop and phone widths, no sideways scrolling."""

from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from billing.invoices import services
from billing.money import Money
from tests.helpers.invoices import finalized_invoice, pay_in_full

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1280, 390])
def test_credit_applied_is_shown_where_the_customer_looks(
    page, live_server, login, axe, owner, width, tmp_path
):
    organization = owner.memberships.get().organization
    paid = pay_in_full(finalized_invoice(organization, today=date(2026, 3, 1)))
    open_invoice = finalized_invoice(organization, lines=[("Team plan", 1, Decimal("80"))])
    services.credit_note_issue(
        invoice=paid, subtotal=Money(Decimal("30"), "USD"), reason="Two seats billed twice."
    )
    page.set_viewport_size({"width": width, "height": 900})
    login(owner)

    page.goto(f"{live_server.url}/app/northwind/invoices/{open_invoice.number}/")
    expect(page.get_by_text("Credit applied on")).to_be_visible()
    expect(page.get_by_text("\u2212$30.00")).to_be_visible()
    expect(page.get_by_text("oldest first").first).to_be_visible()
    page.screenshot(path=str(tmp_path / f"invoice-{width}.png"), full_page=True)
    axe(f"invoice page with credit applied at {width}px")
    assert not page.evaluate("document.documentElement.scrollWidth > window.innerWidth")

    page.goto(f"{live_server.url}/app/northwind/")
    expect(page.get_by_text("oldest first")).to_be_visible()
    page.screenshot(path=str(tmp_path / f"dashboard-{width}.png"), full_page=True)
    axe(f"dashboard with credit at {width}px")

    page.goto(f"{live_server.url}/app/northwind/invoices/")
    expect(page.get_by_text("oldest first")).to_be_visible()
    axe(f"invoice list with the credit rule at {width}px")
