"""The rules of a scheduled change, pure (billing.checkout.scheduled and the checkout's
confirmation do the writes): who may cancel it and when, when it may be applied, what
applying it moves, and what becomes of it when another change is confirmed first. `make
mutate` mutates this module against its fast tests."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum

from billing.models import ScheduledChangeStatus


@dataclass(frozen=True)
class Moves:
    """What applying a scheduled change does to the license and its subscription."""

    version: bool  # onto the scheduled tier version
    seats: bool  # to the scheduled number of seats
    price: bool  # a new locked price: a new version, or another billing cycle
    auto_renew: bool  # renewal turned on or off


def cancel_refusal(*, status: str, status_label: str, reason: str) -> str | None:
    """Why the change cannot be cancelled with `reason`, or None when it can."""
    if status != ScheduledChangeStatus.SCHEDULED:
        return f"This change is already {status_label.lower()}; nothing to cancel."
    if not reason.strip():
        return "Say why; the reason is kept on record."
    return None


def is_open(status: str) -> bool:
    """Only a change still scheduled is applied; applying it again does nothing."""
    return status == ScheduledChangeStatus.SCHEDULED


def too_early(*, effective_on: date, today: date) -> str | None:
    """Why the change cannot be applied `today`, or None once it is due."""
    if effective_on > today:
        return f"This change takes effect on {effective_on:%-d %B %Y}, not before."
    return None


def moves(
    *,
    version: int,
    seats: int,
    cycle: str,
    auto_renew: bool,
    to_version: int,
    to_seats: int,
    to_cycle: str,
    to_auto_renew: bool,
) -> Moves:
    """What changes, from the license's version id, seats and renewal and the
    subscription's cycle today to the scheduled ones."""
    new_version = version != to_version
    return Moves(
        version=new_version,
        seats=seats != to_seats,
        price=new_version or cycle != to_cycle,
        auto_renew=auto_renew != to_auto_renew,
    )


# --- Re-planning a pending change when another is confirmed ------------------------------


@dataclass(frozen=True)
class Terms:
    """A plan as a scheduled change holds it: the whole plan from its day."""

    version: int
    tier_name: str
    seats: int
    cycle: str
    auto_renew: bool
    # An accepted proposal's renewal: it holds a term and a discount of its own as well,
    # which nothing chosen in the portal sets, so a change never leaves "nothing of it".
    agreed: bool = False


# What a change that cancels or replaces an accepted proposal's renewal says it loses.
AGREED_LOST = (
    "With it go the term and the discount agreed in your proposal; your account manager "
    "can offer them again."
)


class Outcome(StrEnum):
    KEEP = "keep"  # it stays as it is
    ADJUST = "adjust"  # it stays on its day, with what the confirmed change set carried over
    REDATE = "redate"  # it moves to the end of the new term
    CANCEL = "cancel"  # it goes: the confirmed change contradicts it or leaves nothing of it
    REPLACE = "replace"  # the confirmed change schedules a whole later plan of its own


@dataclass(frozen=True)
class Replan:
    """What confirming a change does to the change already scheduled, and why, in a
    sentence the preview shows before the customer confirms and the confirmation after.
    `terms` and `effective_on`: the pending change from now on (None once it goes)."""

    outcome: Outcome
    why: str
    terms: Terms | None = None
    effective_on: date | None = None

    @property
    def stays(self) -> bool:
        return self.terms is not None


def summary(before: Terms, after: Terms) -> str:
    """A change from `before` to `after`, in words ("Move to Team; 5 seats")."""
    parts = []
    if after.version != before.version:
        parts.append(f"move to {after.tier_name}")
    if after.seats != before.seats:
        parts.append(f"{after.seats} seats")
    if after.cycle != before.cycle:
        parts.append(f"{after.cycle} billing")
    if after.auto_renew != before.auto_renew:
        parts.append("auto-renew on" if after.auto_renew else "end at the term's close")
    text = "; ".join(parts) or "no change"
    # Only the first letter: str.capitalize() would lowercase the tier's name too.
    return text[:1].upper() + text[1:]


def replan(
    *,
    pending: Terms,
    pending_on: date,
    current: Terms,
    now: Terms,
    schedules: bool,
    term_end: date,
    seat_range: tuple[int, int | None],
) -> Replan:
    """What becomes of the `pending` change (due `pending_on`) when a change from
    `current` to `now` (today) is confirmed. `schedules`: the confirmed change schedules
    a later part of its own; `term_end`: the term's last day after the change;
    `seat_range`: the least and most seats the pending change's tier and price allow.

    The rules, one per kind of change (the later choice wins, and a scheduled change
    never undoes what the customer has just paid for):
    - a change with a later part of its own replaces it: the form chose the whole plan;
    - another tier now (an upgrade) cancels it: it would move the license back;
    - a new term (monthly to annual) cancels it: it was due at the end of a term that no
      longer ends then, and would cut the plan inside the year just paid for; only
      turning auto-renew off still means something, and moves to the new term's end;
    - more seats or auto-renew back on, in the same term: it keeps its day, with the
      seats or renewal chosen now in place of its own; it goes when nothing is left of it
      or its tier cannot take the seats.
    An accepted proposal's renewal (`agreed`) is never left empty: it keeps its day, term
    and discount with the seats chosen now; when it goes, the sentence says what goes
    with it."""
    result = _replan(
        pending=pending,
        pending_on=pending_on,
        current=current,
        now=now,
        schedules=schedules,
        term_end=term_end,
        seat_range=seat_range,
    )
    if pending.agreed and not result.stays:
        return Replan(result.outcome, f"{result.why} {AGREED_LOST}")
    return result


def _replan(
    *,
    pending: Terms,
    pending_on: date,
    current: Terms,
    now: Terms,
    schedules: bool,
    term_end: date,
    seat_range: tuple[int, int | None],
) -> Replan:
    if schedules:
        return Replan(
            Outcome.REPLACE,
            "The plan you choose here replaces it.",
        )
    if now.version != current.version:
        return Replan(
            Outcome.CANCEL,
            f"It would move you back from {now.tier_name}, which you choose now.",
        )
    if now.cycle != current.cycle:
        turns_off_renewal = replace(pending, auto_renew=current.auto_renew) == current
        if turns_off_renewal and pending.auto_renew != now.auto_renew:
            return Replan(
                Outcome.REDATE,
                f"It moves to the end of your new {now.cycle} term.",
                replace(now, auto_renew=pending.auto_renew),
                term_end + timedelta(days=1),
            )
        return Replan(
            Outcome.CANCEL,
            f"It was due at the end of a term that this change closes: your new {now.cycle} "
            f"term runs to {term_end:%-d %B %Y}, paid for as you choose it now.",
        )
    carried = replace(
        pending,
        seats=now.seats if now.seats != current.seats else pending.seats,
        auto_renew=now.auto_renew if now.auto_renew != current.auto_renew else pending.auto_renew,
    )
    if carried == now:
        return Replan(Outcome.CANCEL, "Nothing is left of it after what you choose now.")
    least, most = seat_range
    if not least <= carried.seats <= (carried.seats if most is None else most):
        return Replan(
            Outcome.CANCEL,
            f"{carried.tier_name} cannot take the {carried.seats} seats you choose now.",
        )
    if carried == pending:
        return Replan(Outcome.KEEP, "It stays as it is.", pending, pending_on)
    taken = []
    if carried.seats != pending.seats:
        taken.append(f"{carried.seats} seats instead of {pending.seats}")
    if carried.auto_renew != pending.auto_renew:
        taken.append("auto-renew on" if carried.auto_renew else "ending at the term's close")
    was = "the renewal agreed in your proposal" if pending.agreed else summary(current, pending)
    return Replan(
        Outcome.ADJUST,
        f"It stays on its day ({was[:1].lower()}{was[1:]}), with what you choose now: "
        f"{'; '.join(taken)}.",
        carried,
        pending_on,
    )
