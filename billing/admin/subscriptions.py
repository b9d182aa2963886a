"""Subscriptions in the admin, read-only with their history: a price is locked and
auto-renewal switched by billing.subscriptions.services, which write the ledger, never by
editing fields here. Those two are operations behind a page with a mandatory reason, as
the license operations are (licensing.admin.licenses); a refusal comes back as a form
error. Account managers see their own customers' (portal.admin_scoping)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse

from billing.ledger.mrr import from_minor_units
from billing.models import AdminOperation, Subscription, SubscriptionEvent, SubscriptionPeriod
from billing.pricing import BillingCycle
from billing.subscriptions import services
from licensing.admin import licenses as license_operations
from licensing.admin.pages import ReadOnlyAdminMixin, confirm_page
from licensing.licenses.services import Actor, license_renew
from licensing.models import License
from portal import clock
from portal.admin_history import HistoryAdmin

OPERATE_TEMPLATE = "admin/billing/subscription/operate.html"


class ReasonForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        max_length=2000,
        help_text="Kept in the subscription's ledger: say why, for whoever reads it next.",
    )

    def __init__(self, *args, subscription: Subscription, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.subscription = subscription


class AutoRenewForm(ReasonForm):
    auto_renew = forms.TypedChoiceField(
        label="Auto-renew",
        choices=[
            ("on", "On: renew at the end of the term at the locked price"),
            ("off", "Off: the license ends with its term unless renewed by hand"),
        ],
        coerce=lambda value: value == "on",
        widget=forms.RadioSelect,
    )
    field_order = ["auto_renew", "reason"]

    def __init__(self, *args, subscription: Subscription, **kwargs) -> None:
        super().__init__(*args, subscription=subscription, **kwargs)
        # Offered the other way round from what it is now.
        self.fields["auto_renew"].initial = "off" if subscription.license.auto_renew else "on"


class LockPriceForm(ReasonForm):
    currency = forms.ChoiceField()
    cycle = forms.ChoiceField(label="Billing cycle", choices=BillingCycle.choices)
    field_order = ["currency", "cycle", "reason"]

    MID_TERM = (
        "Mid-term only in the subscription's own currency and cycle: this term was "
        "invoiced in them. Another currency or cycle starts with a term: the customer "
        "moves to annual billing in the checkout, or a change is scheduled for the term's "
        "end."
    )

    def __init__(self, *args, subscription: Subscription, **kwargs) -> None:
        super().__init__(*args, subscription=subscription, **kwargs)
        license = subscription.license
        if license.term_start <= clock.today() <= license.term_end:
            codes = [subscription.currency_id]
            cycles = [(subscription.cycle, BillingCycle(subscription.cycle).label)]
            self.fields["currency"].help_text = self.fields["cycle"].help_text = self.MID_TERM
        else:
            codes = sorted(
                set(license.version.price_rows.values_list("currency_id", flat=True))
                | {subscription.currency_id}
            )
            cycles = BillingCycle.choices
        self.fields["currency"].choices = [(code, code) for code in codes]
        self.fields["cycle"].choices = cycles
        self.fields["currency"].initial = subscription.currency_id
        self.fields["cycle"].initial = subscription.cycle


@dataclass(frozen=True)
class Operation:
    slug: str
    title: str
    confirm: str
    explanation: str
    form: type[ReasonForm]
    perform: Callable[[Subscription, Actor, forms.Form], Subscription]


OPERATIONS = {
    op.slug: op
    for op in [
        Operation(
            "auto-renew",
            "Set auto-renew on/off",
            "Set auto-renew",
            "Whether the license renews at the end of its term. The license's ledger "
            "records the change too.",
            AutoRenewForm,
            lambda subscription, actor, form: services.subscription_set_auto_renew(
                subscription=subscription,
                auto_renew=form.cleaned_data["auto_renew"],
                actor=actor,
                reason=form.cleaned_data["reason"],
            ),
        ),
        Operation(
            "lock-price",
            "Lock today's catalog price",
            "Lock this price",
            "Replaces the locked price by today's catalog price of the license's tier "
            "version, in the currency and cycle chosen. Invoices already issued keep "
            "theirs; the next one uses the new price.",
            LockPriceForm,
            lambda subscription, actor, form: services.subscription_lock_price(
                subscription=subscription,
                currency=form.cleaned_data["currency"],
                cycle=form.cleaned_data["cycle"],
                actor=actor,
                reason=form.cleaned_data["reason"],
            ),
        ),
    ]
}


class SubscriptionPeriodInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = SubscriptionPeriod
    fields = [
        "index",
        "starts_on",
        "ends_on",
        "reason",
        "seats",
        "unit_amount",
        "list_amount",
        "discount_amount",
        "net_amount",
        "invoice",
        "replaced",
        "note",
    ]
    readonly_fields = fields
    extra = 0
    verbose_name_plural = "billing periods (staff extend the term from the license's page)"


def _minor(event: SubscriptionEvent, minor: int) -> str:
    if event.currency_id is None:
        return "none (no subscription)"  # a trial license's trial
    return from_minor_units(minor, event.currency_id).format()


def _cause(event: SubscriptionEvent) -> str:
    if event.checkout_id:
        return f"Checkout {event.checkout_id}"
    if event.scheduled_change_id:
        return f"Scheduled change {event.scheduled_change_id}"
    if event.trial_id:
        return f"Trial {event.trial_id}"
    return f"Operation {event.operation_id}: {event.operation.action}"


class LedgerDisplay:
    """The MRR columns in money and the cause in words, for the inline and the list."""

    @admin.display(description="MRR before")
    def mrr_before_text(self, event: SubscriptionEvent) -> str:
        return _minor(event, event.mrr_before)

    @admin.display(description="MRR after")
    def mrr_after_text(self, event: SubscriptionEvent) -> str:
        return _minor(event, event.mrr_after)

    @admin.display(description="cause")
    def cause_text(self, event: SubscriptionEvent) -> str:
        return _cause(event)


class SubscriptionEventInline(LedgerDisplay, ReadOnlyAdminMixin, admin.TabularInline):
    """The commercial ledger, append-only: read-only here."""

    model = SubscriptionEvent
    fields = [
        "effective_at",
        "kind",
        "mrr_before_text",
        "mrr_after_text",
        "version",
        "seats",
        "cause_text",
        "actor_label",
        "reason",
    ]
    readonly_fields = fields
    extra = 0
    ordering = ["-effective_at", "-pk"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("version__tier", "operation")


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
        "billing",
        "billing_anchor",
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
    inlines = [SubscriptionPeriodInline, SubscriptionEventInline]
    change_form_template = "admin/billing/subscription/change_form.html"

    @admin.display(description="price")
    def price_text(self, obj: Subscription) -> str:
        return obj.seat_price.describe()

    @admin.display(description="seats bought")
    def seats(self, obj: Subscription) -> int:
        return obj.license.seats

    @admin.display(description="auto-renew", boolean=True)
    def auto_renew(self, obj: Subscription) -> bool:
        return obj.license.auto_renew

    def has_operate_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("billing.change_subscription")

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        may_operate = obj is not None and self.has_operate_permission(request, obj)
        context["operations"] = list(OPERATIONS.values()) if may_operate else []
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    def get_urls(self):
        return [
            path(
                "<int:pk>/operate/<slug:operation>/",
                self.admin_site.admin_view(self.operate_view),
                name="billing_subscription_operate",
            ),
            *super().get_urls(),
        ]

    def operate_view(self, request: HttpRequest, pk: int, operation: str) -> HttpResponse:
        subscription = get_object_or_404(
            self.get_queryset(request).select_related(
                "license__organization", "license__version__tier"
            ),
            pk=pk,
        )
        change_url = reverse("admin:billing_subscription_change", args=[pk])
        op = OPERATIONS.get(operation)
        if op is None or not self.has_operate_permission(request, subscription):
            messages.error(request, "That is not an operation you can perform on subscriptions.")
            return redirect(change_url)
        form = op.form(
            request.POST if request.method == "POST" else None, subscription=subscription
        )
        if request.method == "POST" and form.is_valid():
            try:
                op.perform(subscription, Actor.of(request.user, "admin"), form)
            except ValidationError as error:
                # The service refused inside its transaction: nothing was written.
                for text in error.messages:
                    form.add_error(None, text)
            else:
                messages.success(
                    request, f"{op.title}: done on {subscription.license}. The ledger has it."
                )
                return redirect(change_url)
        return confirm_page(
            self,
            request,
            OPERATE_TEMPLATE,
            f"{op.title}?",
            operation=op,
            subscription=subscription,
            catalog_prices=subscription.license.version.price_rows.order_by("currency", "cycle"),
            form=form,
            hidden=[],
            cancel=change_url,
        )


@admin.register(SubscriptionEvent)
class SubscriptionEventAdmin(LedgerDisplay, ReadOnlyAdminMixin, admin.ModelAdmin):
    """The ledger: append-only, so read-only here too."""

    list_display = [
        "effective_at",
        "license",
        "subscription",
        "kind",
        "mrr_before_text",
        "mrr_after_text",
        "cause_text",
        "actor_label",
        "reason",
    ]
    list_filter = ["kind", "currency"]
    list_select_related = [
        "license__organization",
        "subscription__license__organization",
        "operation",
    ]
    search_fields = ["license__organization__name", "reason"]
    date_hierarchy = "effective_at"


@admin.register(AdminOperation)
class AdminOperationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Who changed a subscription outside a customer's flow, and why: read-only, for
    admins (an operation belongs to no one customer; account managers read their
    customers' through the ledger)."""

    admins_only = True

    list_display = ["performed_at", "action", "actor_label", "reason"]
    list_filter = ["action"]
    # No search_fields: they would offer the operations to autocomplete, which account
    # managers may use and this list is not theirs to read.
    date_hierarchy = "performed_at"


def _extend(license: License, actor: Actor, form: forms.Form):
    """A subscribed license's extension is a free period with the reason as its note;
    a license billed under a contract (no subscription) only moves its last day."""
    subscription = Subscription.objects.filter(license=license).first()
    if subscription is None:
        return license_renew(
            license=license,
            term_end=form.cleaned_data["term_end"],
            actor=actor,
            reason=form.cleaned_data["reason"],
        )
    return services.subscription_extend(
        subscription=subscription,
        term_end=form.cleaned_data["term_end"],
        actor=actor,
        reason=form.cleaned_data["reason"],
    )


# The license page's "Extend term" belongs to billing once a subscription pays for the
# license (licensing may not import billing): registered over licensing's own.
license_operations.OPERATIONS["renew"] = replace(
    license_operations.OPERATIONS["renew"],
    explanation="Move the last day of the term later, free of charge: the days added are "
    "a billing period of their own at no cost, with your reason on it, so the price paid "
    "stays spread over the days it paid for.",
    perform=_extend,
)
