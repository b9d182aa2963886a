"""The checkout as its page reads it: in one query with its license, version, tier and
subscription, and with what a preview reads of the organization's billing besides —
its credit in the subscription's currency, a pending scheduled change and
the last day the term was paid for (before a free extension) —
as annotations that checkout_preview uses instead of asking again. Every typed change
is a preview, and on a busy machine each round trip to the database costs more than the
work it does."""

from functools import cache

from django.db.models import DecimalField, OuterRef, QuerySet, Subquery, Sum

from billing.models import (
    BillingDetails,
    Checkout,
    CreditEntry,
    PeriodReason,
    ScheduledChange,
    ScheduledChangeStatus,
    SubscriptionPeriod,
)

MONEY = DecimalField(max_digits=12, decimal_places=2)


def checkouts_for_preview() -> QuerySet[Checkout]:
    # A fresh copy of one queryset built once per process: building the three subqueries
    # took longer than running the query. Never evaluated itself, so it holds no rows.
    return _checkouts_for_preview().all()


@cache
def _checkouts_for_preview() -> QuerySet[Checkout]:
    details = BillingDetails.objects.filter(organization=OuterRef("organization"))
    credit = (
        CreditEntry.objects.filter(
            organization=OuterRef("organization"),
            currency=OuterRef("license__subscription__currency"),
        )
        .order_by()
        .values("organization")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    # The one pending_change() finds: the first by its ordering.
    pending = ScheduledChange.objects.filter(
        license=OuterRef("license"), status=ScheduledChangeStatus.SCHEDULED
    ).order_by("effective_on", "pk")
    paid = (
        SubscriptionPeriod.objects.filter(
            subscription__license=OuterRef("license"),
            ends_on__lte=OuterRef("license__term_end"),
        )
        .exclude(reason=PeriodReason.EXTENSION)
        .order_by("-ends_on")
    )
    return Checkout.objects.select_related(
        "organization", "license__version__tier", "license__subscription"
    ).annotate(
        preview_payment_terms=Subquery(details.values("payment_terms")[:1]),
        preview_net_days=Subquery(details.values("net_days")[:1]),
        preview_credit=Subquery(credit, output_field=MONEY),
        preview_pending_id=Subquery(pending.values("pk")[:1]),
        preview_paid_through=Subquery(paid.values("ends_on")[:1]),
    )
