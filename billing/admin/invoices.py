"""Invoices, credit notes, the credit ledger and billing details in the admin.

Invoices and credit notes are made by billing.invoices.services, never typed in here:
they are read-only (a finalized one could not be changed anyway), with their history.
Billing details are edited here; each change is kept in their history, and invoices
already issued keep the rate and terms they were issued with."""

from django.contrib import admin

from billing.models import BillingDetails, CreditEntry, CreditNote, Invoice, InvoiceLine
from licensing.admin.pages import ReadOnlyAdminMixin
from portal.admin_history import HistoryAdmin


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
