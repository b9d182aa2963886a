"""The invoice's PDF versions on the customer's pages and in the admin: the download is the
newest rendered version, an earlier one while the newest is being rendered (the page says
so), an outsider gets 404, and the admin lists the versions without a way to change one."""

from datetime import date
from decimal import Decimal

import pytest

from billing import tasks
from billing.models import InvoiceDocument
from billing.money import Money
from billing.payments.services import payment_record
from tests.helpers.invoices import finalized_invoice

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def stand_in_render(monkeypatch):
    def render(template, context):
        paid = sum(row["kind"] == "payment" for row in context["settlements"])
        return f"%PDF- paid {paid}".encode()

    monkeypatch.setattr(tasks, "render_pdf", render)


@pytest.fixture
def invoice(organization, now, django_capture_on_commit_callbacks):
    """Version 1 rendered by the worker; a payment then added version 2, which no worker
    has rendered yet (its hand-over is not run)."""
    with django_capture_on_commit_callbacks(execute=True):
        invoice = finalized_invoice(organization, today=date(2026, 3, 14))
    payment_record(
        invoice=invoice,
        amount=Money(Decimal("100.00"), "USD"),
        received_on=invoice.issued_on,
        reference="BANK-1",
        actor=None,
        reason="On the statement.",
    )
    return invoice


def pdf_path(invoice) -> str:
    return f"/app/northwind/invoices/{invoice.number}.pdf"


def test_the_download_serves_the_newest_version(client_for, owner, invoice):
    answer = client_for(owner).get(pdf_path(invoice))

    assert answer.status_code == 200
    assert answer.content == b"%PDF- paid 1"  # version 2, rendered on request
    assert bytes(InvoiceDocument.objects.get(invoice=invoice, version=1).pdf) == b"%PDF- paid 0"


def test_while_a_worker_renders_the_newest_the_previous_is_served_and_the_page_says_so(
    client_for, billing_admin, invoice
):
    newest = InvoiceDocument.objects.get(invoice=invoice, version=2)
    assert tasks.RENDERING.claim(newest.pk) is not None  # a worker is at it
    client = client_for(billing_admin)

    answer = client.get(pdf_path(invoice))
    page = client.get(f"/app/northwind/invoices/{invoice.number}/").content.decode()

    assert answer.status_code == 200 and answer.content == b"%PDF- paid 0"
    assert (
        "The PDF with the latest change (version 2, payment recorded) is being prepared; "
        "until it is ready the download is version 1 (issued)." in page
    )


def test_the_page_names_the_version_once_the_newest_is_rendered(client_for, owner, invoice):
    client = client_for(owner)
    client.get(pdf_path(invoice))

    page = client.get(f"/app/northwind/invoices/{invoice.number}/").content.decode()

    assert "The PDF is version 2 (payment recorded)" in page
    assert "being prepared" not in page


def test_with_no_version_rendered_yet_the_customer_is_asked_to_come_back(
    client_for, owner, organization, now
):
    invoice = finalized_invoice(organization, today=date(2026, 3, 14))
    assert tasks.RENDERING.claim(invoice.documents.get().pk) is not None

    answer = client_for(owner).get(pdf_path(invoice), follow=True)

    assert answer.redirect_chain == [(f"/app/northwind/invoices/{invoice.number}/", 302)]
    assert "The PDF is being prepared; try again in a moment." in answer.content.decode()


@pytest.mark.parametrize("page", ["/", ".pdf"])
def test_an_outsider_gets_404_and_no_version(client_for, outsider, invoice, page):
    path = f"/app/northwind/invoices/{invoice.number}{page}"

    answer = client_for(outsider).get(path)

    assert answer.status_code == 404 and b"%PDF" not in answer.content
    assert not InvoiceDocument.objects.get(invoice=invoice, version=2).rendered_at


def test_the_admin_lists_the_versions_read_only(client_for, admin_user, invoice):
    html = client_for(admin_user).get(f"/admin/billing/invoice/{invoice.pk}/change/")

    text = html.content.decode()
    assert html.status_code == 200
    assert "PDF versions (each render kept as it was sent)" in text
    assert "Payment recorded" in text and "Issued" in text
    assert "invoicedocument_set-TOTAL_FORMS" not in text and "documents-TOTAL_FORMS" in text
    assert 'name="documents-0-version"' not in text  # shown, never an input
