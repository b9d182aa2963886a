"""Reads of subscriptions that more than one caller uses."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from billing.discounts import Discount, negotiated
from billing.invoices.kinds import LineKind
from billing.models import (
    InvoiceLine,
    InvoiceStatus,
    Subscription,
    SubscriptionEvent,
    SubscriptionEventKind,
    SubscriptionPeriod,
)
from billing.subscriptions.periods import Span, tiling_problems
from licensing.models import License

# The AdminOperation action of billing.subscriptions.cancellation's services.
CANCEL_ACTION = "subscription_cancel"


def canceled_by_customer(license: License) -> bool:
    """Whether renewal is off because the subscription was canceled (the customer, or
    staff on their behalf, through the cancel service), read from the ledger: the event
    that last turned auto-renew off was caused by a `subscription_cancel` operation, or
    by the customer's own checkout. Otherwise renewal is off because staff arranged a
    renewal by hand (the subscription admin, the license admin): that is no cancellation,
    and Resume must not override it. False while renewal is on."""
    if license.auto_renew:
        return False
    last_off = (
        SubscriptionEvent.objects.filter(
            subscription__license=license, kind=SubscriptionEventKind.AUTO_RENEW_OFF
        )
        .select_related("operation")
        .order_by("-effective_at", "-pk")
        .first()
    )
    if last_off is None:
        return False
    if last_off.checkout_id is not None:
        return True
    return last_off.operation is not None and last_off.operation.action == CANCEL_ACTION


def period_problems() -> list[str]:
    """A sentence per problem with the billing periods, naming the subscription: periods
    that do not tile the license's term (a gap, an overlap, a term longer or shorter than
    its periods), and recurring invoice lines whose span is not a period's (the rules are
    billing.subscriptions.periods'). Voided invoices bill nothing and are left out."""
    subscriptions = Subscription.objects.select_related("license__organization").order_by("pk")
    periods = defaultdict(list)
    for period in SubscriptionPeriod.objects.order_by("starts_on"):
        periods[period.subscription_id].append(period)
    credits = {
        (line.period_id, line.period_end)
        for line in InvoiceLine.objects.filter(kind=LineKind.PRORATION_CREDIT).exclude(
            invoice__status=InvoiceStatus.VOID
        )
    }
    problems = []
    for subscription in subscriptions:
        license = subscription.license
        name = f"Subscription {subscription.pk} ({license.organization.name})"
        own = periods[subscription.pk]
        term = Span(license.term_start, license.term_end)
        spans = [Span(period.starts_on, period.ends_on) for period in own]
        problems += [f"{name}: {problem}." for problem in tiling_problems(term, spans)]
        ends = {period.ends_on for period in own}
        lines = (
            InvoiceLine.objects.filter(invoice__license=license, kind=LineKind.RECURRING)
            .exclude(invoice__status__in=[InvoiceStatus.VOID, InvoiceStatus.DRAFT])
            .select_related("invoice", "period")
            .order_by("period_start", "pk")
        )
        for line in lines:
            billed = f"{line.invoice} bills {line.period_start} to {line.period_end}"
            period = line.period
            if period is None or period.subscription_id != subscription.pk:
                problems.append(f"{name}: {billed}, which is no billing period of it.")
            elif period.starts_on != line.period_start:
                problems.append(f"{name}: {billed}, but its period starts on {period.starts_on}.")
            elif line.period_end not in ends and (period.pk, line.period_end) not in credits:
                problems.append(
                    f"{name}: {billed}, but no period ends on {line.period_end} and no credit "
                    "gives its last days back."
                )
    return problems


def discounts_from(subscription: Subscription, starts_on: date) -> tuple[Discount, ...]:
    """The subscription's negotiated discount (an accepted proposal's) off a period that
    starts on `starts_on`: inside the term it was agreed for, none after it."""
    ends_on = subscription.discount_ends_on
    if not subscription.discount_percent or ends_on is None or starts_on > ends_on:
        return ()
    return negotiated(subscription.discount_percent, subscription.discount_reason)
