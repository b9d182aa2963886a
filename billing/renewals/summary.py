"""The next renewal as a customer reads it, in the reminder email and on the dashboard's
renewal panel: the date, what will be billed (from selectors.next_renewal, so the amount
told is the amount invoiced), the price lock, a scheduled change, a rise with both prices
and why, and for a license that does not renew by itself, the day it stops working
(services.ends_after: a canceled subscription has no grace, one renewed by hand has it).
`with_credit` adds what the organization's credit balance will pay of each invoice told,
so the panel, the reminder and the checkout's renewal sentence state what the customer
will be asked to pay, the invoices of one day sharing it in the order the term-end job
issues them (selectors.ISSUE_ORDER); `credited` is one renewal's share, among the
organization's other renewals as the dashboard's panels share it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from urllib.parse import urlencode

from billing.invoices import credit
from billing.models import Subscription
from billing.money import Money
from billing.renewals.selectors import (
    Cache,
    NextCycle,
    NextRenewal,
    cycles_after,
    issue_order,
    next_cycle,
    next_renewal,
)
from billing.renewals.services import ends_after
from billing.tax.rules import tax_label
from licensing.licenses.services import licenses_open


@dataclass(frozen=True)
class LineView:
    description: str
    amount: str


@dataclass(frozen=True)
class Rise:
    """The next term costs more before tax than this one: both prices, and why."""

    old: str
    new: str
    why: str


@dataclass(frozen=True)
class Credit:
    """What the organization's credit balance, as it stands today, pays of an invoice
    still to come when it is issued (`applied`, shown negative as the invoice shows it),
    and the amount due that is left to pay. `unknown`: it could not be told exactly (other
    renewals before it take credit first); applied and due are then empty."""

    applied: str
    due: str
    unknown: bool = False


@dataclass(frozen=True)
class NextInvoice:
    """A term invoiced per cycle: the next cycle's invoice, before the renewal (the
    term-end job bills it on `on`, with these lines: what is told is what is invoiced)."""

    cycle: NextCycle
    on: date
    lines: list[LineView]
    subtotal: str
    tax: str
    tax_is_zero: bool
    total: str
    credit: Credit | None = None


@dataclass(frozen=True)
class RenewalSummary:
    renewal: NextRenewal
    renews_on: date
    days_left: int
    # Due (days_left <= 0) and not run yet: the last day the license stays usable while
    # the renewal is processed (its renewal grace), or None outside the grace.
    valid_while_due_until: date | None
    auto_renew: bool
    term_end: date
    # Auto-renew off: the last day the license works (services.ends_after): the term's
    # end for a subscription its customer canceled, plus the grace for one renewed by hand.
    expires_on: date | None
    # Auto-renew off because its customer canceled it (License.ends_with_term): no grace,
    # and "Resume subscription" (billing.subscriptions.cancellation) keeps it, not a
    # checkout.
    canceled: bool
    # The renewal grace counted in expires_on, in days (0 for a canceled subscription).
    grace_days: int
    # Renewed by hand: the checkout's query for "Renew" (renew_query), else "".
    renew_query: str
    tier_name: str
    seats: int
    lines: list[LineView]
    subtotal: str
    tax: str
    # The tax line's label ("23 %"), as the checkout preview and the invoice print it.
    tax_label: str
    tax_is_zero: bool
    total: str
    locked_until: date | None
    # The lock still holds on the renewal day (a grandfathered price kept another term).
    lock_holds: bool
    rise: Rise | None
    change_summary: str | None
    change_on: date | None
    # A term invoiced per cycle: the invoice of its next cycle inside the term, if any.
    next_invoice: NextInvoice | None = None
    # What the credit balance pays of the renewal's invoice (with_credit), if anything.
    credit: Credit | None = None


def renew_query(subscription: Subscription) -> str:
    """The checkout query of a "Renew" button or link (renew=on): what renews, the
    license's tier, seats, cycle and currency, so a checkout opened once the license has
    ended (a new purchase) starts from the same plan."""
    license = subscription.license
    return urlencode(
        {
            "tier": license.version.tier.slug,
            "seats": license.seats,
            "cycle": subscription.cycle,
            "currency": subscription.currency_id,
            "renew": "on",
        }
    )


def _why(renewal: NextRenewal, current_version) -> str:
    locked = renewal.locked_until
    ended = f"on {locked:%-d %B %Y}" if locked else "at the end of this term"
    return (
        f"Your plan's version ({current_version.tier.name} v{current_version.number}) is "
        f"retired and its price lock ends {ended}; the next term moves to its successor, "
        f"{renewal.version.tier.name} v{renewal.version.number}, at that version's price."
    )


def renewal_summary(
    subscription: Subscription,
    *,
    today: date,
    cache: Cache | None = None,
    renewal: NextRenewal | None = None,
) -> RenewalSummary:
    """The next renewal of `subscription` as a customer reads it; `renewal` is its
    next_renewal when the caller has it already (the checkout's, on the subscription as
    confirming would leave it)."""
    license = subscription.license
    renewal = renewal or next_renewal(subscription, cache=cache)
    rise = None
    if renewal.rises:
        rise = Rise(
            old=renewal.current_subtotal.format(),
            new=renewal.subtotal.format(),
            why=_why(renewal, license.version)
            if renewal.moves_to_successor
            else "The next term's price is higher than this term's.",
        )
    change = renewal.change
    cycle = next_cycle(subscription, cache=cache)
    expires = None if license.auto_renew else ends_after(license)
    return RenewalSummary(
        renewal=renewal,
        renews_on=renewal.renews_on,
        days_left=(renewal.renews_on - today).days,
        valid_while_due_until=license.grace_until if renewal.renews_on <= today else None,
        auto_renew=license.auto_renew,
        term_end=license.term_end,
        expires_on=expires,
        canceled=not license.auto_renew and license.ends_with_term,
        renew_query=""
        if license.auto_renew or license.ends_with_term
        else renew_query(subscription),
        grace_days=(expires - license.term_end).days if expires else 0,
        tier_name=renewal.plan.tier_name,
        seats=renewal.plan.seats,
        lines=[LineView(line.description, line.amount.format()) for line in renewal.lines],
        subtotal=renewal.subtotal.format(),
        tax=renewal.tax.format(),
        tax_label=tax_label(renewal.tax_decision.treatment, renewal.tax_decision.rate),
        tax_is_zero=renewal.tax.is_zero,
        total=renewal.total.format(),
        locked_until=renewal.locked_until,
        lock_holds=renewal.locked_until is not None and renewal.locked_until >= renewal.renews_on,
        rise=rise,
        change_summary=change.summary if change else None,
        change_on=change.effective_on if change else None,
        next_invoice=None
        if cycle is None
        else NextInvoice(
            cycle=cycle,
            on=cycle.starts_on,
            lines=[LineView(line.description, line.amount.format()) for line in cycle.lines],
            subtotal=cycle.subtotal.format(),
            tax=cycle.tax.format(),
            tax_is_zero=cycle.tax.is_zero,
            total=cycle.total.format(),
        ),
    )


def with_credit(
    renewals: Sequence[tuple[Subscription, RenewalSummary]], balances: Iterable[Money]
) -> list[RenewalSummary]:
    """The organization's renewal summaries (each with its subscription) with what its
    credit `balances` will pay of each invoice they tell (`credit`, only where it pays
    something), by the rule an invoice applies when it is issued (billing.invoices.credit:
    the credit left pays each invoice as it is issued, up to its total; for one invoice,
    the smaller of the balance and its total, as invoice_finalize applies it). The
    invoices that will be issued by themselves take it in the order they are issued: each
    term's cycles still to bill (the next one told, the later ones before the renewal,
    selectors.cycles_after) and each renewal that renews automatically, those of one day
    in the term-end job's order (selectors.ISSUE_ORDER), not the order of `renewals`,
    which the summaries come back in. A renewal that
    would bill only if renewal were turned back on is told what the credit would pay of it
    after the invoices issued before it. An invoice on or after the first day an invoice
    these summaries do not tell could be issued (a renewal's next one) is told no figure:
    it could not be exact."""
    left = {balance.currency: balance for balance in balances if balance.amount > 0}
    # The invoices of one day take the credit in the order the term-end job issues them
    # (selectors.ISSUE_ORDER: the renewals, then the cycles inside a term), whatever the
    # order the summaries are shown in; credit.allocate orders each day's by these keys.
    order = sorted(range(len(renewals)), key=lambda index: issue_order(renewals[index][0]))
    place = {index: position for position, index in enumerate(order)}

    def renewal_key(index: int) -> str:
        return f"0-{place[index]:05}-renewal"

    def cycle_key(index: int) -> str:
        return f"1-{place[index]:05}-cycle"

    coming: list[credit.Owed] = []
    would: list[credit.Owed] = []
    # The first day an invoice these summaries do not tell may be issued, per currency: a
    # renewal's next invoice, after the first period it bills (a monthly license renews
    # again before a yearly one's renewal). What falls on or after it is not told.
    unknown_from: dict[str, date] = {}
    for index, (subscription, summary) in enumerate(renewals):
        currency = summary.renewal.total.currency
        if currency not in left:
            continue
        if summary.next_invoice is not None:
            cycle = summary.next_invoice.cycle
            coming.append(credit.Owed(cycle_key(index), cycle.starts_on, cycle.total))
            coming.extend(
                credit.Owed(f"{cycle_key(index)}-{later.starts_on}", later.starts_on, later.total)
                for later in cycles_after(subscription, cycle)
            )
        renewal = summary.renewal
        owed = credit.Owed(renewal_key(index), renewal.renews_on, renewal.total)
        if summary.auto_renew:
            coming.append(owed)
            after = max(
                (line.period_end for line in renewal.lines if line.period_end),
                default=renewal.renews_on,
            ) + timedelta(days=1)
            unknown_from[currency] = min(unknown_from.get(currency, after), after)
        else:
            would.append(owed)
    applied: dict[str, Money] = {}
    beyond: set[str] = set()
    for currency, balance in left.items():
        horizon = unknown_from.get(currency)

        def known(owed: credit.Owed, currency=currency, horizon=horizon) -> bool:
            return owed.outstanding.currency == currency and (
                horizon is None or owed.issued_on < horizon
            )

        told_now = [owed for owed in coming if known(owed)]
        taken = credit.allocate(balance, told_now)
        applied.update((application.number, application.amount) for application in taken)
        if sum(application.amount.amount for application in taken) < balance.amount:
            # Credit is left for what comes later, after invoices not told here.
            beyond.update(
                owed.number
                for owed in [*coming, *would]
                if owed.outstanding.currency == currency and not known(owed)
            )
        # A renewal turned off: what the credit would pay of it if it were turned back
        # on, after the invoices issued before it (each on its own).
        for owed in filter(known, would):
            before = [other for other in told_now if other.issued_on <= owed.issued_on]
            for application in credit.allocate(balance, [*before, owed]):
                if application.number == owed.number:
                    applied[owed.number] = application.amount

    def told(key: str, total: Money) -> Credit | None:
        if key in beyond:
            return Credit(applied="", due="", unknown=True)
        if key not in applied:
            return None
        return Credit(applied=(-applied[key]).format(), due=(total - applied[key]).format())

    found = []
    for index, (_, summary) in enumerate(renewals):
        next_invoice = summary.next_invoice
        if next_invoice is not None:
            next_invoice = replace(
                next_invoice, credit=told(cycle_key(index), next_invoice.cycle.total)
            )
        found.append(
            replace(
                summary,
                next_invoice=next_invoice,
                credit=told(renewal_key(index), summary.renewal.total),
            )
        )
    return found


def credited(
    subscription: Subscription,
    summary: RenewalSummary,
    *,
    balances: Iterable[Money],
    today: date,
    cache: Cache | None = None,
) -> RenewalSummary:
    """`summary` (the renewal of `subscription`) with what the organization's credit
    `balances` will pay of each invoice it tells, as the dashboard's renewal panel tells
    it: with_credit over the organization's renewals the panels show (each open, usable
    license's with a subscription), this one as `summary` says it
    (the checkout's: as confirming would leave it). Without credit in its currency,
    `summary` unchanged and nothing read."""
    currency = summary.renewal.total.currency
    balances = [balance for balance in balances if balance.amount > 0]
    if not any(balance.currency == currency for balance in balances):
        return summary
    renewals: list[tuple[Subscription, RenewalSummary]] = []
    ours = None
    for license in licenses_open(subscription.license.organization):
        if license.pk == subscription.license_id:
            ours = len(renewals)
            renewals.append((subscription, summary))
            continue
        other = Subscription.objects.filter(license=license).first()
        if other is None or not license.is_usable:
            continue
        other.license = license
        renewals.append((other, renewal_summary(other, today=today, cache=cache)))
    if ours is None:  # not among the panels (a license not open): its renewal alone
        ours, renewals = 0, [(subscription, summary)]
    return with_credit(renewals, balances)[ours]
