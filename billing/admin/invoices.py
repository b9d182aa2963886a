"""Invoices, credit notes, payments, the credit ledger and billing details in the admin.

Invoices and credit notes are made by billing.invoices.services, never typed in here:
they are read-only (a finalized one could not be changed anyway), with their history.
Three operations act on an issued invoice, each behind a page with a reason: void it with
a credit note, credit part of a paid one with a credit note, and record a payment
received (billing.payments.services), which is how a bank transfer is booked. Payments
are append-only, so read-only here.
Billing details are the customer's (entered in the portal): here staff set the payment
terms, and may override the tax rate the rule chooses only through "Override tax
rate…", with a reason (billing.details.services). Each change is kept in their history,
and invoices already issued keep the rate and terms they were issued with."""

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import MaxValueValidator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import linebreaksbr
from django.urls import path, reverse

from billing.details.services import payment_terms_set, tax_override_clear, tax_override_set
from billing.invoices import rules, services
from billing.invoices.credit import STAFF_RULE
from billing.invoices.kinds import LineKind
from billing.invoices.selectors import invoice_outstanding, invoice_remaining
from billing.models import (
    BillingDetails,
    CreditEntry,
    CreditNote,
    Invoice,
    InvoiceDocument,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentTerms,
)
from billing.money import Money
from billing.payments.services import payment_record
from billing.providers import provider_for, provider_named
from billing.tax.selectors import tax_decision
from licensing.admin.pages import ReadOnlyAdminMixin, confirm_page
from portal import clock
from portal.admin_history import HistoryAdmin


def _billed_spans(invoice: Invoice) -> list[tuple]:
    """(first day, last day) of each span of the subscription the invoice paid for."""
    return list(
        invoice.lines.filter(
            kind__in=(LineKind.RECURRING, LineKind.PRORATION_CHARGE), period_start__isnull=False
        )
        .order_by("period_start")
        .values_list("period_start", "period_end")
    )


class VoidForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        max_length=2000,
        help_text="Printed on the credit note and kept: say why, for whoever reads it next.",
    )


class CreditNoteForm(forms.Form):
    amount = forms.DecimalField(
        label="Amount to credit, before tax",
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        max_length=2000,
        help_text="Printed on the credit note and kept: say why, for whoever reads it next.",
    )

    def __init__(self, *args, invoice: Invoice, remaining_subtotal: Money, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        amount = self.fields["amount"]
        # What remains before tax: the service refuses more (with tax) in any case.
        amount.max_value = remaining_subtotal.amount
        amount.validators.append(MaxValueValidator(remaining_subtotal.amount))
        amount.help_text = (
            f"In {invoice.currency}, at most {remaining_subtotal} (what remains of the "
            f"invoice before tax). Tax at the invoice's rate ({invoice.tax_rate} %) is "
            "added; the credit note's total becomes the customer's credit."
        )


class PaymentForm(forms.Form):
    amount = forms.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        help_text="As received, in the invoice's currency. Beyond what is still to pay, it "
        "becomes the customer's credit.",
    )
    received_on = forms.DateField(
        label="Date received",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The day the money reached the account (not a day in the future).",
    )
    reference = forms.CharField(
        max_length=100, help_text="The bank's reference for the transfer, from the statement."
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        max_length=2000,
        help_text="Kept with the payment: say what it is, for whoever reads it next.",
    )

    def __init__(self, *args, invoice: Invoice, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["amount"].initial = invoice_outstanding(invoice=invoice).amount
        self.fields["received_on"].initial = clock.today()


class InvoiceLineInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = InvoiceLine
    extra = 0
    fields = ["description", "period_start", "period_end", "quantity", "unit_price", "amount"]
    readonly_fields = fields


class InvoiceDocumentInline(ReadOnlyAdminMixin, admin.TabularInline):
    """The PDF's versions, append-only: each render is kept as it was sent."""

    model = InvoiceDocument
    extra = 0
    fields = ["version", "reason", "created_at", "rendered_at", "superseded_at", "attempts"]
    readonly_fields = fields
    ordering = ["version"]
    verbose_name = "PDF version"
    verbose_name_plural = "PDF versions (each render kept as it was sent)"


class CreditNoteInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = CreditNote
    extra = 0
    fields = ["number", "issued_on", "total", "reason", "issued_by"]
    readonly_fields = fields
    show_change_link = True


class PaymentInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Payment
    extra = 0
    fields = ["received_on", "amount", "provider", "reference", "reason", "recorded_by"]
    readonly_fields = fields
    verbose_name_plural = "payments received (record one with “Record payment”)"


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdminMixin, HistoryAdmin):
    list_display = [
        "__str__",
        "organization",
        "status",
        "issued_on",
        "due_on",
        "currency",
        "total",
        "still_to_pay",
    ]
    list_filter = ["status", "currency"]
    list_select_related = ["organization"]
    # By issue, newest first (drafts, not issued yet, on top): the numbers' order.
    ordering = ["-issued_on", "-number", "-pk"]
    search_fields = ["number", "organization__name"]
    date_hierarchy = "issued_on"
    inlines = [InvoiceLineInline, PaymentInline, CreditNoteInline, InvoiceDocumentInline]
    readonly_fields = [
        "organization",
        "license",
        "status",
        "number",
        "currency",
        "issued_on",
        "due_on",
        "terms",
        "tax_rate",
        "tax_id",
        "subtotal",
        "tax",
        "total",
        "credit_applied",
        "amount_due",
        "created_at",
        "finalized_at",
        "paid_at",
        "voided_at",
    ]
    fields = readonly_fields

    @admin.display(description="payment terms")
    def terms(self, invoice: Invoice) -> str:
        """In words ("net 30 days", "due on receipt"), as the invoice and its PDF say them
        (the model's label is "Net N days")."""
        if invoice.payment_terms == PaymentTerms.NET and invoice.net_days is not None:
            return rules.terms_phrase(invoice.net_days)
        return invoice.get_payment_terms_display() or "—"

    def get_queryset(self, request):
        # still_to_pay reads each invoice's payments and credit applied since its issue.
        return super().get_queryset(request).prefetch_related("payments", "credit_entries")

    @admin.display(description="still to pay")
    def still_to_pay(self, invoice: Invoice) -> str:
        """What the customer has left to pay (nothing once paid or void): the amount due
        at issue less credit applied and payments since, as the customer's page says."""
        return invoice_outstanding(invoice=invoice).format()

    def has_void_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("billing.change_invoice") and (
            obj is None or obj.status in (InvoiceStatus.OPEN, InvoiceStatus.PAID)
        )

    def has_credit_note_permission(self, request, obj=None) -> bool:
        # Part of an invoice is credited once it is paid (an open one is voided instead).
        return request.user.has_perm("billing.change_invoice") and (
            obj is None or obj.status == InvoiceStatus.PAID
        )

    def has_record_payment_permission(self, request, obj=None) -> bool:
        # Open invoices only, and only where staff book the payments (a bank transfer).
        return request.user.has_perm("billing.add_payment") and (
            obj is None
            or (obj.status == InvoiceStatus.OPEN and provider_for(obj).recorded_by_staff)
        )

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        context["may_void"] = obj is not None and self.has_void_permission(request, obj)
        context["may_credit"] = obj is not None and self.has_credit_note_permission(request, obj)
        context["may_record_payment"] = obj is not None and self.has_record_payment_permission(
            request, obj
        )
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    def get_urls(self):
        return [
            path(
                "<int:pk>/void/",
                self.admin_site.admin_view(self.void_view),
                name="billing_invoice_void",
            ),
            path(
                "<int:pk>/credit-note/",
                self.admin_site.admin_view(self.credit_note_view),
                name="billing_invoice_credit_note",
            ),
            path(
                "<int:pk>/record-payment/",
                self.admin_site.admin_view(self.record_payment_view),
                name="billing_invoice_record_payment",
            ),
            *super().get_urls(),
        ]

    def void_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        invoice = get_object_or_404(self.get_queryset(request), pk=pk)
        change_url = reverse("admin:billing_invoice_change", args=[pk])
        if not self.has_void_permission(request, invoice):
            messages.error(request, "This invoice is not one you can void.")
            return redirect(change_url)
        form = VoidForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                note = services.invoice_void_with_credit_note(
                    invoice=invoice, reason=form.cleaned_data["reason"], actor=request.user
                )
            except ValidationError as error:
                # Refused inside the service's transaction: nothing was written.
                for text in error.messages:
                    form.add_error(None, text)
            else:
                messages.success(request, f"{invoice.number} is void; credit note {note.number}.")
                return redirect(change_url)
        return confirm_page(
            self,
            request,
            "admin/billing/invoice/void.html",
            f"Void {invoice.number}?",
            invoice=invoice,
            total=invoice.money("total"),
            remaining=invoice_remaining(invoice=invoice),
            credit_rule=STAFF_RULE,
            license=invoice.license,
            billed=_billed_spans(invoice),
            form=form,
            hidden=[],
            cancel=change_url,
        )

    def credit_note_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Credit part of a paid invoice: an amount before tax and a reason, through
        billing.invoices.services.credit_note_issue. Staff who may only read invoices
        (account managers) are refused outright."""
        if not self.has_credit_note_permission(request):
            raise PermissionDenied
        invoice = get_object_or_404(self.get_queryset(request), pk=pk)
        change_url = reverse("admin:billing_invoice_change", args=[pk])
        if not self.has_credit_note_permission(request, invoice):
            messages.error(request, "Only a paid invoice is credited in part; void an open one.")
            return redirect(change_url)
        remaining_subtotal = rules.remaining(
            invoice.money("subtotal"),
            (note.money("subtotal") for note in invoice.credit_notes.all()),
        )
        form = CreditNoteForm(
            request.POST if request.method == "POST" else None,
            invoice=invoice,
            remaining_subtotal=remaining_subtotal,
        )
        if request.method == "POST" and form.is_valid():
            try:
                note = services.credit_note_issue(
                    invoice=invoice,
                    subtotal=Money(form.cleaned_data["amount"], invoice.currency),
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                )
            except ValidationError as error:
                # Refused inside the service's transaction: nothing was written.
                form.add_error(None, error)
            else:
                messages.success(
                    request,
                    f"Credit note {note.number} credits {note.money('total')} on "
                    f"{invoice.number}; it became the customer's credit.",
                )
                return redirect(change_url)
        return confirm_page(
            self,
            request,
            "admin/billing/invoice/credit_note.html",
            f"Issue a credit note on {invoice.number}",
            invoice=invoice,
            total=invoice.money("total"),
            remaining=invoice_remaining(invoice=invoice),
            remaining_subtotal=remaining_subtotal,
            notes=[
                (note, note.money("total"))
                for note in invoice.credit_notes.order_by("issued_on", "pk")
            ],
            form=form,
            hidden=[],
            cancel=change_url,
        )

    def record_payment_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        invoice = get_object_or_404(self.get_queryset(request), pk=pk)
        change_url = reverse("admin:billing_invoice_change", args=[pk])
        if not self.has_record_payment_permission(request, invoice):
            messages.error(request, "This invoice is not one you can record a payment on.")
            return redirect(change_url)
        form = PaymentForm(request.POST if request.method == "POST" else None, invoice=invoice)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                payment = payment_record(
                    invoice=invoice,
                    amount=Money(data["amount"], invoice.currency),
                    received_on=data["received_on"],
                    reference=data["reference"],
                    actor=request.user,
                    reason=data["reason"],
                )
            except ValidationError as error:
                # Refused inside the service's transaction: nothing was written. Errors
                # about one field land on that field.
                form.add_error(None, error)
            else:
                invoice.refresh_from_db()
                left = invoice_outstanding(invoice=invoice)
                messages.success(
                    request,
                    f"{payment.money()} recorded on {invoice.number}; "
                    + (
                        "it is paid."
                        if invoice.status == InvoiceStatus.PAID
                        else f"{left} still to pay."
                    ),
                )
                return redirect(change_url)
        provider = provider_for(invoice)
        return confirm_page(
            self,
            request,
            "admin/billing/invoice/record_payment.html",
            f"Record a payment on {invoice.number}",
            invoice=invoice,
            provider=provider,
            amount_due=invoice.money("amount_due"),
            outstanding=invoice_outstanding(invoice=invoice),
            payments=invoice.payments.order_by("received_on", "pk"),
            credit_rule=STAFF_RULE,
            form=form,
            hidden=[],
            cancel=change_url,
        )


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Payments are append-only: recorded from their invoice ("Record payment"), read here."""

    list_display = [
        "received_on",
        "organization",
        "invoice",
        "currency",
        "amount",
        "provider_label",
        "reference",
        "recorded_by",
    ]
    list_filter = ["provider", "currency"]
    list_select_related = ["organization", "invoice", "recorded_by"]
    search_fields = ["reference", "invoice__number", "organization__name", "reason"]
    date_hierarchy = "received_on"

    @admin.display(description="provider", ordering="provider")
    def provider_label(self, payment: Payment) -> str:
        return provider_named(payment.provider).label


@admin.register(CreditNote)
class CreditNoteAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["number", "organization", "invoice", "issued_on", "currency", "total"]
    list_select_related = ["organization", "invoice"]
    search_fields = ["number", "invoice__number", "organization__name", "reason"]
    date_hierarchy = "issued_on"


@admin.register(CreditEntry)
class CreditEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The credit ledger: append-only, so read-only here too."""

    list_display = ["created_at", "organization", "currency", "amount", "description"]
    list_filter = ["currency"]
    list_select_related = ["organization"]
    search_fields = ["organization__name", "description"]


def _rule_without_override(details: BillingDetails) -> str:
    """What the tax rule picks today for these details, the override aside: "0 %
    (Reverse charge)"."""
    decision = tax_decision(
        details=BillingDetails(country=details.country, tax_id=details.tax_id),
        on=clock.today(),
    )
    return f"{decision.rate.normalize():f} % ({decision.label})"


class TaxOverrideForm(forms.Form):
    rate = forms.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=100,
        required=False,
        help_text="Percent. Leave empty to go back to the rate the tax rule chooses.",
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        max_length=2000,
        help_text="Kept in the billing details' history: an exemption certificate, a "
        "ruling… say what, for whoever reads it next.",
    )


class TermsFilter(admin.SimpleListFilter):
    """The payment terms, in words (the model's label says "Net N days")."""

    title = "payment terms"
    parameter_name = "payment_terms"

    def lookups(self, request, model_admin):
        return [(PaymentTerms.DUE_ON_RECEIPT, "Due on receipt"), (PaymentTerms.NET, "Net days")]

    def queryset(self, request, queryset):
        return queryset.filter(payment_terms=self.value()) if self.value() else queryset


@admin.register(BillingDetails)
class BillingDetailsAdmin(HistoryAdmin):
    """The customer's details are read-only here (the customer keeps them in the portal);
    staff set the payment terms, and override the tax rate only with a reason."""

    list_display = [
        "organization",
        "legal_name",
        "country",
        "tax_id",
        "tax_rate_override",
        "terms",
    ]
    list_filter = [TermsFilter, "country"]
    list_select_related = ["organization"]
    search_fields = ["organization__name", "legal_name", "tax_id"]
    autocomplete_fields = ["organization"]
    customer_fields = [
        "legal_name",
        "address_line1",
        "address_line2",
        "city",
        "postal_code",
        "region",
        "country",
        "tax_id",
        "billing_email_lines",
        "po_number",
        "tax_rate_override",
        "tax_override_reason",
    ]
    fields = ["organization", "payment_terms", "net_days", *customer_fields]

    @admin.display(description="payment terms", ordering="net_days")
    def terms(self, details: BillingDetails) -> str:
        """The terms as the customer reads them: "Net 30 days" or "Due on receipt"."""
        if details.payment_terms == PaymentTerms.NET:
            return f"Net {details.net_days} days"
        return details.get_payment_terms_display()

    @admin.display(description="billing emails")
    def billing_email_lines(self, details: BillingDetails) -> str:
        """One address a line, not the stored JSON list (each escaped)."""
        return linebreaksbr("\n".join(details.billing_emails), autoescape=True) or "—"

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        field = super().formfield_for_choice_field(db_field, request, **kwargs)
        if db_field.name == "payment_terms":
            # The number of days is the field below; the model's label says "N".
            field.choices = [
                (value, "Net (days below)" if value == PaymentTerms.NET else label)
                for value, label in field.choices
            ]
        return field

    def get_readonly_fields(self, request, obj=None):
        return [*self.customer_fields, *(["organization"] if obj is not None else [])]

    def save_model(self, request, obj, form, change):
        """Only the payment terms are editable here; they go through the service, under
        the billing details' lock, never straight through the model form."""
        payment_terms_set(
            organization=obj.organization,
            actor=request.user,
            payment_terms=form.cleaned_data["payment_terms"],
            net_days=form.cleaned_data["net_days"],
        )

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        context["may_override_tax"] = obj is not None and self.has_change_permission(request, obj)
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    def get_urls(self):
        return [
            path(
                "<int:pk>/tax-override/",
                self.admin_site.admin_view(self.tax_override_view),
                name="billing_billingdetails_tax_override",
            ),
            *super().get_urls(),
        ]

    def tax_override_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        details = get_object_or_404(self.get_queryset(request), pk=pk)
        change_url = reverse("admin:billing_billingdetails_change", args=[pk])
        if not self.has_change_permission(request, details):
            # Read-only staff (account managers) get no form they could not save.
            raise PermissionDenied("Only admins override the tax rate.")
        form = TaxOverrideForm(
            request.POST if request.method == "POST" else None,
            initial={"rate": details.tax_rate_override},
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                if data["rate"] is None:
                    tax_override_clear(
                        organization=details.organization,
                        actor=request.user,
                        reason=data["reason"],
                    )
                else:
                    tax_override_set(
                        organization=details.organization,
                        actor=request.user,
                        rate=data["rate"],
                        reason=data["reason"],
                    )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, "The tax rate is saved, with its reason.")
                return redirect(change_url)
        return confirm_page(
            self,
            request,
            "admin/billing/billingdetails/tax_override.html",
            f"Override the tax rate of {details.organization}?",
            details=details,
            rule=_rule_without_override(details),
            form=form,
            hidden=[],
            cancel=change_url,
        )
