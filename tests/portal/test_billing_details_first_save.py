"""One save is one entry in the billing details' history: pages read the details
without making a row, so the customer's first save is the first entry (not an empty
"saved" one before it)."""

from billing.models import BillingDetails
from tests.portal.test_billing_details_pages import FORM, URL


def test_visiting_pages_makes_no_billing_details_and_the_first_save_is_one_entry(
    client_for, owner, catalog
):
    client = client_for(owner)
    started = client.get("/app/northwind/checkout/", {"tier": "team"})
    url = started["Location"].split("?")[0]
    asked = {"tier": "team", "seats": 5, "cycle": "monthly", "currency": "USD", "submitted": 1}
    page = client.get(url, asked)
    digest = page.context["preview"].digest
    client.post(url + "confirm/", {**asked, "digest": digest, "auto_renew": "on"})
    for path in [URL, "/app/northwind/", "/app/northwind/invoices/", "/app/northwind/settings/"]:
        client.get(path)
    assert not BillingDetails.objects.exists(), BillingDetails.history.all()

    client.post(URL, FORM)

    details = BillingDetails.objects.get()
    assert [entry.history_change_reason for entry in details.history.all()] == [
        "Billing details updated"
    ]
    html = client.get(URL).content.decode()
    assert "Billing details saved" not in html
