"""Recording a payment received towards an invoice: the one write to payments, whichever
provider the money came through (billing.providers): payment_record for an invoice that
still owes, and payment_record_as_credit for money that arrived for one no longer open
(all of it becomes credit).

One transaction locks the invoice (two staff members recording the same transfer, or a
payment racing a void, queue on its row) and, when money goes to the credit balance, the
organization's billing details, which serialise that balance. A refusal writes nothing.
"""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from billing.dunning.services import dunning_settle, lock_for_settlement
from billing.emails import notices
from billing.invoices.selectors import invoice_outstanding
from billing.invoices.services import credit_apply, invoice_pdf_refresh
from billing.locks import lock_billing_details
from billing.models import (
    CreditEntry,
    DocumentReason,
    Invoice,
    InvoiceStatus,
    Payment,
)
from billing.money import Money
from billing.providers import PaymentProvider, provider_for
from portal import clock


def _refuse_unpayable(invoice: Invoice) -> None:
    if invoice.status == InvoiceStatus.DRAFT:
        raise ValidationError("A draft is not issued yet; it cannot be paid.")
    if invoice.status == InvoiceStatus.VOID:
        raise ValidationError(f"Invoice {invoice.number} is void; it cannot be paid.")
    if invoice.status == InvoiceStatus.PAID:
        raise ValidationError(f"Invoice {invoice.number} is already paid.")


def _field_errors(
    invoice: Invoice,
    *,
    amount: Money,
    received_on: date,
    reference: str,
    reason: str,
    provider: PaymentProvider,
    today: date,
) -> dict[str, str]:
    errors = {}
    if amount.currency != invoice.currency:
        errors["amount"] = f"This invoice is in {invoice.currency}, not {amount.currency}."
    elif amount.amount <= 0:
        errors["amount"] = "A payment is a positive amount."
    elif amount.rounded() != amount:
        errors["amount"] = f"{invoice.currency} amounts go to the minor unit (such as cents)."
    if received_on > today:
        errors["received_on"] = "A payment cannot arrive in the future; give the day it arrived."
    elif invoice.issued_on and received_on < invoice.issued_on:
        errors["received_on"] = (
            f"This invoice was issued on {invoice.issued_on:%-d %B %Y}; a payment for it "
            "arrives on that day or later."
        )
    if not reference:
        errors["reference"] = "Give the payment's reference, as the bank statement shows it."
    elif invoice.payments.filter(provider=provider.name, reference=reference).exists():
        errors["reference"] = f"A payment with reference {reference} is already recorded here."
    if not reason:
        errors["reason"] = "Say why; the reason is kept on record."
    return errors


@transaction.atomic
def payment_record(
    *,
    invoice: Invoice,
    amount: Money,
    received_on: date,
    reference: str,
    actor,
    reason: str,
    provider: PaymentProvider | None = None,
    at: datetime | None = None,
) -> Payment:
    """Record `amount` received on `received_on` towards `invoice`. It pays what is
    still outstanding; the payment that covers the rest marks the invoice paid, and what
    it brings beyond that becomes credit (applied by billing.invoices.credit's rule).
    `actor` is the staff member recording it (None when a provider reports its own
    payment). `at` is when it is recorded: a payment received after it is refused, and a
    paid invoice is paid then."""
    at = at or clock.now()
    # The lock order (billing.locks): the billing details, which serialise the credit
    # balance an overpayment adds to, then the licenses the payment may reinstate, before
    # the invoice.
    lock_billing_details(invoice.organization)
    licenses = lock_for_settlement(invoice.organization, invoice.currency)
    locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
    _refuse_unpayable(locked)
    provider = provider or provider_for(locked)
    reference, reason = reference.strip(), reason.strip()
    outstanding = invoice_outstanding(invoice=locked)
    payment = _write_payment(
        locked,
        amount=amount,
        received_on=received_on,
        reference=reference,
        reason=reason,
        provider=provider,
        actor=actor,
        at=at,
    )
    overpaid = amount - outstanding
    if overpaid.amount > 0:
        CreditEntry.objects.create(
            organization=locked.organization,
            currency=locked.currency,
            amount=overpaid.amount,
            description=f"Overpayment of {locked.number} ({reference})",
            invoice=locked,
        )
    if amount >= outstanding:
        locked.status = InvoiceStatus.PAID
        locked.paid_at = at
        locked.save()
    invoice_pdf_refresh(invoice=locked, reason=DocumentReason.PAYMENT_RECORDED)
    credit_created = max(overpaid, Money.zero(locked.currency))
    if not credit_created.is_zero:
        # The overpayment pays the organization's other open invoices, oldest first.
        credit_apply(organization=locked.organization, currency=locked.currency, at=at)
    notices.payment_received(
        payment=payment,
        outstanding=max(outstanding - amount, Money.zero(locked.currency)),
        credit_created=credit_created,
    )
    # A license left with nothing overdue runs again at once (billing.dunning).
    dunning_settle(license_ids=licenses, at=at, reason=f"Payment {reference} for {locked.number}.")
    return payment


@transaction.atomic
def payment_record_as_credit(
    *,
    invoice: Invoice,
    amount: Money,
    received_on: date,
    reference: str,
    actor,
    reason: str,
    provider: PaymentProvider,
    at: datetime | None = None,
) -> Payment:
    """Record money a provider took for `invoice` after the invoice stopped owing it
    (paid meanwhile by a transfer or by credit, or voided): a card payment confirmed at
    the bank after staff recorded the transfer. The money reached us, so it is on record
    like any payment, on the invoice it was meant for; none of it pays that invoice, so
    its whole amount becomes the organization's credit, which pays its other open
    invoices at once, oldest first (billing.invoices.credit). An invoice still open is
    paid as payment_record pays it (what exceeds what it owes becomes credit)."""
    at = at or clock.now()
    lock_billing_details(invoice.organization)
    licenses = lock_for_settlement(invoice.organization, invoice.currency)
    locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if locked.status == InvoiceStatus.OPEN:
        return payment_record(
            invoice=locked,
            amount=amount,
            received_on=received_on,
            reference=reference,
            actor=actor,
            reason=reason,
            provider=provider,
            at=at,
        )
    if locked.status == InvoiceStatus.DRAFT:
        raise ValidationError("A draft is not issued yet; it cannot be paid.")
    reference, reason = reference.strip(), reason.strip()
    payment = _write_payment(
        locked,
        amount=amount,
        received_on=received_on,
        reference=reference,
        reason=reason,
        provider=provider,
        actor=actor,
        at=at,
    )
    CreditEntry.objects.create(
        organization=locked.organization,
        currency=locked.currency,
        amount=amount.amount,
        description=(
            f"Payment {reference} for {locked.number}, which was already "
            f"{locked.get_status_display().lower()}"
        )[:200],
        invoice=locked,
    )
    credit_apply(organization=locked.organization, currency=locked.currency, at=at)
    dunning_settle(
        license_ids=licenses, at=at, reason=f"Payment {reference} became credit, applied."
    )
    notices.payment_received(
        payment=payment,
        outstanding=Money.zero(locked.currency),
        credit_created=amount,
        invoice_settled_before=True,
    )
    return payment


def _write_payment(
    locked: Invoice, *, amount: Money, received_on, reference: str, reason: str, provider, actor, at
) -> Payment:
    """Checks and writes the append-only payment row, on the invoice locked by the caller;
    a refusal names each field and writes nothing."""
    errors = _field_errors(
        locked,
        amount=amount,
        received_on=received_on,
        reference=reference,
        reason=reason,
        provider=provider,
        today=timezone.localdate(at),
    )
    if errors:
        raise ValidationError(errors)
    payment = Payment(
        organization=locked.organization,
        invoice=locked,
        currency=locked.currency,
        amount=amount.amount,
        received_on=received_on,
        reference=reference,
        provider=provider.name,
        recorded_by=actor,
        reason=reason,
    )
    payment.full_clean()
    payment.save()
    return payment
