"""The organization's invoices and credit notes: the list with its credit balance, each
invoice as a page and as a PDF (its newest rendered version; the page says when a newer
one is on its way), each credit note as a PDF (rendered on request: a credit note never
changes, and neither do the parties its invoice snapshotted). Owners and billing admins
only; a member gets 403, an outsider 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Max, Min
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from billing.cards.selectors import card_payable, saved_card
from billing.cards.services import new_attempt_key
from billing.dunning.selectors import overdue_panel
from billing.invoices import credit, rules, services
from billing.invoices.documents import credit_note_pdf_context, invoice_pdf_context
from billing.invoices.selectors import credit_balances, invoice_outstanding, pdf_versions
from billing.models import BillingDetails, CreditNote, Invoice, InvoiceStatus
from billing.pdf import render_pdf
from portal import clock
from portal.access import (
    get_credit_note_for_member,
    get_invoice_for_member,
    get_membership,
    require_billing,
)


@login_required
@require_GET
def invoice_list(request: HttpRequest, slug: str) -> HttpResponse:
    membership = get_membership(request, slug)
    require_billing(membership)
    organization = membership.organization
    today = clock.today()
    invoices = [
        {
            "invoice": invoice,
            "total": invoice.money("total"),
            # What is still to pay: less any part payments; nothing once paid or void.
            "due": invoice_outstanding(invoice=invoice),
            "overdue": invoice.is_overdue(today),
        }
        for invoice in Invoice.objects.filter(organization=organization)
        .exclude(status=InvoiceStatus.DRAFT)
        # The span the invoice bills: its lines' first and last day (none for one-offs).
        .annotate(period_from=Min("lines__period_start"), period_to=Max("lines__period_end"))
        .prefetch_related("payments", "credit_entries")
    ]
    return render(
        request,
        "billing/invoices.html",
        {
            "membership": membership,
            "organization": organization,
            "invoices": invoices,
            "credit_notes": [
                {"note": note, "total": note.money("total")}
                for note in CreditNote.objects.filter(organization=organization).select_related(
                    "invoice"
                )
            ],
            "credit_balances": credit_balances(organization=organization),
            "credit_rule": credit.RULE,
            # What is overdue and what happens when (billing.dunning).
            "dunning_overdue": overdue_panel(organization=organization, today=today),
            "saved_card": saved_card(organization=organization),
            # The terms its next invoice takes (the defaults until staff set others).
            "terms": rules.terms_phrase(
                (
                    BillingDetails.objects.filter(organization=organization).first()
                    or BillingDetails()
                ).days_to_pay
            ),
        },
    )


@login_required
@require_GET
def invoice_detail(request: HttpRequest, slug: str, number: str) -> HttpResponse:
    membership, invoice = get_invoice_for_member(request, slug, number)
    require_billing(membership)
    today = clock.today()
    return render(
        request,
        "billing/invoice.html",
        {
            "membership": membership,
            "overdue": invoice.is_overdue(today),
            # "Due now" only when money is owed and its day has come; else the date.
            "due_now": invoice.status == InvoiceStatus.OPEN
            and rules.due_now(
                amount=invoice_outstanding(invoice=invoice), due_on=invoice.due_on, today=today
            ),
            "terms": rules.terms_phrase(invoice.net_days or 0),
            "pdf": pdf_versions(invoice=invoice),
            # "Pay now" by card (portal.views.cards), and the saved card in one click.
            "card_payable": card_payable(invoice=invoice),
            "saved_card": saved_card(organization=invoice.organization),
            "attempt_key": new_attempt_key(),
            # This invoice's dunning timeline, while it is overdue (billing.dunning).
            "dunning_overdue": overdue_panel(
                organization=invoice.organization, today=today, invoice=invoice
            ),
            **invoice_pdf_context(invoice),
        },
    )


@login_required
@require_GET
def invoice_pdf(request: HttpRequest, slug: str, number: str) -> HttpResponse:
    membership, invoice = get_invoice_for_member(request, slug, number)
    require_billing(membership)
    document = services.invoice_pdf_request(invoice=invoice)
    if document is None:
        messages.info(request, "The PDF is being prepared; try again in a moment.")
        return redirect("invoice_detail", slug, number)
    response = HttpResponse(bytes(document.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{invoice.number}.pdf"'
    return response


@login_required
@require_GET
def credit_note_pdf(request: HttpRequest, slug: str, number: str) -> HttpResponse:
    membership, note = get_credit_note_for_member(request, slug, number)
    require_billing(membership)
    pdf = render_pdf("pdf/credit_note.html", credit_note_pdf_context(note))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{note.number}.pdf"'
    return response
