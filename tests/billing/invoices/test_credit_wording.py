"""Every place that says where credit goes says the one rule (billing.invoices.credit):
it pays the open invoices first, oldest first, and only then the next invoice."""

from datetime import date
from html import unescape
from pathlib import Path

import pytest
from django.conf import settings
from django.template.loader import render_to_string

from billing.invoices import credit, services
from billing.invoices.documents import credit_note_pdf_context
from tests.helpers.invoices import finalized_invoice, pay_in_full

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 14)
# What the documents said before the rule: credit waits for the next invoice.
STALE = ["used first on your next invoice", "credit for the customer's next invoice"]


def _squash(text: str) -> str:
    return " ".join(unescape(text).split())


def test_the_credit_note_pdf_states_the_credit_rule(organization):
    invoice = pay_in_full(finalized_invoice(organization, today=TODAY))
    note = services.invoice_void_with_credit_note(invoice=invoice, reason="Billed twice")

    page = _squash(render_to_string("pdf/credit_note.html", credit_note_pdf_context(note)))

    assert credit.RULE in page
    assert not [stale for stale in STALE if stale in page]


def test_the_admins_void_and_payment_pages_state_the_credit_rule(
    organization, client_for, admin_user
):
    client = client_for(admin_user)
    invoice = finalized_invoice(organization, today=TODAY)
    for url in [
        f"/admin/billing/invoice/{invoice.pk}/record-payment/",
        f"/admin/billing/invoice/{invoice.pk}/void/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        page = _squash(response.content.decode())
        assert credit.STAFF_RULE in page, url
        assert not [stale for stale in STALE if stale in page], url


def test_no_template_says_credit_waits_for_the_next_invoice():
    roots = [Path(settings.BASE_DIR) / "templates", Path(settings.BASE_DIR) / "billing"]
    said = {
        str(path): stale
        for root in roots
        for path in root.rglob("*.html")
        for stale in STALE
        if stale in _squash(path.read_text())
    }
    assert said == {}
