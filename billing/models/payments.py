"""Payments received towards invoices.

A payment is what reached us, as received: its whole amount, the day it arrived, the
provider it came through and its reference there. It is written once, by
billing.payments.services.payment_record, and never changed or deleted (`save()` and
`delete()` refuse here; on PostgreSQL a trigger refuses UPDATE and DELETE): a payment
recorded by mistake is answered by a credit note, never erased. What a payment brings
beyond what remained of its invoice is credit, in the credit ledger beside it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from billing.models.invoices import FinalizedDocumentError, Invoice
from billing.money import Money
from portal.models import Organization


class Payment(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="payments"
    )
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    currency = models.CharField(max_length=3)
    amount = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        help_text="All that was received, including any overpayment.",
    )
    received_on = models.DateField("received on")
    # The provider's own reference: the bank's for a transfer.
    reference = models.CharField(max_length=100)
    # A billing.providers name, e.g. "bank_transfer".
    provider = models.CharField(max_length=32)
    # PROTECT: the row is append-only, so it could not be set to NULL; a staff member who
    # recorded payments is deactivated, not deleted.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.TextField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-received_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_positive"),
            # The same bank transfer recorded twice (a double click, two staff members).
            models.UniqueConstraint(
                fields=["invoice", "provider", "reference"], name="one_payment_per_reference"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.money()} towards {self.invoice} ({self.reference})"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise FinalizedDocumentError("Payments are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise FinalizedDocumentError("Payments are append-only.")

    def money(self) -> Money:
        return Money(self.amount, self.currency)
