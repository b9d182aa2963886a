"""The admin's new and changed billing pages pass axe at 1280 and 390 px: "Issue credit
note" on a paid invoice the tax override page that says
what the rule picks, and any admin page with the test clock's notice on."""

from pathlib import Path

import pytest

from billing.models import BillingDetails
from portal import clock
from tests.helpers.invoices import finalized_invoice, pay_in_full

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots")
WIDTHS = (1280, 390)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_credit_note_and_override_pages_pass_axe(
    page, live_server, login, admin_user, organization, axe, settings, width
):
    details = BillingDetails.objects.create(
        organization=organization, legal_name="Northwind GmbH", country="DE", tax_id="DE136695976"
    )
    invoice = pay_in_full(finalized_invoice(organization))
    settings.TEST_CLOCK = True
    clock.forget()
    page.set_viewport_size({"width": width, "height": 900})
    login(admin_user)

    page.goto(f"{live_server.url}/admin/billing/invoice/{invoice.pk}/credit-note/")
    page.get_by_label("Amount to credit, before tax").wait_for()
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"admin-credit-note-{width}.png"), full_page=True)
    axe(f"issue credit note at {width}px (test clock on)")

    page.goto(f"{live_server.url}/admin/billing/billingdetails/{details.pk}/tax-override/")
    page.get_by_text("0 % (Reverse charge)").wait_for()
    page.screenshot(path=str(SHOTS / f"admin-tax-override-{width}.png"), full_page=True)
    axe(f"tax override at {width}px")
    clock.forget()
