"""The invoices pages in a real browser: accessible at desktop and phone widths, no
sideways scrolling, nothing loaded from elsewhere, and the PDF downloads."""

from decimal import Decimal

import pytest

from tests.helpers.invoices import finalized_invoice, pay_in_full

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1280, 390])
def test_the_invoices_pages_are_accessible(page, live_server, login, axe, owner, width):
    organization = owner.memberships.get().organization
    finalized_invoice(organization, lines=[("Credit for unused Business", 1, Decimal("-40"))])
    invoice = pay_in_full(finalized_invoice(organization))
    remote = []
    page.on("request", lambda r: remote.append(r.url) if live_server.url not in r.url else None)
    page.set_viewport_size({"width": width, "height": 900})
    login(owner)

    page.goto(f"{live_server.url}/app/northwind/")
    page.get_by_role("link", name="Invoices").click()
    assert page.get_by_role("heading", name="Invoices", exact=True).is_visible()
    assert page.get_by_text("$40.00").is_visible()
    axe(f"invoice list at {width}px")
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert not overflow, f"the invoice list scrolls sideways at {width}px"

    page.get_by_role("link", name=invoice.number, exact=True).click()
    assert page.get_by_role("heading", name=f"Invoice {invoice.number}").is_visible()
    axe(f"invoice page at {width}px")
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert not overflow, f"the invoice page scrolls sideways at {width}px"

    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF").click()
    assert download.value.suggested_filename == f"{invoice.number}.pdf"
    assert remote == []
