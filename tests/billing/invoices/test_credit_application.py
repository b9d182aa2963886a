"""Credit pays open invoices oldest first as soon as it arises (billing.invoices.credit),
through the services: a credit note, an overpayment, an invoice whose credits outweigh
its charges, a void; and the pages say so."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command

from billing.invoices import services
from billing.invoices.documents import invoice_pdf_context
from billing.invoices.kinds import LineKind
from billing.invoices.selectors import (
    credit_balance,
    invoice_outstanding,
    invoice_summary,
)
from billing.models import CreditEntry, DocumentReason, InvoiceStatus
from billing.money import Money
from billing.payments.services import payment_record
from tests.helpers.invoices import finalized_invoice, morning_of, pay_in_full

pytestmark = pytest.mark.django_db


def usd(amount) -> Money:
    return Money(Decimal(amount), "USD")


def one_line(organization, amount, *, day: date):
    return finalized_invoice(organization, lines=[("Team plan", 1, Decimal(amount))], today=day)


@pytest.fixture
def two_open(organization):
    """An older and a newer open invoice: $100 of 2 March, $80 of 9 March."""
    return one_line(organization, "100", day=date(2026, 3, 2)), one_line(
        organization, "80", day=date(2026, 3, 9)
    )


def _refresh(*invoices):
    for invoice in invoices:
        invoice.refresh_from_db()


def test_a_credit_note_pays_the_oldest_open_invoice_first(organization, two_open):
    older, newer = two_open
    paid = pay_in_full(one_line(organization, "150", day=date(2026, 3, 1)))

    services.credit_note_issue(
        invoice=paid, subtotal=usd("120"), reason="Billed twice.", at=morning_of(date(2026, 3, 12))
    )

    _refresh(older, newer)
    assert older.status == InvoiceStatus.PAID and older.paid_at is not None
    assert invoice_outstanding(invoice=older) == usd(0)
    assert newer.status == InvoiceStatus.OPEN
    assert invoice_outstanding(invoice=newer) == usd("60")
    assert credit_balance(organization=organization, currency="USD") == usd(0)
    applied = CreditEntry.objects.filter(applied_on__isnull=False).order_by("pk")
    assert [(e.invoice, e.amount, e.applied_on) for e in applied] == [
        (older, Decimal("-100.00"), date(2026, 3, 12)),
        (newer, Decimal("-20.00"), date(2026, 3, 12)),
    ]
    # Each gets the next version of its PDF, saying so.
    assert older.documents.order_by("-version").first().reason == DocumentReason.CREDIT_APPLIED
    assert newer.documents.order_by("-version").first().reason == DocumentReason.CREDIT_APPLIED


def test_the_next_invoice_does_not_take_credit_while_an_older_one_waits(organization, two_open):
    older, _ = two_open
    paid = pay_in_full(one_line(organization, "150", day=date(2026, 3, 1)))
    services.credit_note_issue(invoice=paid, subtotal=usd("50"), reason="Goodwill.")

    later = one_line(organization, "40", day=date(2026, 3, 14))

    older.refresh_from_db()
    assert invoice_outstanding(invoice=older) == usd("50")
    assert later.money("credit_applied") == usd(0) and later.money("amount_due") == usd("40")


def test_credit_left_once_nothing_is_owed_pays_the_next_invoice_when_issued(organization):
    paid = pay_in_full(one_line(organization, "150", day=date(2026, 3, 1)))
    services.credit_note_issue(invoice=paid, subtotal=usd("50"), reason="Goodwill.")
    assert credit_balance(organization=organization, currency="USD") == usd("50")

    later = one_line(organization, "40", day=date(2026, 3, 14))

    assert later.money("credit_applied") == usd("40") and later.status == InvoiceStatus.PAID
    assert credit_balance(organization=organization, currency="USD") == usd("10")


def test_an_overpayment_pays_the_other_open_invoices(organization, two_open):
    older, newer = two_open
    payment_record(
        invoice=newer,
        amount=usd("130"),
        received_on=date(2026, 3, 10),
        reference="TRF-9",
        actor=None,
        reason="On the statement.",
    )
    _refresh(older, newer)
    assert newer.status == InvoiceStatus.PAID
    assert invoice_outstanding(invoice=older) == usd("50")
    assert credit_balance(organization=organization, currency="USD") == usd(0)


def test_a_payment_after_credit_was_applied_pays_the_rest(organization, two_open):
    older, _ = two_open
    paid = pay_in_full(one_line(organization, "150", day=date(2026, 3, 1)))
    services.credit_note_issue(invoice=paid, subtotal=usd("30"), reason="Goodwill.")
    older.refresh_from_db()
    assert invoice_outstanding(invoice=older) == usd("70")

    payment_record(
        invoice=older,
        amount=usd("75"),
        received_on=date(2026, 3, 12),
        reference="TRF-2",
        actor=None,
        reason="On the statement.",
    )

    older.refresh_from_db()
    assert older.status == InvoiceStatus.PAID
    # The $5 beyond it went to credit, and from there to the newer invoice.
    assert credit_balance(organization=organization, currency="USD") == usd(0)
    summary = invoice_summary(organization=organization, today=date(2026, 3, 14))
    assert summary.outstanding == [usd("75")] and summary.open_count == 1


def test_an_invoice_whose_credits_outweigh_its_charges_pays_the_open_ones(organization, two_open):
    older, _ = two_open
    draft = services.invoice_create_draft(organization=organization, currency="USD")
    services.invoice_add_line(
        invoice=draft, kind=LineKind.ONE_OFF, description="Refund", unit_price=usd("-30")
    )
    credit_invoice = services.invoice_finalize(invoice=draft)

    older.refresh_from_db()
    assert credit_invoice.status == InvoiceStatus.PAID
    assert invoice_outstanding(invoice=older) == usd("70")


def test_voiding_a_part_paid_invoice_gives_what_was_paid_to_the_others(organization, two_open):
    older, newer = two_open
    payment_record(
        invoice=newer,
        amount=usd("30"),
        received_on=date(2026, 3, 10),
        reference="TRF-3",
        actor=None,
        reason="On the statement.",
    )
    services.invoice_void_with_credit_note(invoice=newer, reason="Wrong plan.")

    older.refresh_from_db()
    assert invoice_outstanding(invoice=older) == usd("70")
    assert credit_balance(organization=organization, currency="USD") == usd(0)


def test_voiding_gives_back_credit_applied_to_it_since(organization, two_open):
    _, newer = two_open
    paid = pay_in_full(one_line(organization, "150", day=date(2026, 3, 1)))
    services.credit_note_issue(invoice=paid, subtotal=usd("120"), reason="Billed twice.")
    newer.refresh_from_db()
    assert invoice_outstanding(invoice=newer) == usd("60")

    services.invoice_void_with_credit_note(invoice=newer, reason="Wrong plan.")

    assert credit_balance(organization=organization, currency="USD") == usd("20")


def test_credit_in_another_currency_is_left_alone(organization, two_open):
    older, _ = two_open
    paid = pay_in_full(
        finalized_invoice(organization, lines=[("Plan", 1, Decimal("90"))], currency="EUR")
    )
    services.credit_note_issue(invoice=paid, subtotal=Money(Decimal("40"), "EUR"), reason="Oops.")
    older.refresh_from_db()
    assert invoice_outstanding(invoice=older) == usd("100")
    assert credit_balance(organization=organization, currency="EUR") == Money(Decimal("40"), "EUR")


def test_credit_held_before_the_rule_is_applied_by_the_command(organization, two_open):
    older, newer = two_open
    # Credit from before the rule: a ledger row beside open invoices.
    CreditEntry.objects.create(
        organization=organization, currency="USD", amount=Decimal("110"), description="Old credit"
    )
    call_command("apply_credit")
    _refresh(older, newer)
    assert older.status == InvoiceStatus.PAID
    assert invoice_outstanding(invoice=newer) == usd("70")
    call_command("apply_credit")  # nothing more to do
    assert CreditEntry.objects.filter(applied_on__isnull=False).count() == 2


def test_pages_show_the_application_and_the_rule(organization, two_open, client_for, owner, now):
    _, newer = two_open
    paid = pay_in_full(one_line(organization, "150", day=date(2026, 3, 1)))
    services.credit_note_issue(invoice=paid, subtotal=usd("120"), reason="Billed twice.")
    client = client_for(owner)

    page = client.get(f"/app/northwind/invoices/{newer.number}/").content.decode()
    assert f"Credit applied on {now:%-d %b %Y}" in page and "\u2212$20.00" in page
    assert "oldest first" in page and "$60.00" in page

    listing = client.get("/app/northwind/invoices/").content.decode()
    assert "oldest first" in listing

    dashboard = client.get("/app/northwind/").content.decode()
    assert "oldest first" in dashboard and "$60.00" in dashboard

    pdf_context_page = client.get(f"/app/northwind/invoices/{newer.number}.pdf")
    assert pdf_context_page.status_code == 200
    assert pdf_context_page["Content-Type"] == "application/pdf"


def test_outsiders_and_members_do_not_see_it(
    organization, two_open, client_for, outsider, teammate
):
    _, newer = two_open
    assert client_for(outsider).get(f"/app/northwind/invoices/{newer.number}/").status_code == 404
    assert client_for(teammate).get(f"/app/northwind/invoices/{newer.number}/").status_code == 403


def test_applications_happen_on_the_day_credit_arose(organization, two_open):
    older, _ = two_open
    paid = pay_in_full(one_line(organization, "150", day=date(2026, 3, 1)))
    day = date(2026, 3, 13)
    services.credit_note_issue(
        invoice=paid, subtotal=usd("10"), reason="Goodwill.", at=morning_of(day)
    )
    entry = CreditEntry.objects.get(applied_on__isnull=False)
    assert entry.applied_on == day and entry.invoice == older
    assert entry.applied_on - older.issued_on == timedelta(days=11)


def test_payments_and_credit_applications_are_listed_in_the_order_they_happened(
    organization, two_open, client_for, owner
):
    """Credit applied on 5 March, a transfer received on 10 March recorded first and one
    received on 3 March recorded last: the page and the PDF list them by day."""
    older, _ = two_open
    for reference, day in (("TRF-10", date(2026, 3, 10)), ("TRF-3", date(2026, 3, 3))):
        if reference == "TRF-3":
            paid = pay_in_full(one_line(organization, "150", day=date(2026, 3, 1)))
            services.credit_note_issue(
                invoice=paid,
                subtotal=usd("30"),
                reason="Billed twice.",
                at=morning_of(date(2026, 3, 5)),
            )
        payment_record(
            invoice=older,
            amount=usd("20"),
            received_on=day,
            reference=reference,
            actor=None,
            reason="On the bank statement.",
        )
    expected = ["3 Mar 2026", "Credit applied on 5 Mar 2026", "10 Mar 2026"]

    page = client_for(owner).get(f"/app/northwind/invoices/{older.number}/").content.decode()
    positions = [page.index(text) for text in expected]
    assert positions == sorted(positions), positions

    context = invoice_pdf_context(older)
    assert [(row["kind"], row["on"].day, row["amount"]) for row in context["settlements"]] == [
        ("payment", 3, "\u2212$20.00"),
        ("credit", 5, "\u2212$30.00"),
        ("payment", 10, "\u2212$20.00"),
    ]
