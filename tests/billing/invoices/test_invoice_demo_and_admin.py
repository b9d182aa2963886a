"""The demo's invoices (paid, open, a credit balance, no license's invoice overdue; building
twice changes nothing) and the admin, where finalized documents are read-only."""

import re
from datetime import date
from decimal import Decimal

import pytest

from billing.demo import build_invoices, build_subscriptions
from billing.invoices.selectors import credit_balances, invoice_outstanding
from billing.models import BillingDetails, CreditNote, Invoice, InvoiceStatus, TaxRate
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


def test_the_demo_has_paid_and_open_invoices_and_credit(demo_invoices, client, now):
    assert len(demo_invoices) == 4
    assert build_invoices() == []
    # Northwind: three months and its onboarding workshop; Acme, Globex and Vandelay: two
    # yearly terms each.
    assert Invoice.objects.count() == 10 and CreditNote.objects.count() == 3
    statuses = {invoice.status for invoice in Invoice.objects.all()}
    assert statuses == {InvoiceStatus.PAID, InvoiceStatus.OPEN}
    # No license's invoice overdue: Acme, in a Business trial, is not suspended by dunning
    # at the first clock advance. Only the workshop's, which bills no license, is.
    acme = Organization.objects.get(slug="acme-robotics")
    assert {invoice.status for invoice in acme.invoices.all()} == {InvoiceStatus.PAID}
    overdue = [invoice for invoice in Invoice.objects.all() if invoice.is_overdue(now.date())]
    assert [(invoice.license, invoice.lines.get().description) for invoice in overdue] == [
        (None, "Onboarding workshop, one day on site")
    ]
    northwind = Organization.objects.get(slug="northwind-analytics")
    # Two seats of $19 credited with Irish VAT (23 %), Northwind being in the seller's
    # country; its credit note's $46.74 paid part of the oldest open invoice at once, the
    # workshop's (the credit rule), and nothing of this month's.
    assert credit_balances(organization=northwind) == []
    [workshop] = overdue
    assert str(invoice_outstanding(invoice=workshop)) == str(
        workshop.money("amount_due") - Money(Decimal("46.74"), "USD")
    )
    month = northwind.invoices.get(status=InvoiceStatus.OPEN, license__isnull=False)
    assert invoice_outstanding(invoice=month) == month.money("amount_due")

    client.force_login(User.objects.get(email="ben@northwind.test"))
    page = client.get("/app/northwind-analytics/invoices/").content.decode()
    assert "Paid" in page and "Open" in page and "oldest first" in page
    page = client.get(f"/app/northwind-analytics/invoices/{workshop.number}/").content
    assert f"Credit applied on {now:%-d %b %Y}".encode() in page and "\u2212$46.74".encode() in page


def test_the_demo_numbers_follow_the_days_invoices_and_credit_notes_were_issued(demo_invoices):
    # Across every organization, as a real series is numbered: by the day of issue.
    for model in (Invoice, CreditNote):
        issued = list(
            model.objects.exclude(number=None)
            .order_by("number")
            .values_list("issued_on", flat=True)
        )
        assert issued == sorted(issued), model.__name__


def test_the_demo_invoices_name_buyer_and_seller_and_the_tax_by_rule(demo_invoices):
    treatments = {
        invoice.organization.slug: (invoice.tax_treatment, invoice.tax_rate)
        for invoice in Invoice.objects.select_related("organization")
    }
    assert treatments == {
        "northwind-analytics": ("domestic", Decimal("23.00")),
        "acme-robotics": ("export", Decimal("0.00")),
        "globex-health": ("reverse_charge", Decimal("0.00")),
        "vandelay-industries": ("export", Decimal("0.00")),
    }
    globex = Invoice.objects.filter(organization__slug="globex-health").first()
    assert globex.billed_to_name == "Globex Health GmbH"
    assert globex.billed_to_address == "Friedrichstraße 68\n10117 Berlin"
    assert (globex.billed_to_country, globex.tax_id) == ("DE", "DE136695976")
    assert "Article 196 Council Directive 2006/112/EC" in globex.tax_note
    assert globex.seller["tax_id"] == "IE6388047V"
    northwind = Invoice.objects.filter(organization__slug="northwind-analytics").first()
    assert northwind.po_number == "PO-2026-0042"


def test_the_admin_shows_invoices_read_only_with_history(demo_invoices, client_for, admin_user):
    client = client_for(admin_user)
    invoice = Invoice.objects.filter(organization__slug="northwind-analytics").first()
    url = f"/admin/billing/invoice/{invoice.pk}/change/"

    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert invoice.number in html and 'name="_save"' not in html
    # Its terms in words, as the invoice says them (walker: "Net N days").
    assert "Net N days" not in html
    assert f"net {invoice.net_days} days" in html or "due on receipt" in html
    assert client.post(url, {"tax_id": "rewritten"}).status_code == 403
    assert client.get(f"/admin/billing/invoice/{invoice.pk}/delete/").status_code == 403
    assert client.get(f"/admin/billing/invoice/{invoice.pk}/history/").status_code == 200
    for model in ["invoice", "creditnote", "creditentry", "billingdetails"]:
        assert client.get(f"/admin/billing/{model}/").status_code == 200, model
    assert Invoice.objects.get(pk=invoice.pk).tax_id == invoice.tax_id


def test_the_admins_invoice_list_says_what_is_still_to_pay(demo_invoices, client_for, admin_user):
    response = client_for(admin_user).get("/admin/billing/invoice/")
    assert response.status_code == 200
    rows = {
        invoice.number: invoice_outstanding(invoice=invoice)
        for invoice in response.context["cl"].result_list
    }
    html = response.content.decode()
    assert "Still to pay" in html
    for invoice in Invoice.objects.exclude(number=None):
        left = rows[invoice.number]
        # Paid: nothing; open with credit applied since its issue: less than at issue.
        if invoice.status == InvoiceStatus.PAID:
            assert left.amount == 0
        row = re.search(rf"{invoice.number}.*?</tr>", html, re.S).group()
        assert left.format() in row
    northwind_open = Invoice.objects.get(
        organization__slug="northwind-analytics", status=InvoiceStatus.OPEN, license=None
    )
    assert rows[northwind_open.number] < northwind_open.money("amount_due")
    issued = [invoice.issued_on for invoice in response.context["cl"].result_list]
    assert issued == sorted(issued, reverse=True)  # newest issue first


def test_staff_edit_the_terms_but_never_type_a_bare_tax_rate(demo_invoices, client_for, admin_user):
    details = BillingDetails.objects.get(organization__slug="acme-robotics")
    tax_id = details.tax_id
    client = client_for(admin_user)
    before = details.history.count()

    answer = client.post(
        f"/admin/billing/billingdetails/{details.pk}/change/",
        {
            "tax_rate_override": "19.00",
            "tax_id": "DE 999",
            "payment_terms": "net",
            "net_days": "45",
        },
    )

    assert answer.status_code == 302
    details.refresh_from_db()
    assert (details.tax_rate_override, details.tax_id, details.net_days) == (None, tax_id, 45)
    assert details.history.count() == before + 1


def test_a_tax_override_needs_a_reason_and_is_in_the_history(demo_invoices, client_for, admin_user):
    details = BillingDetails.objects.get(organization__slug="acme-robotics")
    client = client_for(admin_user)
    url = f"/admin/billing/billingdetails/{details.pk}/tax-override/"

    refused = client.post(url, {"rate": "7.00", "reason": " "})
    assert refused.status_code == 200
    details.refresh_from_db()
    assert details.tax_rate_override is None

    saved = client.post(url, {"rate": "7.00", "reason": "Exemption certificate 2026-17"})
    assert saved.status_code == 302
    details.refresh_from_db()
    assert details.tax_rate_override == Decimal("7.00")
    newest = details.history.first()
    assert newest.history_user == admin_user
    assert "Exemption certificate 2026-17" in newest.history_change_reason

    cleared = client.post(url, {"rate": "", "reason": "Certificate expired"})
    assert cleared.status_code == 302
    details.refresh_from_db()
    assert details.tax_rate_override is None
    assert details.history.first().tax_override_reason == "Certificate expired"


def test_an_admin_voids_an_invoice_with_a_credit_note_and_a_reason(
    demo_invoices, client_for, admin_user
):
    invoice = Invoice.objects.filter(
        organization__slug="northwind-analytics", status=InvoiceStatus.OPEN
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


def test_the_tax_rate_table_is_versioned_in_the_admin(client_for, admin_user, now):
    client = client_for(admin_user)
    in_force = TaxRate.objects.create(
        country="IE", rate=Decimal("23"), effective_from=date(2024, 1, 1)
    )
    url = f"/admin/billing/taxrate/{in_force.pk}/change/"

    assert 'name="_save"' not in client.get(url).content.decode()
    rewrite = {"country": "IE", "rate": "9", "effective_from": "2024-01-01"}
    assert client.post(url, rewrite).status_code == 403
    delete = f"/admin/billing/taxrate/{in_force.pk}/delete/"
    assert client.post(delete, {"post": "yes"}).status_code == 403

    past = client.post(
        "/admin/billing/taxrate/add/",
        {"country": "IE", "rate": "24", "effective_from": "2026-01-01"},
    )
    assert past.status_code == 200 and "from today or a later day" in past.content.decode()
    added = client.post(
        "/admin/billing/taxrate/add/",
        {"country": "IE", "rate": "24", "effective_from": "2026-07-01", "note": "Budget 2026"},
    )
    assert added.status_code == 302
    assert list(TaxRate.objects.values_list("rate", flat=True)) == [Decimal("24"), Decimal("23")]
    assert TaxRate.objects.get(rate=24).history.first().history_user == admin_user
