"""A change of plan in words, for the "plan changed" email: one row per thing that moved
(plan, seats, billing, price, auto-renew, term end, status), each with what it was and
what it is. Pure: the tier names come in as a mapping."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from billing.ledger.steps import Terms
from billing.pricing import BillingCycle

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
