"""Reads of subscriptions that more than one caller uses."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from billing.discounts import Discount, negotiated
from billing.invoices.kinds import LineKind
from billing.models import (
    Billing,
    InvoiceLine,
    InvoiceStatus,
    Subscription,
    SubscriptionEvent,
    SubscriptionEventKind,
    SubscriptionPeriod,
)
from billing.subscriptions.periods import ONE_DAY, Span, index_of, tiling_problems
from billing.subscriptions.periods import period as cycle_period
from licensing.models import License
from portal import clock

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


def _billed_so_far(subscription: Subscription, term: Span, spans: list[Span], today: date):
    """A term invoiced per cycle is billed as each cycle begins (the term-end job, on the
    cycle's first day): its periods tile the term up to the end of the cycle billed last,
    which is the cycle under way yesterday or today. Returns the span they must tile, and
    a problem when a cycle begun before today is not billed (None: none)."""
    anchor, cycle = subscription.billing_anchor, subscription.cycle
    last = max(span.ends_on for span in spans)

    def cycle_end(day: date) -> date:
        day = max(day, anchor, term.starts_on)
        span = cycle_period(anchor, index_of(anchor, day, cycle=cycle), cycle=cycle)
        return min(span.ends_on, term.ends_on)

    due = cycle_end(today - ONE_DAY)
    if last < due:
        unbilled = (
            f"the term is invoiced a cycle at a time and the cycle ending {due} has begun, "
            f"but the last period ends on {last}"
        )
        return Span(term.starts_on, last), unbilled
    if last in (due, cycle_end(today)):
        return Span(term.starts_on, last), None
    return term, None  # beyond the cycle under way, or off its boundaries: as any term


def period_problems() -> list[str]:
    """A sentence per problem with the billing periods, naming the subscription: periods
    that do not tile the license's term (a gap, an overlap, a term longer or shorter than
    its periods; a term invoiced per cycle up to the cycle under way, billed as each
    begins), and recurring invoice lines whose span is not a period's (the rules are
    billing.subscriptions.periods'). Voided invoices bill nothing and are left out."""
    today = clock.today()
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
        # A replaced period (credited in full on its first day) is on record, not tiled.
        spans = [Span(period.starts_on, period.ends_on) for period in own if not period.replaced]
        if subscription.billing == Billing.PER_CYCLE and spans:
            term, unbilled = _billed_so_far(subscription, term, spans, today)
            if unbilled:
                problems.append(f"{name}: {unbilled}.")
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
