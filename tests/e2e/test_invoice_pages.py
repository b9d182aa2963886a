"""The invoices pages in a real browser: accessible at desktop and phone widths, no
sideways scrolling, nothing loaded from elsewhere, and the PDF downloads."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from billing.money import Money
from billing.payments.services import payment_record
from tests.helpers.invoices import finalized_invoice, pay_in_full

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
# A table whose money columns scroll out of view inside its own box.
SCROLLS_INSIDE = (
    "[...document.querySelectorAll('.table-wrap')].some(w => w.scrollWidth > w.clientWidth)"
)


@pytest.mark.parametrize("width", [1280, 390])
def test_the_invoices_pages_are_accessible(page, live_server, login, axe, owner, width):
    organization = owner.memberships.get().organization
    finalized_invoice(organization, lines=[("Credit for unused Business", 1, Decimal("-40"))])
    invoice = pay_in_full(finalized_invoice(organization))
    part_paid = finalized_invoice(organization)
    receive_part(part_paid)
    remote = []
    page.on("request", lambda r: remote.append(r.url) if live_server.url not in r.url else None)
    page.set_viewport_size({"width": width, "height": 900})
    login(owner)

    page.goto(f"{live_server.url}/app/northwind/")
    page.get_by_role("link", name="Invoices").click()
    expect(page.get_by_role("heading", name="Invoices", exact=True)).to_be_visible()
    expect(page.get_by_text("$40.00")).to_be_visible()
    axe(f"invoice list at {width}px")
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert not overflow, f"the invoice list scrolls sideways at {width}px"
    assert not page.evaluate(SCROLLS_INSIDE), f"the invoice list hides columns at {width}px"

    page.get_by_role("link", name=invoice.number, exact=True).click()
    expect(page.get_by_role("heading", name=f"Invoice {invoice.number}")).to_be_visible()
    # Paid in full: the PDF's version 2, the one the payment added.
    expect(page.get_by_text("The PDF is version 2 (payment recorded)")).to_be_visible()
    axe(f"invoice page at {width}px")
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert not overflow, f"the invoice page scrolls sideways at {width}px"
    hidden = page.evaluate(SCROLLS_INSIDE)
    assert not hidden, f"the invoice's lines or totals scroll out of view at {width}px"

    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF").click()
    assert download.value.suggested_filename == f"{invoice.number}.pdf"
    assert remote == []

    page.goto(f"{live_server.url}/app/northwind/invoices/")
    page.get_by_role("link", name=part_paid.number, exact=True).click()
    expect(page.get_by_role("heading", name="Pay by bank transfer")).to_be_visible()
    expect(page.get_by_text("reference BANK-778")).to_be_visible()
    axe(f"part-paid invoice page at {width}px")
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert not overflow, f"the part-paid invoice page scrolls sideways at {width}px"


def receive_part(invoice) -> None:
    payment_record(
        invoice=invoice,
        amount=Money(Decimal("100.00"), "USD"),
        received_on=invoice.issued_on,
        reference="BANK-778",
        actor=None,
        reason="On the statement.",
    )


# Money cells of the invoice's table whose text takes more than one line, e.g. a minus
# sign alone above "€1,440.00".
WRAPPED_AMOUNTS = """() => [...document.querySelectorAll('.table td.num')].filter((cell) => {
  const range = document.createRange();
  range.selectNodeContents(cell);
  const tops = [...range.getClientRects()].map((rect) => rect.top);
  return Math.max(...tops) - Math.min(...tops) > 2;
}).map((cell) => cell.textContent.trim())"""


@pytest.mark.parametrize("width", [1280, 390])
def test_an_invoices_amounts_stay_on_one_line(page, live_server, login, owner, width):
    # As a mid-term upgrade is invoiced: long descriptions beside negative amounts.
    organization = owner.memberships.get().organization
    invoice = finalized_invoice(
        organization,
        currency="EUR",
        lines=[
            (
                "Credit for unused time on Team v2, 12 seats, 14 Mar 2026 to 31 Dec 2026",
                1,
                Decimal("-1440"),
            ),
            (
                "Business v2, 12 seats, from 14 Mar 2026 to 31 Dec 2026, prorated",
                12,
                Decimal("312.50"),
            ),
        ],
    )
    page.set_viewport_size({"width": width, "height": 900})
    login(owner)

    page.goto(f"{live_server.url}/app/northwind/invoices/{invoice.number}/")
    expect(page.get_by_text("\u2212€1,440.00").first).to_be_visible()
    assert page.evaluate(WRAPPED_AMOUNTS) == []
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert not overflow, f"the invoice page scrolls sideways at {width}px"
    assert not page.evaluate(SCROLLS_INSIDE), (
        f"the invoice's amounts scroll out of view at {width}px"
    )
