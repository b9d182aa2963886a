"""What the next renewal of a subscription bills: the one answer the renewal's invoice,
its reminders and the dashboard's renewal panel all read (billing.renewals)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from operator import attrgetter

from django.db.models import Max

from billing.checkout.quote import Line, Plan, invoiced_now, term_lines
from billing.discounts import Discount, negotiated
from billing.invoices import totals
from billing.invoices.kinds import LineKind
from billing.models import (
    Billing,
    BillingDetails,
    ScheduledChange,
    ScheduledChangeStatus,
    Subscription,
)
from billing.money import Money
from billing.pricing import SeatPrice
from billing.renewals import terms
from billing.subscriptions.periods import ONE_DAY, index_of, period
from billing.subscriptions.selectors import discounts_from
from billing.tax.rules import Decision
from billing.tax.selectors import decision_key, tax_decision, tax_decision_for
from licensing.models import TierVersion, TierVersionPrice
from licensing.models.catalog import VersionStatus

SEATS = "seats"

# The order the term-end job issues one day's invoices in (tasks.due_ids), so the order
# the credit balance pays them in as each is issued: every renewal, then every cycle
# begun inside a term, each by the license's term end, then the subscription.
ISSUE_ORDER = ("license__term_end", "pk")


def issue_order(subscription: Subscription) -> tuple:
    """`subscription`'s place in ISSUE_ORDER, read from the instance as the job's
    order_by reads it from the row (a value not there yet, a subscription that confirming
    a checkout would create, last, as PostgreSQL sorts NULL in ascending order)."""
    values = (attrgetter(field.replace("__", "."))(subscription) for field in ISSUE_ORDER)
    return tuple((value is None, value) for value in values)


@dataclass(frozen=True)
class NextRenewal:
    """The next term as it will be billed on `renews_on`, at the tax in force that day
    (as far as anyone can know it today), before any credit the organization holds."""

    renews_on: date
    auto_renew: bool
    source: terms.Source
    version: TierVersion  # the version the next term runs on
    price_row: TierVersionPrice | None  # its catalog price (None: the locked price)
    change: ScheduledChange | None  # the change scheduled for that day, applied first
    plan: Plan
    # What the renewal's invoice bills: the whole term, or its first cycle for a term
    # invoiced per cycle; subtotal, tax and total are theirs.
    lines: list[Line]
    subtotal: Money
    tax: Money
    total: Money
    # The tax rule in force that day (its rate and treatment, for the tax line's label).
    tax_decision: Decision
    current_subtotal: Money  # the same for the current plan at its locked price
    locked_until: date | None
    anchor: date  # the billing anchor its periods are counted from (moved: a new one)
    term_end: date  # the next term's last day

    @property
    def reanchors(self) -> bool:
        """Whether the next term starts a new billing anchor (a change of cycle, or a
        term that staff extended to a day off the anchor's boundaries)."""
        return self.anchor == self.renews_on

    @property
    def rises(self) -> bool:
        """Whether the next term costs more before tax than the current one (a change
        the customer scheduled is their choice, not a price rise)."""
        return self.source != terms.Source.SCHEDULED and self.subtotal > self.current_subtotal

    @property
    def moves_to_successor(self) -> bool:
        return self.source == terms.Source.SUCCESSOR


def _seat_limit(version: TierVersion) -> int | None:
    for row in version.limit_rows.all():
        if row.metric.key == SEATS:
            return row.value
    return None


def seat_price_of(row: TierVersionPrice, currency: str) -> SeatPrice:
    """A catalog price row as the price a subscription would lock."""
    return SeatPrice(
        amount=Money(row.amount, currency),
        cycle=row.cycle,
        per_seat=row.per_seat,
        min_seats=row.min_seats,
    )


def _plan(
    version: TierVersion,
    price: SeatPrice,
    *,
    seats: int,
    auto_renew: bool,
    cycles: int,
    billing: str = "upfront",
    discounts: tuple[Discount, ...] = (),
):
    return Plan(
        tier=version.tier.slug,
        tier_name=version.tier.name,
        rank=version.tier.order,
        price=price,
        seats=seats,
        cycle=price.cycle,
        auto_renew=auto_renew,
        term_cycles=cycles,
        max_seats=_seat_limit(version),
        billing=billing,
        discounts=discounts,
    )


def _versions():
    return TierVersion.objects.select_related("tier__product").prefetch_related(
        "limit_rows__metric"
    )


class Cache:
    """What the renewals of many subscriptions share, read once for a batch (the
    reminders' job): tier versions with their limits, and
    successor prices. Reading through it changes no answer."""

    def __init__(self) -> None:
        self.versions: dict[int, TierVersion] = {}
        self.prices: dict[tuple[int, str, str], TierVersionPrice | None] = {}
        # Filled by preload(): a batch's scheduled changes and billing details, each read
        # in one query; a license or organization not preloaded is read on its own.
        self.changes: dict[int, list[ScheduledChange]] = {}
        self.details: dict[int, BillingDetails | None] = {}
        self.decisions: dict[tuple, Decision] = {}

    def preload(self, licenses) -> None:
        """Reads the scheduled changes of `licenses` and their organizations' billing
        details in two queries, so next_renewal reads neither per license."""
        ids = [license.pk for license in licenses]
        found: dict[int, list[ScheduledChange]] = {pk: [] for pk in ids}
        for change in ScheduledChange.objects.filter(
            license_id__in=ids, status=ScheduledChangeStatus.SCHEDULED
        ).select_related("price"):
            found[change.license_id].append(change)
        self.changes.update(found)
        organizations = {license.organization_id for license in licenses}
        details = {
            d.organization_id: d
            for d in BillingDetails.objects.filter(organization_id__in=organizations)
        }
        self.details.update({pk: details.get(pk) for pk in organizations})

    def scheduled_for(self, subscription: Subscription, day: date) -> ScheduledChange | None:
        if subscription.license_id not in self.changes:
            return scheduled_for(subscription, day)
        due = [c for c in self.changes[subscription.license_id] if c.effective_on <= day]
        return due[0] if due else None  # in the model's order, as scheduled_for's first()

    def tax_decision(self, organization_id: int, on: date) -> Decision:
        if organization_id not in self.details:
            return tax_decision_for(organization_id=organization_id, on=on)
        details = self.details[organization_id]
        key = decision_key(details, on)
        if key not in self.decisions:
            self.decisions[key] = tax_decision(details=details, on=on)
        return self.decisions[key]

    def version(self, pk: int) -> TierVersion:
        if pk not in self.versions:
            self.versions[pk] = _versions().get(pk=pk)
        return self.versions[pk]

    def price(self, version_pk: int, currency: str, cycle: str) -> TierVersionPrice | None:
        key = (version_pk, currency, cycle)
        if key not in self.prices:
            self.prices[key] = TierVersionPrice.objects.filter(
                version_id=version_pk, currency_id=currency, cycle=cycle
            ).first()
        return self.prices[key]


def scheduled_for(subscription: Subscription, day: date) -> ScheduledChange | None:
    """The change scheduled to take effect by `day` (at most one is scheduled)."""
    return (
        ScheduledChange.objects.filter(
            license_id=subscription.license_id,
            status=ScheduledChangeStatus.SCHEDULED,
            effective_on__lte=day,
        )
        .select_related("price")
        .first()
    )


def version_price(version: TierVersion, *, currency: str, cycle: str) -> SeatPrice | None:
    """`version`'s published price in that currency and cycle, None if it has none."""
    row = version.price_rows.filter(currency_id=currency, cycle=cycle).first()
    return None if row is None else seat_price_of(row, currency)


def lock_holds_until(subscription: Subscription, version: TierVersion) -> date | None:
    """The day the locked price holds to: the day stored when it was locked, or the
    version's notice date when the version was retired since with a later one (its
    promise to every customer on it)."""
    stored = subscription.price_locked_until
    if stored is None or version.notice_date is None:
        return stored
    return terms.locked_until(term_end=stored, notice_date=version.notice_date)


def anchor_for(subscription: Subscription, *, renews_on: date, cycle: str) -> date:
    """The anchor the next term's periods count from: the subscription's, so a term
    started on 31 January renews on 28 February, 31 March and 30 April; the renewal day
    itself when the cycle changes or the day is not one of the anchor's boundaries."""
    anchor = subscription.billing_anchor
    if cycle != subscription.cycle or renews_on < anchor:
        return renews_on
    index = index_of(anchor, renews_on, cycle=cycle)
    if period(anchor, index, cycle=cycle).starts_on != renews_on:
        return renews_on
    return anchor


def anchored_lines(plan: Plan, *, renews_on: date, anchor: date) -> list[Line]:
    """The checkout's term lines (quote.term_lines) with each period's dates counted
    from `anchor`, never from the previous period's end."""
    first = index_of(anchor, renews_on, cycle=plan.cycle)
    cycle = first - 1
    lines = []
    for line in term_lines(plan, renews_on):
        if line.kind != LineKind.DISCOUNT:  # a cycle's discount lines follow its charge
            cycle += 1
        span = period(anchor, cycle, cycle=plan.cycle)
        lines.append(replace(line, period_start=span.starts_on, period_end=span.ends_on))
    return lines


def next_renewal(subscription: Subscription, *, cache: Cache | None = None) -> NextRenewal:
    """What the renewal starting the day after the license's current term will bill.
    `cache`: shared by a batch of subscriptions, so their catalog rows are read once."""
    cache = cache or Cache()
    license = subscription.license
    renews_on = license.renews_on
    currency = subscription.currency_id
    version = cache.version(license.version_id)
    change = cache.scheduled_for(subscription, renews_on)
    successor_pk = version.successor_id
    successor_row = None
    if successor_pk is not None:
        successor_row = cache.price(successor_pk, currency, subscription.cycle)
    locked_until = lock_holds_until(subscription, version)
    source = terms.source(
        renews_on=renews_on,
        locked_until=locked_until,
        version=terms.Version(
            version.pk, version.status == VersionStatus.RETIRED, version.successor_id
        ),
        scheduled=change is not None,
        successor_priced=successor_row is not None,
    )
    current = _plan(
        version,
        subscription.seat_price,
        seats=license.seats,
        auto_renew=license.auto_renew,
        cycles=subscription.term_cycles,
    )
    price_row = None
    if source == terms.Source.SCHEDULED:
        version, price_row = cache.version(change.version_id), change.price
        from_proposal = change.proposal_option_id is not None
        same_cycle = change.cycle == subscription.cycle
        plan = _plan(
            version,
            seat_price_of(price_row, currency),
            seats=change.seats,
            auto_renew=change.auto_renew,
            # A proposal's renewal: its term, billing and discount (a term of its own);
            # the customer's change of cycle: a term of one cycle, up front
            # (subscriptions.services.subscription_one_cycle_terms, applied with it).
            cycles=change.term_cycles
            if from_proposal
            else (subscription.term_cycles if same_cycle else 1),
            billing=change.billing
            if from_proposal
            else (subscription.billing if same_cycle else Billing.UPFRONT),
            # A change the customer scheduled inside an agreed term keeps the agreed
            # discount (discounts_from) in its cycle; a new cycle is a new term.
            discounts=negotiated(change.discount_percent, change.discount_reason)
            if from_proposal
            else (discounts_from(subscription, renews_on) if same_cycle else ()),
        )
    elif source == terms.Source.SUCCESSOR:
        version, price_row = cache.version(successor_pk), successor_row
        plan = _plan(
            version,
            seat_price_of(price_row, currency),
            seats=license.seats,
            auto_renew=license.auto_renew,
            cycles=subscription.term_cycles,
            billing=subscription.billing,
        )
    else:
        plan = replace(
            current,
            billing=subscription.billing,
            discounts=discounts_from(subscription, renews_on),
        )
    anchor = anchor_for(subscription, renews_on=renews_on, cycle=plan.cycle)
    term = anchored_lines(plan, renews_on=renews_on, anchor=anchor)
    # What the renewal invoices: the whole term, or its first cycle when the term is
    # invoiced per cycle (the later cycles are billed as they start).
    lines = invoiced_now(plan, term)
    decision = cache.tax_decision(license.organization_id, renews_on)
    result = totals.invoice_totals(
        line_amounts=[line.amount for line in lines],
        tax_rate=decision.rate,
        credit_balance=Money.zero(currency),
        currency=currency,
    )
    current_subtotal = Money.total(
        [
            line.amount
            for line in invoiced_now(
                replace(current, billing=plan.billing), term_lines(current, renews_on)
            )
        ],
        currency,
    )
    return NextRenewal(
        renews_on=renews_on,
        auto_renew=plan.auto_renew,
        source=source,
        version=version,
        price_row=price_row,
        change=change,
        plan=plan,
        lines=lines,
        subtotal=result.subtotal,
        tax=result.tax,
        total=result.total,
        tax_decision=decision,
        current_subtotal=current_subtotal,
        locked_until=locked_until,
        anchor=anchor,
        term_end=term[-1].period_end,
    )


def next_cycle_lines(subscription: Subscription, *, starts_on: date) -> list[Line]:
    """A term billed per cycle (Subscription.billing): the line of the cycle inside the
    term starting on `starts_on`, at the locked price and the seats in force, its dates
    counted from the billing anchor (the checkout's term line for one cycle), less the
    negotiated discount while the cycle starts on or before `discount_ends_on`."""
    license = subscription.license
    version = _versions().get(pk=license.version_id)
    plan = _plan(
        version,
        subscription.seat_price,
        seats=license.seats,
        auto_renew=license.auto_renew,
        cycles=1,
        discounts=discounts_from(subscription, starts_on),
    )
    return anchored_lines(plan, renews_on=starts_on, anchor=subscription.billing_anchor)


@dataclass(frozen=True)
class NextCycle:
    """A term invoiced per cycle: the invoice of its next cycle, issued by the term-end
    job on the cycle's first day (`starts_on`) with next_cycle_lines' lines, at the tax
    in force that day as far as anyone can know it today."""

    starts_on: date
    lines: list[Line]
    subtotal: Money
    tax: Money
    total: Money


def next_cycle(subscription: Subscription, *, cache: Cache | None = None) -> NextCycle | None:
    """The next cycle's invoice of a term invoiced per cycle whose later cycles are not
    billed yet (billing.renewals.services.subscription_bill_next_cycle bills it from the
    day after the last period); None for a term invoiced up front or billed to its end."""
    license = subscription.license
    if subscription.billing != Billing.PER_CYCLE:
        return None
    billed_to = subscription.periods.filter(replaced=False).aggregate(last=Max("ends_on"))["last"]
    if billed_to is None or billed_to >= license.term_end:
        return None
    return _cycle_invoice(subscription, starts_on=billed_to + ONE_DAY, cache=cache or Cache())


def cycles_after(
    subscription: Subscription, cycle: NextCycle, *, cache: Cache | None = None
) -> list[NextCycle]:
    """A term invoiced per cycle: the invoices of the cycles after `cycle` (next_cycle's)
    up to the term's end, each as subscription_bill_next_cycle will issue it, from the day
    after the one before ends (a period ends at the term's end at the latest)."""
    cache = cache or Cache()
    term_end = subscription.license.term_end
    found = []
    while (starts_on := _cycle_end(cycle, term_end) + ONE_DAY) <= term_end:
        cycle = _cycle_invoice(subscription, starts_on=starts_on, cache=cache)
        found.append(cycle)
    return found


def _cycle_end(cycle: NextCycle, term_end: date) -> date:
    return min(max(line.period_end for line in cycle.lines), term_end)


def _cycle_invoice(subscription: Subscription, *, starts_on: date, cache: Cache) -> NextCycle:
    lines = next_cycle_lines(subscription, starts_on=starts_on)
    currency = subscription.currency_id
    decision = cache.tax_decision(subscription.license.organization_id, starts_on)
    result = totals.invoice_totals(
        line_amounts=[line.amount for line in lines],
        tax_rate=decision.rate,
        credit_balance=Money.zero(currency),
        currency=currency,
    )
    return NextCycle(
        starts_on=starts_on,
        lines=lines,
        subtotal=result.subtotal,
        tax=result.tax,
        total=result.total,
    )
