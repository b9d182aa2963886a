"""Explained money through the test client: each proration line says its working, "Due
now" is said only when money is due now (otherwise the due date and the payment terms),
and the invoice list shows each invoice's period."""

from datetime import date
from decimal import Decimal

import pytest

from billing.invoices import services
from billing.invoices.kinds import LineKind
from billing.models import BillingDetails, Invoice, PaymentTerms
from billing.money import Money
from tests.helpers.checkout import subscribed
from tests.helpers.invoices import finalized_invoice
from tests.portal.test_checkout_pages import CHANGE, _confirm_form, _start

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(organization, catalog):
    return subscribed(organization, catalog, seats=5)


def _preview_eight_seats(client):
    url = _start(client, "northwind", tier="team")
    page = client.get(url, CHANGE | {"tier": "team", "seats": 8})
    assert page.status_code == 200
    return url, page


def test_it_explains_each_line_and_gives_the_due_date_on_net_terms(client_for, owner, team):
    client = client_for(owner)
    url, page = _preview_eight_seats(client)
    html = page.content.decode()

    assert "Unused time: 18 of 31 days of Team, 5 seats at $95.00 a month" in html
    assert "Remaining time: 18 of 31 days of Team, 8 seats at $152.00 a month" in html
    # The default terms: net 30 days from today, 14 March 2026.
    assert "Due now" not in html and "due now" not in html
    assert 'Due by <time datetime="2026-04-13">13 April 2026</time> (net 30 days)' in html
    assert "Confirm: $33.10 due by 13 Apr 2026" in html

    done = client.get(client.post(url + "confirm/", _confirm_form(page))["Location"])
    html = done.content.decode()
    assert "Due now" not in html
    assert "13 April 2026" in html and "net 30 days" in html
    invoice = Invoice.objects.get()
    line = invoice.lines.get(amount__lt=0)
    assert line.description == "Unused time: 18 of 31 days of Team, 5 seats at $95.00 a month"

    html = client.get(f"/app/northwind/invoices/{invoice.number}/").content.decode()
    assert "Due now" not in html and "due now" not in html
    assert "Still to pay, by" in html and "(net 30 days)" in html


def test_due_on_receipt_terms_say_due_now(client_for, owner, organization, team):
    BillingDetails.objects.create(
        organization=organization, payment_terms=PaymentTerms.DUE_ON_RECEIPT
    )
    client = client_for(owner)
    url, page = _preview_eight_seats(client)
    html = page.content.decode()

    assert "Due now" in html and "Confirm: $33.10 due now" in html
    assert "Due by" not in html

    done = client.get(client.post(url + "confirm/", _confirm_form(page))["Location"])
    assert "Due now" in done.content.decode()
    invoice = Invoice.objects.get()
    html = client.get(f"/app/northwind/invoices/{invoice.number}/").content.decode()
    assert "Due now" in html and "Due on receipt" in html


def test_an_invoice_past_its_due_date_is_due_now(client_for, owner, organization, now):
    invoice = finalized_invoice(organization, today=date(2026, 1, 10))

    html = client_for(owner).get(f"/app/northwind/invoices/{invoice.number}/").content.decode()

    assert "due now (it was due on" in html and "Due now" in html


def test_an_invoice_paid_by_credit_is_not_due(client_for, owner, organization, now):
    finalized_invoice(organization, lines=[("Credit", 1, Decimal("-500"))])
    invoice = finalized_invoice(organization)
    assert invoice.amount_due == 0

    html = client_for(owner).get(f"/app/northwind/invoices/{invoice.number}/").content.decode()

    assert "Due now" not in html and "due now" not in html and "Still to pay, by" not in html


def test_the_invoice_list_shows_each_invoice_period(client_for, owner, organization, now):
    finalized_invoice(organization)  # its lines bill March 2026
    one_off = services.invoice_create_draft(organization=organization, currency="USD")
    services.invoice_add_line(
        invoice=one_off,
        kind=LineKind.ONE_OFF,
        description="Set-up",
        quantity=1,
        unit_price=Money(Decimal("50"), "USD"),
    )
    services.invoice_finalize(invoice=one_off)

    html = client_for(owner).get("/app/northwind/invoices/").content.decode()

    assert (
        '<td data-label="Period"><span><time datetime="2026-03-01">1 Mar 2026</time> \N{EN DASH} '
        '<time datetime="2026-03-31">31 Mar 2026</time></span></td>'
    ) in html
    assert '<td data-label="Period"><span class="muted">No period</span></td>' in html


def test_the_invoice_list_states_the_payment_terms(client_for, owner, organization):
    html = client_for(owner).get("/app/northwind/invoices/").content.decode()
    assert "Your payment terms: <strong>net 30 days</strong> from the day" in html

    BillingDetails.objects.create(
        organization=organization, payment_terms=PaymentTerms.DUE_ON_RECEIPT
    )
    html = client_for(owner).get("/app/northwind/invoices/").content.decode()
    assert "Your payment terms: <strong>due on receipt</strong>." in html
