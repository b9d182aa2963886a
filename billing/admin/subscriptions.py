"""Subscriptions in the admin, read-only with their history: a price is locked and
auto-renewal switched by billing.subscriptions.services, which write the ledger, never by
editing fields here. Account managers see their own customers' (portal.admin_scoping)."""

from __future__ import annotations

from django.contrib import admin

from billing.models import Subscription, SubscriptionEvent
from licensing.admin.pages import ReadOnlyAdminMixin
from portal.admin_history import HistoryAdmin


class SubscriptionEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = SubscriptionEvent
    fields = ["happened_at", "kind", "actor_label", "reason", "before", "after"]
    readonly_fields = fields
    extra = 0
    ordering = ["-happened_at", "-pk"]


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdminMixin, HistoryAdmin):
    list_display = [
        "license",
        "price_text",
        "seats",
        "cycle",
        "currency",
        "price_locked_on",
        "auto_renew",
    ]
    list_filter = ["cycle", "currency", "per_seat"]
    list_select_related = ["license__organization", "license__version__tier"]
    search_fields = ["license__organization__name", "license__organization__slug"]
    fields = [
        "license",
        "currency",
        "cycle",
        "term_cycles",
        "unit_amount",
        "per_seat",
        "min_seats",
        "price_text",
        "price_locked_on",
        "price_source",
        "seats",
        "auto_renew",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields
    inlines = [SubscriptionEventInline]

    @admin.display(description="price")
    def price_text(self, obj: Subscription) -> str:
        return obj.seat_price.describe()

    @admin.display(description="seats bought")
    def seats(self, obj: Subscription) -> int:
        return obj.license.seats

    @admin.display(description="auto-renew", boolean=True)
    def auto_renew(self, obj: Subscription) -> bool:
        return obj.license.auto_renew


@admin.register(SubscriptionEvent)
class SubscriptionEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The ledger: append-only, so read-only here too."""

    list_display = ["happened_at", "subscription", "kind", "actor_label", "reason"]
    list_filter = ["kind"]
    list_select_related = ["subscription__license__organization"]
    search_fields = ["subscription__license__organization__name", "reason"]
    date_hierarchy = "happened_at"
