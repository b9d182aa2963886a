"""The demo's invoices (paid, open, overdue, a credit balance; building twice changes
nothing) and the admin, where finalized documents are read-only."""

from decimal import Decimal

import pytest

from billing.demo import build_invoices, build_subscriptions
from billing.invoices.selectors import credit_balances, invoice_outstanding
from billing.models import BillingDetails, CreditNote, Invoice, InvoiceStatus
from billing.money import Money
from licensing.demo.catalog import build_catalog
from licensing.demo.licenses import build_licenses
from portal import demo
from portal.models import Organization, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_invoices(now):
    demo.build_people()
    build_catalog()
    build_licenses()
    build_subscriptions()
    return build_invoices()


def test_the_demo_has_paid_open_and_overdue_invoices_and_credit(demo_invoices, client, now):
    assert len(demo_invoices) == 3
    assert build_invoices() == []
    # Northwind: three months; Acme and Globex: two yearly terms each.
    assert Invoice.objects.count() == 7 and CreditNote.objects.count() == 2
    statuses = {invoice.status for invoice in Invoice.objects.all()}
    assert statuses == {InvoiceStatus.PAID, InvoiceStatus.OPEN}
    acme = Organization.objects.get(slug="acme-robotics")
    assert any(invoice.is_overdue(now.date()) for invoice in acme.invoices.all())
    northwind = Organization.objects.get(slug="northwind-analytics")
    # Its credit note's $45.60 paid part of the open invoice at once (the credit rule).
    assert credit_balances(organization=northwind) == []
    open_invoice = northwind.invoices.get(status=InvoiceStatus.OPEN)
    assert str(invoice_outstanding(invoice=open_invoice)) == str(
        open_invoice.money("amount_due") - Money(Decimal("45.60"), "USD")
    )

    client.force_login(User.objects.get(email="ben@northwind.test"))
    page = client.get("/app/northwind-analytics/invoices/").content.decode()
    assert "Paid" in page and "Open" in page and "oldest first" in page
    page = client.get(f"/app/northwind-analytics/invoices/{open_invoice.number}/").content
    assert f"Credit applied on {now:%-d %b %Y}".encode() in page and "\u2212$45.60".encode() in page


def test_the_admin_shows_invoices_read_only_with_history(demo_invoices, client_for, admin_user):
    client = client_for(admin_user)
    invoice = Invoice.objects.filter(organization__slug="northwind-analytics").first()
    url = f"/admin/billing/invoice/{invoice.pk}/change/"

    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert invoice.number in html and 'name="_save"' not in html
    assert client.post(url, {"tax_id": "rewritten"}).status_code == 403
    assert client.get(f"/admin/billing/invoice/{invoice.pk}/delete/").status_code == 403
    assert client.get(f"/admin/billing/invoice/{invoice.pk}/history/").status_code == 200
    for model in ["invoice", "creditnote", "creditentry", "billingdetails"]:
        assert client.get(f"/admin/billing/{model}/").status_code == 200, model
    assert Invoice.objects.get(pk=invoice.pk).tax_id == invoice.tax_id


def test_billing_details_are_edited_with_history(demo_invoices, client_for, admin_user):
    details = BillingDetails.objects.get(organization__slug="acme-robotics")
    client = client_for(admin_user)

    answer = client.post(
        f"/admin/billing/billingdetails/{details.pk}/change/",
        {
            "organization": details.organization_id,
            "tax_rate": "19.00",
            "tax_id": "DE 999",
            "payment_terms": "net",
            "net_days": "30",
        },
    )

    assert answer.status_code == 302
    details.refresh_from_db()
    assert (details.tax_rate, details.net_days) == (19, 30)
    assert details.history.count() == 2


def test_an_admin_voids_an_invoice_with_a_credit_note_and_a_reason(
    demo_invoices, client_for, admin_user
):
    invoice = Invoice.objects.filter(
        organization__slug="acme-robotics", status=InvoiceStatus.OPEN
    ).first()
    client = client_for(admin_user)
    url = f"/admin/billing/invoice/{invoice.pk}/void/"
    assert url in client.get(f"/admin/billing/invoice/{invoice.pk}/change/").content.decode()

    refused = client.post(url, {"confirm": "yes", "reason": ""})
    assert refused.status_code == 200 and "This field is required" in refused.content.decode()
    answer = client.post(url, {"confirm": "yes", "reason": "Billed twice"})

    assert answer.status_code == 302
    invoice.refresh_from_db()
    note = invoice.credit_notes.get()
    assert invoice.status == InvoiceStatus.VOID
    assert (note.reason, note.total, note.issued_by) == ("Billed twice", invoice.total, admin_user)
    # Voided once; the operation is not offered again.
    assert url not in client.get(f"/admin/billing/invoice/{invoice.pk}/change/").content.decode()
