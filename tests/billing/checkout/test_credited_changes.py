"""A term whose invoice a credit note corrected, then a change of the plan (through the
services and the pages, time pinned): the unused time is credited only on what was paid
for the term, so a voided year is never credited again, and what the preview shows is
what the invoice bills. Bought on 14 March 2026: Team, 3 seats, €540 a year (14 March
2026 to 13 March 2027, 365 days); changed on 13 September, with 182 days left."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine

from billing.invoices.kinds import LineKind
from billing.invoices.selectors import invoice_outstanding
from billing.invoices.services import credit_note_issue, invoice_void_with_credit_note
from billing.models import CreditEntry, InvoiceStatus
from billing.money import Money
from billing.payments.services import payment_record
from tests.helpers.checkout import confirm, preview

LATER = datetime(2026, 9, 13, 10, 0, tzinfo=UTC)
CHARGE = "Remaining time: 182 of 365 days of Team, 5 seats at €900.00 a year"
UNUSED = "Unused time: 182 of 365 days of Team, 3 seats at €540.00 a year"


def eur(amount: str) -> Money:
    return Money(Decimal(amount), "EUR")


@pytest.fixture
def bought(organization, catalog, owner):
    """The year bought through the checkout and paid by transfer."""
    _, checkout = confirm(
        organization, None, owner, tier="team", seats=3, cycle="annual", currency="EUR"
    )
    invoice = checkout.invoice
    assert invoice.money("subtotal") == eur("540.00")
    payment_record(
        invoice=invoice,
        amount=invoice_outstanding(invoice=invoice),
        received_on=invoice.issued_on,
        reference="TRF 1",
        actor=None,
        reason="On the statement.",
    )
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    return checkout.license, invoice


def lines(invoice_or_quote):
    rows = invoice_or_quote.lines
    rows = rows.order_by("pk") if hasattr(rows, "order_by") else rows
    return [
        (line.kind, line.description, Money(getattr(line.amount, "amount", line.amount), "EUR"))
        for line in rows
    ]


def test_a_voided_year_is_not_credited_again_when_seats_are_added(bought, organization, owner):
    license, invoice = bought
    invoice_void_with_credit_note(invoice=invoice, reason="Billed in error.")
    # What was paid came back as credit: that is the only credit the year gives.
    entry = CreditEntry.objects.get(organization=organization, amount__gt=0)
    returned = Money(entry.amount, entry.currency)
    assert returned == invoice.money("total")
    with time_machine.travel(LATER, tick=False):
        shown, checkout = confirm(
            organization, license, owner, tier="team", seats=5, cycle="annual"
        )
    # No "Unused time" line: the rest of the year at 5 seats, 900 * 182/365, in full.
    assert lines(shown.quote) == [(LineKind.PRORATION_CHARGE, CHARGE, eur("448.77"))]
    assert lines(checkout.invoice) == lines(shown.quote)
    assert checkout.invoice.money("subtotal") == eur("448.77")
    assert any("Credit notes gave back €540.00" in note for note in shown.notes)
    # The credit the void returned pays towards it, once.
    billed = checkout.invoice
    assert billed.money("credit_applied") == min(returned, billed.money("total"))


def test_a_partial_credit_note_reduces_the_unused_time_credit(bought, organization, owner):
    license, invoice = bought
    credit_note_issue(invoice=invoice, subtotal=eur("100.00"), reason="Goodwill.")
    with time_machine.travel(LATER, tick=False):
        shown, checkout = confirm(
            organization, license, owner, tier="team", seats=5, cycle="annual"
        )
    # (540 - 100) * 182/365 = 219.397: 540 * 182/365 = 269.26 less the credit note's
    # unused share, 49.86.
    expected = [
        (
            LineKind.PRORATION_CREDIT,
            f"{UNUSED}, less 182 of 365 days of the €100.00 credit notes gave back",
            eur("-219.40"),
        ),
        (LineKind.PRORATION_CHARGE, CHARGE, eur("448.77")),
    ]
    assert lines(shown.quote) == expected
    assert lines(checkout.invoice) == expected


def test_an_uncorrected_year_is_credited_in_full(bought, organization, owner):
    license, _ = bought
    with time_machine.travel(LATER, tick=False):
        shown = preview(organization, license, owner, tier="team", seats=5, cycle="annual")
    assert lines(shown.quote)[0] == (LineKind.PRORATION_CREDIT, UNUSED, eur("-269.26"))
    assert shown.notes == []


def test_voiding_the_change_leaves_the_year_paid_at_its_first_price(bought, organization, owner):
    """A change's invoice paid only for the days from the change: voided, the next
    change credits what the purchase paid for, 540 * 91/365, no more."""
    license, _ = bought
    with time_machine.travel(LATER, tick=False):
        _, first = confirm(organization, license, owner, tier="team", seats=5, cycle="annual")
    invoice_void_with_credit_note(invoice=first.invoice, reason="Not wanted.")
    license.refresh_from_db()
    assert license.seats == 5  # the license continues as changed
    with time_machine.travel(datetime(2026, 12, 13, 10, tzinfo=UTC), tick=False):
        shown, checkout = confirm(
            organization, license, owner, tier="team", seats=6, cycle="annual"
        )
    # 91 of 365 days left: 900 * 91/365 - 179.51 * 91/182 = 224.38 - 89.755 = 134.63;
    # 540 * 91/365 would be 134.63 too (the void gave back the change's 448.77 - 269.26).
    credit = shown.quote.lines[0]
    assert credit.kind == LineKind.PRORATION_CREDIT
    assert credit.amount == eur("-134.63")
    assert "less 91 of 182 days of the €179.51 credit notes gave back" in credit.description
    assert lines(checkout.invoice) == lines(shown.quote)


def test_the_page_previews_no_credit_for_a_voided_year(bought, organization, owner, client):
    _, invoice = bought
    invoice_void_with_credit_note(invoice=invoice, reason="Billed in error.")
    with time_machine.travel(LATER, tick=False):
        client.force_login(owner)
        started = client.get(f"/app/{organization.slug}/checkout/")
        assert started.status_code == 302
        page = client.get(
            started["Location"].split("?")[0],
            {"tier": "team", "seats": 5, "cycle": "annual", "auto_renew": "on", "submitted": 1},
        )
    html = page.content.decode()
    assert page.status_code == 200, html
    assert "Remaining time: 182 of 365 days" in html and "€448.77" in html
    assert "Unused time" not in html
    assert "Credit notes gave back €540.00" in html


def test_the_void_page_says_what_becomes_of_the_subscription(bought, client_for, admin_user):
    _, invoice = bought
    page = client_for(admin_user).get(f"/admin/billing/invoice/{invoice.pk}/void/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "What happens to the subscription" in html
    assert "Voiding it does not end, shorten or pause the license or its subscription" in html
    assert "14 Mar 2026 to 13 Mar 2027" in html
    assert "the rest of the term is charged in full at the new price" in html
    assert "renew then" in html
