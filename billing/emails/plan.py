"""A change of plan in words, for the "plan changed" email: one row per thing that moved
(plan, seats, billing, price, auto-renew, term end, status; a negotiated discount and
what a cycle is billed after it), each with what it was and what it is. Pure: the tier
names come in as a mapping."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from billing.discounts import apply, format_percent, negotiated
from billing.ledger.steps import Terms
from billing.pricing import CYCLE_PHRASE, BillingCycle

STATUS_WORDS = {
    "trialing": "Trialing",
    "active": "Active",
    "past_due": "Past due",
    "suspended": "Suspended",
    "canceled": "Canceled",
    "expired": "Expired",
}


@dataclass(frozen=True)
class Row:
    label: str
    before: str
    after: str


def _plan(terms: Terms, names: Mapping[int, str], *, with_version: bool) -> str:
    name = names.get(terms.version, "another plan")
    return f"{name} (version {terms.version})" if with_version else name


def _cycle(cycle: str) -> str:
    return BillingCycle(cycle).label if cycle in BillingCycle.values else cycle


def _renews(auto_renew: bool) -> str:
    return "Renews at the end of the term" if auto_renew else "Ends with the term"


def _date(day) -> str:
    return f"{day:%-d %B %Y}"


def plan_rows(before: Terms, after: Terms, names: Mapping[int, str]) -> list[Row]:
    """What moved from `before` to `after`; `names` gives each tier version's plan name."""
    rows = []
    if after.version != before.version:
        same_plan = names.get(before.version) == names.get(after.version)
        rows.append(
            Row(
                "Plan",
                _plan(before, names, with_version=same_plan),
                _plan(after, names, with_version=same_plan),
            )
        )
    if after.seats != before.seats:
        rows.append(Row("Seats", str(before.seats), str(after.seats)))
    if after.cycle != before.cycle:
        rows.append(Row("Billing", _cycle(before.cycle), _cycle(after.cycle)))
    if after.price != before.price:
        rows.append(Row("Price", before.price.describe(), after.price.describe()))
    if after.auto_renew != before.auto_renew:
        rows.append(Row("Renewal", _renews(before.auto_renew), _renews(after.auto_renew)))
    if after.term_end != before.term_end:
        rows.append(Row("Term ends", _date(before.term_end), _date(after.term_end)))
    if after.status != before.status:
        rows.append(
            Row(
                "Status",
                STATUS_WORDS.get(before.status, before.status),
                STATUS_WORDS.get(after.status, after.status),
            )
        )
    return rows


@dataclass(frozen=True)
class Agreed:
    """A subscription's negotiated discount (an accepted proposal's): off every period
    that starts on or before `ends_on` (Subscription.discount_*)."""

    percent: Decimal = Decimal(0)
    reason: str = ""
    ends_on: date | None = None

    def applies_on(self, day: date) -> bool:
        return bool(self.percent) and self.ends_on is not None and day <= self.ends_on


def _agreed(agreed: Agreed) -> str:
    if not agreed.percent:
        return "None"
    text = f"{format_percent(agreed.percent)} off ({agreed.reason.strip()})"
    return f"{text}, through {_date(agreed.ends_on)}" if agreed.ends_on else text


def _billed(terms: Terms, agreed: Agreed, on: date) -> str:
    """What a cycle starting on `on` is billed: the seats at the price, rounded as an
    invoice line, less the negotiated discount as its discount line takes it off."""
    charge = terms.price.for_seats(terms.seats).rounded()
    phrase = CYCLE_PHRASE.get(terms.cycle, terms.cycle)
    if not agreed.applies_on(on):
        return f"{charge.format()} {phrase}"
    discounted = apply(charge, negotiated(agreed.percent, agreed.reason))
    return (
        f"{discounted.net.format()} {phrase} "
        f"({charge.format()} less {discounted.total_off.format()})"
    )


def discount_rows(
    before: Terms, after: Terms, agreed_before: Agreed, agreed_after: Agreed, *, on: date
) -> list[Row]:
    """The negotiated discount when either side has one: the discount, if it moved, and
    what a cycle is billed after it (the invoice's charge less its discount line), so
    the email never gives a list price alone for what is billed less."""
    if not agreed_before.percent and not agreed_after.percent:
        return []
    rows = []
    if agreed_after != agreed_before:
        rows.append(Row("Negotiated discount", _agreed(agreed_before), _agreed(agreed_after)))
    billed_before, billed_after = (
        _billed(before, agreed_before, on),
        _billed(after, agreed_after, on),
    )
    if billed_after != billed_before:
        rows.append(Row("Billed", billed_before, billed_after))
    return rows
