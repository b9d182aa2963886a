"""The invoices pages: owners and billing admins see the list with the credit balance,
each invoice and its PDF; a member gets 403; an outsider 404; anonymous, the login."""

import shutil
import subprocess
from datetime import date
from decimal import Decimal

import pytest

from billing.invoices import services
from billing.models import InvoiceDocument
from portal.services import organization_rename
from tests.helpers.invoices import finalized_invoice, pay_in_full

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoices(organization, now, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        credit = finalized_invoice(
            organization, lines=[("Credit for unused Business", 1, Decimal("-25"))]
        )
        overdue = finalized_invoice(organization, today=date(2026, 1, 10))
        paid = pay_in_full(finalized_invoice(organization))
        draft = services.invoice_create_draft(organization=organization, currency="USD")
    return {"credit": credit, "overdue": overdue, "paid": paid, "draft": draft}


@pytest.mark.parametrize("who", ["owner", "billing_admin"])
def test_it_lists_issued_invoices_with_the_credit_balance(client_for, request, invoices, who):
    page = client_for(request.getfixturevalue(who)).get("/app/northwind/invoices/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "INV-2026-000001" in html and "INV-2026-000002" in html
    assert "Overdue" in html and "Paid" in html
    # The first invoice's $25.00 credit paid part of the next one.
    assert "Credit balance" in html and "No credit" in html
    assert "Draft" not in html


def test_it_shows_the_credit_balance_left(client_for, owner, organization):
    finalized_invoice(organization, lines=[("Credit", 1, Decimal("-40"))])

    html = client_for(owner).get("/app/northwind/invoices/").content.decode()

    assert "<strong>$40.00</strong>." in html
    assert "what is left pays your next invoice when it is issued" in html


def test_it_shows_an_invoice_with_its_lines_and_totals(client_for, owner, invoices):
    number = invoices["overdue"].number
    page = client_for(owner).get(f"/app/northwind/invoices/{number}/")

    html = page.content.decode()
    assert page.status_code == 200
    assert f"Invoice {number}" in html and "Overdue" in html
    assert "Team plan, 12 seats" in html and "$144.00" in html
    assert "Paid from credit balance" in html and "$128.00" in html  # 153 - 25


def test_the_pdf_downloads_for_billing_roles(client_for, billing_admin, invoices):
    number = invoices["paid"].number
    answer = client_for(billing_admin).get(f"/app/northwind/invoices/{number}.pdf")

    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/pdf"
    assert answer["Content-Disposition"] == f'attachment; filename="{number}.pdf"'
    assert answer.content.startswith(b"%PDF-")


def test_a_pdf_not_rendered_yet_is_rendered_on_request(client_for, owner, organization, now):
    # No on_commit here: the worker never got it, as when the broker was down.
    invoice = finalized_invoice(organization)
    assert InvoiceDocument.objects.get(invoice=invoice).rendered_at is None

    answer = client_for(owner).get(f"/app/northwind/invoices/{invoice.number}.pdf")

    assert answer.status_code == 200 and answer.content.startswith(b"%PDF-")


@pytest.mark.parametrize(
    "path", ["invoices/", "invoices/INV-2026-000002/", "invoices/INV-2026-000002.pdf"]
)
def test_a_member_gets_403(client_for, teammate, invoices, path):
    assert client_for(teammate).get(f"/app/northwind/{path}").status_code == 403


@pytest.mark.parametrize(
    "path", ["invoices/", "invoices/INV-2026-000002/", "invoices/INV-2026-000002.pdf"]
)
def test_an_outsider_gets_404(client_for, outsider, invoices, path):
    answer = client_for(outsider).get(f"/app/northwind/{path}")
    assert answer.status_code == 404 and b"INV-2026" not in answer.content


def test_anonymous_is_sent_to_log_in(client, invoices):
    answer = client.get("/app/northwind/invoices/INV-2026-000002.pdf")
    assert answer.status_code == 302 and "/login" in answer["Location"]


def test_an_unknown_or_draft_number_is_404(client_for, owner, invoices):
    client = client_for(owner)
    assert client.get("/app/northwind/invoices/INV-2026-999999/").status_code == 404
    assert client.get(f"/app/northwind/invoices/{invoices['draft'].pk}/").status_code == 404


def test_the_dashboard_links_to_invoices_for_billing_roles_only(
    client_for, owner, teammate, organization
):
    assert "/app/northwind/invoices/" in client_for(owner).get("/app/northwind/").content.decode()
    html = client_for(teammate).get("/app/northwind/").content.decode()
    assert "/app/northwind/invoices/" not in html


def test_a_paid_invoice_has_nothing_left_to_pay(client_for, owner, organization, now):
    pay_in_full(finalized_invoice(organization))

    html = client_for(owner).get("/app/northwind/invoices/").content.decode()

    assert html.count("$153.00") == 1 and "$0.00" in html


def test_the_dashboard_sums_up_what_is_due_and_the_credit(client_for, billing_admin, invoices):
    html = client_for(billing_admin).get("/app/northwind/").content.decode()

    # The overdue $153.00 less the $25.00 credit it used; the other one is paid.
    assert "Still to pay" in html and "$128.00 on 1 open invoice" in html
    assert "1 overdue" in html
    assert "Credit balance" in html


def test_the_dashboard_keeps_invoices_from_members(client_for, teammate, invoices):
    html = client_for(teammate).get("/app/northwind/").content.decode()
    assert "Still to pay" not in html and "$128.00" not in html


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils (pdftotext)")
def test_an_issued_invoice_keeps_who_it_was_billed_to(client_for, owner, organization, now):
    invoice = finalized_invoice(organization)
    organization_rename(organization=organization, name="Southwind Renamed")
    client = client_for(owner)

    page = client.get(f"/app/northwind/invoices/{invoice.number}/").content.decode()
    pdf = client.get(f"/app/northwind/invoices/{invoice.number}.pdf").content

    assert "<strong>Northwind</strong>" in page  # not the new name
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    assert "Northwind" in text and "Southwind" not in text
    # The next invoice is billed to the new name.
    assert finalized_invoice(organization).billed_to_name == "Southwind Renamed"
