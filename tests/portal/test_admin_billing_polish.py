"""The billing admin reads as staff expect: payment terms as "Net 30 days", billing
emails one a line, the tax rate table's country chosen from ISO countries (typed lower
case taken as upper case), the override page says what the rule picks, and the test
clock's notice is a status region around the message list, not a role on its item."""

from datetime import date
from decimal import Decimal

import pytest

from billing.models import BillingDetails, TaxRate
from portal import clock

pytestmark = pytest.mark.django_db


@pytest.fixture
def details(organization) -> BillingDetails:
    return BillingDetails.objects.create(
        organization=organization,
        legal_name="Northwind Traders GmbH",
        address_line1="Friedrichstraße 68",
        city="Berlin",
        country="DE",
        tax_id="DE136695976",
        billing_emails=["ap@northwind.test", "finance@northwind.test"],
        net_days=30,
    )


def test_the_list_says_net_30_days_and_the_form_net_days_below(admin_client, details):
    listing = admin_client.get("/admin/billing/billingdetails/").content.decode()
    assert "Net 30 days" in listing and "Net N days" not in listing

    page = admin_client.get(f"/admin/billing/billingdetails/{details.pk}/change/")
    html = page.content.decode()
    assert "Net (days below)" in html and "Net N days" not in html


def test_billing_emails_are_shown_one_a_line(admin_client, details):
    html = admin_client.get(f"/admin/billing/billingdetails/{details.pk}/change/").content
    html = html.decode()
    assert "ap@northwind.test<br>finance@northwind.test" in html
    assert "[&quot;ap@northwind.test" not in html and '["ap@northwind.test' not in html


def test_the_override_page_says_what_the_rule_picks(admin_client, details):
    html = admin_client.get(f"/admin/billing/billingdetails/{details.pk}/tax-override/")
    assert "The rule picks today" in html.content.decode()
    # A German business with a VAT number, the seller in Ireland: reverse charge.
    assert "0 % (Reverse charge)" in html.content.decode()


@pytest.mark.parametrize(("typed", "kept"), [("de", "DE"), (" DE ", "DE"), ("De", "DE")])
def test_a_tax_rate_country_is_taken_in_upper_case(admin_client, now, typed, kept):
    answer = admin_client.post(
        "/admin/billing/taxrate/add/",
        {"country": typed, "rate": "19", "effective_from": "2026-07-01"},
    )
    assert answer.status_code == 302
    assert TaxRate.objects.get().country == kept


@pytest.mark.parametrize("typed", ["XX", "IC", "Germany", ""])
def test_a_tax_rate_country_not_in_iso_3166_is_refused(admin_client, now, typed):
    answer = admin_client.post(
        "/admin/billing/taxrate/add/",
        {"country": typed, "rate": "19", "effective_from": "2026-07-01"},
    )
    assert answer.status_code == 200 and not TaxRate.objects.exists()


def test_the_tax_rate_form_offers_the_iso_countries(admin_client):
    html = admin_client.get("/admin/billing/taxrate/add/").content.decode()
    assert '<option value="DE">Germany (DE)</option>' in html
    assert 'value="IC"' not in html


def test_the_test_clock_notice_is_a_status_region_around_the_list(admin_client, settings):
    settings.TEST_CLOCK = True
    clock.forget()
    try:
        html = admin_client.get("/admin/").content.decode()
    finally:
        clock.forget()
    assert '<div role="status"><ul class="messagelist"><li class="warning">Test clock' in html
    assert '<li class="warning" role="status">' not in html


def test_rates_in_force_are_still_read_only(admin_client, now):
    rate = TaxRate.objects.create(country="DE", rate=Decimal("19"), effective_from=date(2024, 1, 1))
    html = admin_client.get(f"/admin/billing/taxrate/{rate.pk}/change/").content.decode()
    assert 'name="_save"' not in html
