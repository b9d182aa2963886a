"""The billing emails: what each says and when it is queued. Each notice is queued
through billing.emails.services.send_billing_email in the transaction of the change it
tells about, so a rollback takes the email with it and a change made once is told once.

- invoice issued: when the invoice's first PDF version is stored by the render task
  (billing.tasks.render_invoice_pdf), with that PDF attached;
- payment received: when a payment is recorded (billing.payments.services.payment_record),
  whichever provider brought it;
- plan changed: when a checkout is confirmed, a scheduled change is applied or
  canceled, or staff change a subscription in the admin;
- credit note issued: when a credit note is issued (billing.invoices.services), with
  its PDF attached, rendered then (a credit note's PDF is not stored: the page serves it
  rendered on request from the same context).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.urls import reverse

from billing.emails.plan import Agreed, Row, discount_rows, plan_rows
from billing.emails.services import send_billing_email
from billing.invoices.documents import credit_note_pdf_context
from billing.invoices.selectors import invoice_outstanding
from billing.ledger.steps import Terms
from billing.models import (
    CreditEntry,
    CreditNote,
    Invoice,
    InvoiceStatus,
    Payment,
    Subscription,
)
from billing.money import Money
from billing.pdf import render_pdf
from billing.providers import provider_named
from licensing.models import License, TierVersion
from portal.emails import Attachment
from portal.models import Organization

PDF = "application/pdf"

logger = logging.getLogger(__name__)


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def invoice_url(invoice: Invoice) -> str:
    return absolute(reverse("invoice_detail", args=[invoice.organization.slug, invoice.number]))


def credit_note_url(note: CreditNote) -> str:
    return absolute(reverse("credit_note_pdf", args=[note.organization.slug, note.number]))


def dashboard_url(organization: Organization) -> str:
    return absolute(reverse("organization_detail", args=[organization.slug]))


def person(user) -> str:
    """Who did something, as the customer reads it: a name and the address, staff said
    to be staff."""
    if user is None:
        return "Tierwise"
    name = user.get_full_name().strip()
    who = f"{name} ({user.email})" if name else user.email
    return f"Tierwise staff: {who}" if user.is_staff else who


def invoice_issued(*, invoice: Invoice, pdf: bytes) -> None:
    """The invoice, with its link and its PDF attached. An invoice voided before any PDF
    of it was rendered is not announced: its credit note's email tells of it."""
    if invoice.status == InvoiceStatus.VOID:
        return
    send_billing_email(
        "invoice-issued",
        organization=invoice.organization,
        context={
            "invoice": invoice,
            "total": invoice.money("total").format(),
            "credit_applied": None
            if invoice.money("credit_applied").is_zero
            else invoice.money("credit_applied").format(),
            "outstanding": invoice_outstanding(invoice=invoice).format(),
            "settled": invoice.status != InvoiceStatus.OPEN,
            "action_url": invoice_url(invoice),
            "action_label": f"View invoice {invoice.number}",
        },
        attachments=[Attachment(f"{invoice.number}.pdf", pdf, PDF)],
    )


def payment_received(
    *,
    payment: Payment,
    outstanding: Money,
    credit_created: Money,
    invoice_settled_before: bool = False,
) -> None:
    """A receipt: what came in, when, how, for which invoice, and what remains of it or
    what became credit. `invoice_settled_before`: the invoice was already paid or void
    when the money arrived, so all of it became credit."""
    invoice = payment.invoice
    send_billing_email(
        "payment-received",
        organization=invoice.organization,
        context={
            "payment": payment,
            "invoice": invoice,
            "amount": payment.money().format(),
            "method": provider_named(payment.provider).label,
            "outstanding": None if outstanding.is_zero else outstanding.format(),
            "credit_created": None if credit_created.is_zero else credit_created.format(),
            "settled_before": (
                invoice.get_status_display().lower() if invoice_settled_before else None
            ),
            "action_url": invoice_url(invoice),
            "action_label": f"View invoice {invoice.number}",
        },
    )


@dataclass(frozen=True)
class Scheduled:
    """A change scheduled for a later day, as the email names it."""

    effective_on: date
    summary: str


def plan_changed(
    *,
    license: License,
    by: str,
    effective_on: date,
    rows: list[Row],
    scheduled: Scheduled | None = None,
    canceled: Scheduled | None = None,
    note: str = "",
) -> None:
    """Who changed the plan, what moved (`rows`, in force from `effective_on`), what is
    scheduled for later and what scheduled change was called off. Nothing to tell,
    nothing sent."""
    if not rows and scheduled is None and canceled is None:
        return
    organization = license.organization
    send_billing_email(
        "plan-changed",
        organization=organization,
        context={
            "license": license,
            "product": license.version.tier.product.name,
            "by": by,
            "effective_on": effective_on,
            "rows": rows,
            "scheduled": scheduled,
            "canceled": canceled,
            "note": note,
            "action_url": dashboard_url(organization),
            "action_label": "See your plan",
        },
    )


def credit_note_issued(
    *, note: CreditNote, credit_created: Money, applied: list[CreditEntry], balance: Money
) -> None:
    """The credit note, with its PDF attached and linked, what it credits and where that
    credit went: the open invoices it paid (`applied`) and the balance left."""
    invoice = note.invoice
    send_billing_email(
        "credit-note-issued",
        organization=note.organization,
        context={
            "note": note,
            "invoice": invoice,
            "total": note.money("total").format(),
            "credit_created": None if credit_created.is_zero else credit_created.format(),
            "applied": [
                (entry.invoice.number, Money(-entry.amount, entry.currency).format())
                for entry in applied
            ],
            "balance": balance.format(),
            "invoice_url": invoice_url(invoice),
            "action_url": credit_note_url(note),
            "action_label": f"Download credit note {note.number} (PDF)",
        },
        attachments=_credit_note_pdf(note),
    )


def _credit_note_pdf(note: CreditNote) -> list[Attachment]:
    """The credit note's PDF as an attachment. A render that fails leaves it out (and is
    logged) rather than undo the credit note: the email still links the PDF, which the
    portal renders again on request."""
    try:
        pdf = render_pdf("pdf/credit_note.html", credit_note_pdf_context(note))
    except Exception as exc:
        logger.warning("Rendering credit note %s for its email failed: %r", note.number, exc)
        return []
    return [Attachment(f"{note.number}.pdf", pdf, PDF)]


def rows_between(before: Terms | None, after: Terms | None) -> list[Row]:
    """What moved between two of a subscription's terms (billing.ledger.services.terms_of),
    with each tier version's plan name."""
    if before is None or after is None:
        return []
    versions = TierVersion.objects.select_related("tier").filter(
        pk__in={before.version, after.version}
    )
    return plan_rows(before, after, {version.pk: version.tier.name for version in versions})


def agreed_of(license_id: int) -> Agreed:
    """The negotiated discount of the license's subscription as it stands (none without
    a subscription)."""
    found = (
        Subscription.objects.filter(license_id=license_id)
        .values_list("discount_percent", "discount_reason", "discount_ends_on")
        .first()
    )
    return Agreed(*found) if found is not None else Agreed()


def price_rows_between(
    before: Terms | None,
    after: Terms | None,
    agreed_before: Agreed,
    agreed_after: Agreed,
    *,
    on: date,
) -> list[Row]:
    """The negotiated discount that moved, and what a cycle from `on` is billed after
    it (billing.emails.plan.discount_rows): none when neither side has a discount."""
    if before is None or after is None:
        return []
    return discount_rows(before, after, agreed_before, agreed_after, on=on)
