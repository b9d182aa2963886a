"""Invoices, credit notes, the credit ledger and billing details in the admin.

Invoices and credit notes are made by billing.invoices.services, never typed in here:
they are read-only (a finalized one could not be changed anyway), with their history.
Billing details are edited here; each change is kept in their history, and invoices
already issued keep the rate and terms they were issued with."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse

from billing.invoices import services
from billing.invoices.selectors import invoice_remaining
from billing.models import (
    BillingDetails,
    CreditEntry,
    CreditNote,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
)
from licensing.admin.pages import ReadOnlyAdminMixin, confirm_page
from portal.admin_history import HistoryAdmin


class VoidForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        max_length=2000,
        help_text="Printed on the credit note and kept: say why, for whoever reads it next.",
    )


class InvoiceLineInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = InvoiceLine
    extra = 0
    fields = ["description", "period_start", "period_end", "quantity", "unit_price", "amount"]
    readonly_fields = fields


class CreditNoteInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = CreditNote
    extra = 0
    fields = ["number", "issued_on", "total", "reason", "issued_by"]
    readonly_fields = fields
    show_change_link = True


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
        "amount_due",
    ]
    list_filter = ["status", "currency"]
    list_select_related = ["organization"]
    search_fields = ["number", "organization__name"]
    date_hierarchy = "issued_on"
    inlines = [InvoiceLineInline, CreditNoteInline]
    readonly_fields = [
        "organization",
        "license",
        "status",
        "number",
        "currency",
        "issued_on",
        "due_on",
        "payment_terms",
        "net_days",
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

    def has_void_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("billing.change_invoice") and (
            obj is None or obj.status in (InvoiceStatus.OPEN, InvoiceStatus.PAID)
        )

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        context["may_void"] = obj is not None and self.has_void_permission(request, obj)
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    def get_urls(self):
        return [
            path(
                "<int:pk>/void/",
                self.admin_site.admin_view(self.void_view),
                name="billing_invoice_void",
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
            form=form,
            hidden=[],
            cancel=change_url,
        )


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


@admin.register(BillingDetails)
class BillingDetailsAdmin(HistoryAdmin):
    list_display = ["organization", "tax_rate", "tax_id", "payment_terms", "net_days"]
    list_filter = ["payment_terms"]
    list_select_related = ["organization"]
    search_fields = ["organization__name", "tax_id"]
    autocomplete_fields = ["organization"]
