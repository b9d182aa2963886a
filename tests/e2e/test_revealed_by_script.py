"""What a script reveals stays hidden without JavaScript: no control that cannot work is
offered (the card form, the copy button), and what works without it is there."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD
from tests.helpers.invoices import finalized_invoice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_without_javascript_the_pay_page_offers_no_dead_card_form(
    page_without_javascript, live_server, owner, stripe_settings, localstripe_url
):
    page = page_without_javascript
    organization = owner.memberships.get().organization
    invoice = finalized_invoice(organization, lines=[("Team plan, 12 seats", 12, Decimal("19"))])
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)

    page.goto(f"{live_server.url}/app/{organization.slug}/invoices/{invoice.number}/pay/")

    expect(page.get_by_text("Entering a card needs JavaScript")).to_be_visible()
    expect(page.locator("#card-form")).to_be_hidden()
    expect(page.get_by_role("button", name="Pay $228.00")).to_have_count(0)
    expect(page.get_by_role("link", name="the invoice").first).to_be_visible()
