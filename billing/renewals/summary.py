"""The next renewal as a customer reads it, in the reminder email and on the dashboard's
renewal panel: the date, what will be billed (from selectors.next_renewal, so the amount
told is the amount invoiced), the price lock, a scheduled change, a rise with both prices
and why, and for a license that does not renew by itself, the day it stops working."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings

from billing.models import Subscription
from billing.renewals.selectors import NextRenewal, next_renewal


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
class RenewalSummary:
    renewal: NextRenewal
    renews_on: date
    days_left: int
    auto_renew: bool
    term_end: date
    # Auto-renew off: the last day the license works, the term's end plus the grace.
    expires_on: date | None
    tier_name: str
    seats: int
    lines: list[LineView]
    subtotal: str
    tax: str
    tax_is_zero: bool
    total: str
    locked_until: date | None
    rise: Rise | None
    change_summary: str | None
    change_on: date | None


def expires_on(*, term_end: date, grace_days: int | None = None) -> date:
    """The last day a license that does not renew keeps working: its term's end plus the
    renewal grace (settings.RENEWAL_GRACE_DAYS)."""
    days = settings.RENEWAL_GRACE_DAYS if grace_days is None else grace_days
    return term_end + timedelta(days=days)


def _why(renewal: NextRenewal, current_version) -> str:
    locked = renewal.locked_until
    ended = f"on {locked:%-d %B %Y}" if locked else "at the end of this term"
    return (
        f"Your plan's version ({current_version.tier.name} v{current_version.number}) is "
        f"retired and its price lock ends {ended}; the next term moves to its successor, "
        f"{renewal.version.tier.name} v{renewal.version.number}, at that version's price."
    )


def renewal_summary(subscription: Subscription, *, today: date) -> RenewalSummary:
    license = subscription.license
    renewal = next_renewal(subscription)
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
    return RenewalSummary(
        renewal=renewal,
        renews_on=renewal.renews_on,
        days_left=(renewal.renews_on - today).days,
        auto_renew=license.auto_renew,
        term_end=license.term_end,
        expires_on=None if license.auto_renew else expires_on(term_end=license.term_end),
        tier_name=renewal.plan.tier_name,
        seats=renewal.plan.seats,
        lines=[LineView(line.description, line.amount.format()) for line in renewal.lines],
        subtotal=renewal.subtotal.format(),
        tax=renewal.tax.format(),
        tax_is_zero=renewal.tax.is_zero,
        total=renewal.total.format(),
        locked_until=renewal.locked_until,
        rise=rise,
        change_summary=change.summary if change else None,
        change_on=change.effective_on if change else None,
    )
