"""The billing details page (owners and billing admins edit; members 403; outsiders 404),
the first purchase's billing-details step, and the credit notes beside the invoices."""

from datetime import date
from decimal import Decimal

import pytest

from billing.details.services import tax_override_set
from billing.invoices.services import credit_note_issue
from billing.models import BillingDetails, CreditNote, Invoice
from billing.money import Money
from tests.helpers.invoices import finalized_invoice, pay_in_full

URL = "/app/northwind/settings/billing/"
FORM = {
    "legal_name": "Northwind Traders GmbH",
    "address_line1": "Friedrichstraße 68",
    "city": "Berlin",
    "postal_code": "10117",
    "country": "DE",
    "tax_id": "DE 136 695 976",
    "billing_emails": "ap@northwind.test\nfinance@northwind.test",
    "po_number": "PO-77",
}


@pytest.mark.parametrize("who", ["owner", "billing_admin"])
def test_owners_and_billing_admins_save_the_details_on_record(client_for, request, who):
    user = request.getfixturevalue(who)
    client = client_for(user)

    assert client.get(URL).status_code == 200
    saved = client.post(URL, FORM)

    assert saved.status_code == 302 and saved["Location"] == URL
    details = BillingDetails.objects.get(organization__slug="northwind")
    assert (details.legal_name, details.tax_id, details.billing_emails) == (
        "Northwind Traders GmbH",
        "DE136695976",
        ["ap@northwind.test", "finance@northwind.test"],
    )
    page = client.get(URL).content.decode()
    assert 'value="Northwind Traders GmbH"' in page  # prefilled
    assert "Net 30 days" in page  # the terms, read-only
    assert user.display_name in page  # the change, with who made it


def test_the_changes_say_what_changed_who_and_when_but_not_staffs_reasons(
    client_for, owner, admin_user
):
    client = client_for(owner)
    client.post(URL, FORM)
    client.post(URL, {**FORM, "city": "Hamburg", "postal_code": "20095"})
    tax_override_set(
        organization=owner.memberships.get().organization,
        actor=admin_user,
        rate="7",
        reason="Internal: charity per ticket 4711, do not tell",
    )

    page = client.get(URL).content.decode()

    assert "City: Berlin" in page and "Hamburg</li>" in page
    assert "Country: — " in page and " Germany</li>" in page  # the first save, by name
    assert "Billing email addresses: — " in page and "ap@northwind.test, finance" in page
    assert "Tax rate set by Tierwise staff" in page and "Tax rate: rule" in page
    assert " 7 %</li>" in page
    assert "charity" not in page and "ticket 4711" not in page
    assert "Billing details updated" not in page
    assert owner.display_name in page and "Tierwise staff" in page
    assert admin_user.display_name not in page


def test_a_bad_tax_id_is_a_422_naming_the_format(client_for, owner):
    answer = client_for(owner).post(URL, {**FORM, "tax_id": "DE136695977"})

    assert answer.status_code == 422
    html = answer.content.decode()
    assert "not a valid German VAT number" in html and "DE123456789" in html
    assert not BillingDetails.objects.filter(legal_name__gt="").exists()


def test_a_tax_id_starting_with_no_vat_prefix_is_a_422_not_a_500(client_for, owner):
    answer = client_for(owner).post(URL, {**FORM, "country": "IE", "tax_id": "XX123"})
    assert answer.status_code == 422
    assert "XX starts no VAT number; one of Ireland starts with IE" in answer.content.decode()


def test_a_member_gets_403_and_an_outsider_404(client_for, teammate, outsider):
    assert client_for(teammate).get(URL).status_code == 403
    assert client_for(teammate).post(URL, FORM).status_code == 403
    assert client_for(outsider).get(URL).status_code == 404
    assert client_for(outsider).post(URL, FORM).status_code == 404


def test_it_goes_back_only_to_a_page_of_this_site(client_for, owner):
    client = client_for(owner)
    back = client.post(URL, {**FORM, "next": "/app/northwind/checkout/abc/?tier=team"})
    away = client.post(URL, {**FORM, "next": "https://evil.example/"})

    assert back["Location"] == "/app/northwind/checkout/abc/?tier=team"
    assert away["Location"] == URL


def test_a_first_purchase_asks_for_the_details_before_confirming(client_for, owner, catalog):
    client = client_for(owner)
    started = client.get("/app/northwind/checkout/", {"tier": "team"})
    url = started["Location"].split("?")[0]
    asked = {"tier": "team", "seats": 5, "cycle": "monthly", "currency": "USD", "submitted": 1}

    page = client.get(url, asked)
    html = page.content.decode()
    assert "Next: your billing details" in html and "data-confirms-preview" not in html
    # Before the address is in, the tax shown is the seller's country's: said so.
    assert "an estimate until your billing address is in)" in html
    digest = page.context["preview"].digest
    refused = client.post(url + "confirm/", {**asked, "digest": digest, "auto_renew": "on"})
    assert refused.status_code == 422
    assert "Enter your billing details first" in refused.content.decode()
    assert not Invoice.objects.exists()

    client.post(URL, {**FORM, "next": url})
    page = client.get(url, asked)
    html = page.content.decode()
    assert "data-confirms-preview" in html and "Next: your billing details" not in html
    assert "Invoiced to <strong>Northwind Traders GmbH</strong>, Berlin, Germany," in html
    # A German business with a VAT number: reverse charge, in the preview as on the invoice.
    assert "Tax (reverse charge, 0 %)" in html and "Article 196" in html
    assert "an estimate" not in html
    digest = page.context["preview"].digest
    done = client.post(url + "confirm/", {**asked, "digest": digest, "auto_renew": "on"})
    assert done.status_code == 302
    invoice = Invoice.objects.get()
    assert (invoice.tax_treatment, invoice.tax, invoice.billed_to_name) == (
        "reverse_charge",
        Decimal("0.00"),
        "Northwind Traders GmbH",
    )


def test_details_changed_between_preview_and_confirm_are_named_in_the_refusal(
    client_for, owner, catalog
):
    client = client_for(owner)
    client.post(URL, FORM)
    started = client.get("/app/northwind/checkout/", {"tier": "team"})
    url = started["Location"].split("?")[0]
    asked = {"tier": "team", "seats": 5, "cycle": "monthly", "currency": "USD", "submitted": 1}
    digest = client.get(url, asked).context["preview"].digest
    # Moved to Ireland, the seller's country: Irish VAT instead of the reverse charge.
    client.post(URL, {**FORM, "country": "IE", "city": "Dublin", "tax_id": ""})

    refused = client.post(url + "confirm/", {**asked, "digest": digest, "auto_renew": "on"})

    assert refused.status_code == 409
    assert "your billing details or the tax" in refused.content.decode()
    assert not Invoice.objects.exists()


@pytest.fixture
def credited(organization, now):
    invoice = pay_in_full(finalized_invoice(organization, today=date(2026, 3, 1)))
    return credit_note_issue(
        invoice=invoice, subtotal=Money(Decimal("10"), "USD"), reason="One seat billed twice"
    )


def test_credit_notes_are_listed_beside_invoices_with_their_pdf(client_for, owner, credited):
    client = client_for(owner)

    page = client.get("/app/northwind/invoices/").content.decode()
    assert credited.number in page and "One seat billed twice" in page
    pdf = client.get(f"/app/northwind/credit-notes/{credited.number}.pdf")

    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert bytes(pdf.content).startswith(b"%PDF-")


def test_a_credit_note_pdf_is_403_for_a_member_and_404_for_an_outsider(
    client_for, teammate, outsider, credited
):
    url = f"/app/northwind/credit-notes/{credited.number}.pdf"
    assert client_for(teammate).get(url).status_code == 403
    assert client_for(outsider).get(url).status_code == 404
    assert client_for(outsider).get("/app/northwind/credit-notes/CN-0.pdf").status_code == 404
    assert CreditNote.objects.count() == 1
