"""Invoices, their lines, credit notes, the numbering series and each organization's
billing details.

An invoice is a draft until it is finalized; finalizing fixes its lines and amounts,
copies the organization's tax rate, tax ID and payment terms onto it, and takes the next
number of its series (gapless, per series and year). From then on only its status may
move (open → paid or void): `save()` refuses anything else here, and on PostgreSQL a
trigger refuses it even to raw SQL. A correction is a credit note, never an edit.
Writes go through billing.invoices.services; money is rounded only by billing.money.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from billing.invoices.kinds import LineKind
from billing.money import Money
from portal.models import Organization


class FinalizedDocumentError(RuntimeError):
    """Something tried to change or delete an invoice or credit note that has a number."""


def _amount_field(**kwargs) -> models.DecimalField:
    return models.DecimalField(max_digits=12, decimal_places=2, default=Decimal(0), **kwargs)


class PaymentTerms(models.TextChoices):
    DUE_ON_RECEIPT = "due_on_receipt", "Due on receipt"
    NET = "net", "Net N days"


class BillingDetails(models.Model):
    """Who an organization is, as its invoices name it, and how it is invoiced: entered
    by the customer (billing.tax.services.billing_details_update), every change kept in
    its history with who made it. Copied onto each invoice when it is finalized, so a
    later change never rewrites an issued invoice. The tax rate is not typed here: the
    rule (billing.tax.rules) chooses it from the country and the tax ID, unless staff set
    an override, with its reason (billing.tax.services.tax_override_set)."""

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="billing_details"
    )
    legal_name = models.CharField(max_length=200, blank=True)
    address_line1 = models.CharField("address", max_length=200, blank=True)
    address_line2 = models.CharField("address, line 2", max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    region = models.CharField("region or state", max_length=100, blank=True)
    # ISO 3166-1 alpha-2.
    country = models.CharField(max_length=2, blank=True)
    # Normalized by billing.tax.ids for `country` (format and check digit).
    tax_id = models.CharField("tax ID", max_length=40, blank=True)
    # Where invoices go besides the owners and billing admins.
    billing_emails = models.JSONField(default=list, blank=True)
    po_number = models.CharField("purchase order number", max_length=64, blank=True)
    tax_rate_override = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
        help_text="Set by staff with a reason; replaces the rate the tax rule chooses.",
    )
    tax_override_reason = models.TextField(blank=True)
    payment_terms = models.CharField(
        max_length=16, choices=PaymentTerms.choices, default=PaymentTerms.NET
    )
    net_days = models.PositiveSmallIntegerField(
        default=30,
        validators=[MaxValueValidator(365)],
        help_text="Days to pay, when the terms are net N days.",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "billing details"

    def __str__(self) -> str:
        return f"Billing details of {self.organization}"

    @property
    def days_to_pay(self) -> int:
        return 0 if self.payment_terms == PaymentTerms.DUE_ON_RECEIPT else self.net_days

    @property
    def is_complete(self) -> bool:
        """Enough to issue a tax document to: who and where."""
        return bool(self.legal_name and self.address_line1 and self.city and self.country)

    @property
    def address_lines(self) -> list[str]:
        """The postal address, one line each, as an invoice prints it."""
        place = " ".join(part for part in (self.postal_code, self.city) if part)
        return [
            line for line in (self.address_line1, self.address_line2, place, self.region) if line
        ]


class Series(models.TextChoices):
    INVOICE = "INV", "Invoice"
    CREDIT_NOTE = "CN", "Credit note"
    PROPOSAL = "P", "Proposal"


class DocumentSequence(models.Model):
    """The last number taken in a series for a year. The row is locked while a number is
    taken, in the transaction that issues the document, so a rollback gives the number
    back and two documents never share one: the numbers have no gaps."""

    series = models.CharField(max_length=8, choices=Series.choices)
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["series", "year"], name="one_sequence_per_series_year")
        ]

    def __str__(self) -> str:
        return f"{self.series}-{self.year}: {self.last_number}"


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    OPEN = "open", "Open"
    PAID = "paid", "Paid"
    VOID = "void", "Void"


class Invoice(models.Model):
    # Once finalized, only these may change (and the status only forwards).
    MUTABLE_WHEN_FINALIZED = ("status", "paid_at", "voided_at")

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="invoices"
    )
    license = models.ForeignKey(
        "licensing.License",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="invoices",
    )
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=8, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT
    )
    series = models.CharField(max_length=8, choices=Series.choices, default=Series.INVOICE)
    number = models.CharField(max_length=32, unique=True, null=True, blank=True)
    issued_on = models.DateField(null=True, blank=True)
    due_on = models.DateField(null=True, blank=True)
    payment_terms = models.CharField(max_length=16, choices=PaymentTerms.choices, blank=True)
    net_days = models.PositiveSmallIntegerField(null=True, blank=True)
    # Dunning, copied at finalization from the settings then in force, so a settings
    # change never moves a date already shown (billing.dunning): reminders so many days
    # after the due date, past due from one day, suspended from another.
    dunning_reminder_days = models.JSONField(default=list, blank=True)
    past_due_on = models.DateField(null=True, blank=True)
    suspend_on = models.DateField(null=True, blank=True)
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal(0))
    tax_id = models.CharField("tax ID", max_length=40, blank=True)
    # Who the invoice was issued to, as it was when it was finalized: a later rename
    # changes nothing on an issued invoice or its PDF.
    billed_to_name = models.CharField("billed to", max_length=200, blank=True)
    billed_to_address = models.TextField("billing address", blank=True)
    billed_to_country = models.CharField("billing country", max_length=2, blank=True)
    po_number = models.CharField("purchase order number", max_length=64, blank=True)
    # How the tax was chosen (billing.tax.rules.Treatment) and the legal mention it needs.
    tax_treatment = models.CharField(max_length=20, blank=True)
    tax_note = models.TextField(blank=True)
    # The seller as settings named it when the invoice was finalized.
    seller = models.JSONField(default=dict, blank=True)
    subtotal = _amount_field()
    tax = _amount_field()
    total = _amount_field()
    credit_applied = _amount_field(help_text="Credit balance used to pay part of the total.")
    amount_due = _amount_field()
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    finalized_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # Dunning's and the reminders' question: open invoices by the day they fall due.
            models.Index(fields=["status", "due_on"], name="invoice_status_due_on"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="draft") | models.Q(number__isnull=False),
                name="invoice_finalized_has_number",
            )
        ]

    def __str__(self) -> str:
        return self.number or f"Draft invoice {self.pk}"

    def save(self, *args, **kwargs) -> None:
        if self.is_finalized:
            stored = type(self).objects.filter(pk=self.pk).values().first() or {}
            changed = [
                name
                for name, value in stored.items()
                if name not in self.MUTABLE_WHEN_FINALIZED and getattr(self, name) != value
            ]
            if changed or self.status == InvoiceStatus.DRAFT:
                raise FinalizedDocumentError(
                    f"Invoice {self.number} is finalized; issue a credit note instead."
                )
        super().save(*args, **kwargs)
        self._stored_status = self.status

    def delete(self, *args, **kwargs):
        if self.is_finalized:
            raise FinalizedDocumentError(f"Invoice {self.number} is finalized; it stays.")
        return super().delete(*args, **kwargs)

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._stored_status = instance.__dict__.get("status")
        return instance

    @property
    def is_finalized(self) -> bool:
        return getattr(self, "_stored_status", InvoiceStatus.DRAFT) != InvoiceStatus.DRAFT

    def is_overdue(self, today) -> bool:
        return self.status == InvoiceStatus.OPEN and self.due_on is not None and self.due_on < today

    def money(self, field: str) -> Money:
        return Money(getattr(self, field), self.currency)


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(max_length=24, choices=LineKind.choices)
    description = models.CharField(max_length=200)
    # A line that bills (part of) a period links to it and its subscription.
    subscription = models.ForeignKey(
        "billing.Subscription",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="invoice_lines",
    )
    period = models.ForeignKey(
        "billing.SubscriptionPeriod",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="invoice_lines",
    )
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    quantity = models.DecimalField(max_digits=12, decimal_places=4, default=Decimal(1))
    # Negative for a credit (the unused part of a price, a discount).
    unit_price = models.DecimalField(max_digits=12, decimal_places=4)
    # The catalog's unit price for a term of the plan billed (per seat when per seat).
    list_unit_price = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    amount = _amount_field()
    position = models.PositiveSmallIntegerField(default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["invoice", "position", "pk"]

    def __str__(self) -> str:
        return self.description

    def save(self, *args, **kwargs) -> None:
        self._refuse_when_finalized()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._refuse_when_finalized()
        return super().delete(*args, **kwargs)

    def _refuse_when_finalized(self) -> None:
        status = Invoice.objects.filter(pk=self.invoice_id).values_list("status", flat=True)
        if status.first() not in (None, InvoiceStatus.DRAFT):
            raise FinalizedDocumentError("The invoice is finalized; its lines stay as issued.")


class CreditNote(models.Model):
    """A correction of a finalized invoice: issued with its own number and never changed.
    Its amounts are positive and reduce what the customer owes (or become credit)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="credit_notes"
    )
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_notes")
    number = models.CharField(max_length=32, unique=True)
    currency = models.CharField(max_length=3)
    issued_on = models.DateField()
    reason = models.TextField()
    subtotal = _amount_field()
    tax = _amount_field()
    total = _amount_field()
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.number

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise FinalizedDocumentError(f"Credit note {self.number} is issued; it never changes.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise FinalizedDocumentError(f"Credit note {self.number} is issued; it stays.")

    def money(self, field: str) -> Money:
        return Money(getattr(self, field), self.currency)


class CreditEntry(models.Model):
    """The credit balance as a ledger: + when credit is granted (a negative amount due, a
    credit note), - when an invoice uses it. The balance is the sum, per currency."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="credit_entries"
    )
    currency = models.CharField(max_length=3)
    amount = _amount_field()
    description = models.CharField(max_length=200)
    invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="credit_entries"
    )
    credit_note = models.ForeignKey(
        CreditNote, null=True, blank=True, on_delete=models.PROTECT, related_name="credit_entries"
    )
    # Set on credit applied to an open invoice after it was issued (billing.invoices.credit):
    # the invoice's page and PDF show "Credit applied on <day>". Credit an invoice used
    # when it was finalized is its `credit_applied` instead.
    applied_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "credit entries"

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}: {self.description}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise FinalizedDocumentError("Credit entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise FinalizedDocumentError("Credit entries are append-only.")


class DocumentReason(models.TextChoices):
    """Why a version of an invoice's PDF was rendered."""

    ISSUED = "issued", "Issued"
    PAYMENT_RECORDED = "payment_recorded", "Payment recorded"
    VOIDED = "voided", "Voided"
    CREDIT_APPLIED = "credit_applied", "Credit applied"


class InvoiceDocument(models.Model):
    """One version of the invoice's PDF, as Stripe keeps each document it issued. Kept
    apart from the invoice so the invoice row stays as finalized while the file is made.

    Versions are append-only: a payment or a void adds the next version to render and
    leaves the earlier ones as they were sent. A version's PDF is written once, by the
    render task (NULL to bytes, with its `rendered_at`); after that the database refuses
    to change it, and refuses any DELETE or TRUNCATE (billing migration 0014). The claim
    fields (`claimed_at`, `attempts`, `last_error`) and `superseded_at` are the task's
    bookkeeping, not the document. An unrendered version is superseded when a newer one
    is added: it is then never rendered, so it cannot show a later state under its own
    reason."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="documents")
    version = models.PositiveSmallIntegerField(default=1, editable=False)
    reason = models.CharField(
        max_length=20, choices=DocumentReason.choices, default=DocumentReason.ISSUED
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    pdf = models.BinaryField(null=True, blank=True, editable=False)
    claimed_at = models.DateTimeField(null=True, blank=True)
    rendered_at = models.DateTimeField(null=True, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["invoice", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "version"], name="invoicedocument_one_per_version"
            ),
            models.CheckConstraint(
                condition=models.Q(version__gte=1), name="invoicedocument_version_from_1"
            ),
        ]

    def __str__(self) -> str:
        return f"PDF of {self.invoice}, version {self.version}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise FinalizedDocumentError(
                "Invoice PDF versions are append-only; the render task writes the PDF."
            )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise FinalizedDocumentError("Invoice PDF versions are append-only; they stay.")
