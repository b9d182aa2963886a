"""What a change a customer makes on their own costs, line by line: pure, no ORM and no
clock, so the preview the customer confirms and the invoice confirmation issues are the
same function of the same inputs, to the cent.

A change moves a subscription from one `Plan` (tier, price, seats, cycle, auto-renew) to
another. Each part of it is an increase or a decrease:

- increases take effect now, prorated by day (billing.proration): a higher tier, more
  seats, monthly → annual (a credit for the unused part of the month and a new annual
  term from today), turning auto-renew back on;
- decreases wait for the end of the term, so the customer keeps what they paid for: a
  lower tier, fewer seats, annual → monthly, turning auto-renew off.

A change with both does the increases now and schedules the rest. A purchase (no plan
yet) starts a term today and charges it whole.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from billing.invoices import totals
from billing.money import Money
from billing.pricing import BillingCycle, SeatPrice
from billing.proration import prorate
from billing.subscriptions.periods import term_end_for

ONE = Decimal(1)


class QuoteRefused(ValueError):
    """The change cannot be quoted; `errors` maps a field (tier, seats, cycle, currency,
    or "" for the change as a whole) to a sentence for the customer."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__(" ".join(errors.values()))


@dataclass(frozen=True)
class Plan:
    """A subscription's terms. `rank` orders the tiers of a product (higher is more);
    `max_seats` is the tier's seat limit (None: no maximum)."""

    tier: str
    tier_name: str
    rank: int
    price: SeatPrice
    seats: int
    cycle: str
    auto_renew: bool = True
    term_cycles: int = 1
    max_seats: int | None = None

    @property
    def currency(self) -> str:
        return self.price.amount.currency

    @property
    def term_price(self) -> Money:
        """One term for the seats bought, exact (prices have whole minor units)."""
        return self.price.for_seats(self.seats) * self.term_cycles

    def describe(self) -> str:
        seats = f"{self.seats} seat{'s' if self.seats != 1 else ''}"
        return f"{self.tier_name}, {seats}, {BillingCycle(self.cycle).label.lower()}"

    def same_money_terms(self, other: Plan) -> bool:
        return (self.tier, self.seats, self.cycle, self.price) == (
            other.tier,
            other.seats,
            other.cycle,
            other.price,
        )


@dataclass(frozen=True)
class Line:
    """A line of the invoice: quantity x unit price = amount (rounded once)."""

    description: str
    quantity: Decimal
    unit_price: Money
    amount: Money
    period_start: date | None = None
    period_end: date | None = None


@dataclass(frozen=True)
class Quote:
    currency: str
    today: date
    current: Plan | None
    now: Plan  # the plan from today (the current one when nothing changes now)
    later: Plan | None  # the plan from `later_on`, when part of the change waits
    later_on: date | None
    term_start: date
    term_end: date  # the term after the change; a new one for a purchase or a new cycle
    lines: tuple[Line, ...]
    subtotal: Money
    tax: Money
    total: Money
    credit_applied: Money
    amount_due: Money
    tax_rate: Decimal
    renewal: Money  # what each renewal costs afterwards, before tax
    renewal_tax: Money
    renews_on: date | None  # None: auto-renew is off, the subscription ends with the term

    @property
    def charges_now(self) -> bool:
        return bool(self.lines)

    @property
    def changes_now(self) -> bool:
        return self.current is None or self.now != self.current

    @property
    def is_purchase(self) -> bool:
        return self.current is None

    @property
    def final(self) -> Plan:
        return self.later or self.now

    def fingerprint(self) -> str:
        """Everything the customer is shown, in one string: a confirmation is refused if
        the numbers it would make differ from the ones previewed."""
        parts = [
            self.currency,
            self.today.isoformat(),
            _plan_key(self.current),
            _plan_key(self.now),
            _plan_key(self.later),
            str(self.later_on),
            self.term_start.isoformat(),
            self.term_end.isoformat(),
            *(
                f"{line.description}|{line.quantity}|{line.unit_price.amount}|"
                f"{line.amount.amount}|{line.period_start}|{line.period_end}"
                for line in self.lines
            ),
            str(self.tax_rate.normalize()),
            str(self.amount_due.amount),
            str(self.credit_applied.amount),
            str(self.renewal.amount),
        ]
        return "\n".join(parts)


def _plan_key(plan: Plan | None) -> str:
    if plan is None:
        return "-"
    price = plan.price
    return (
        f"{plan.tier}|{plan.seats}|{plan.cycle}|{plan.auto_renew}|{plan.term_cycles}|"
        f"{price.amount.amount}|{price.amount.currency}|{price.per_seat}|{price.min_seats}"
    )


def check_plan(plan: Plan) -> dict[str, str]:
    """What is wrong with buying `plan`, per field."""
    errors = {}
    if plan.seats < 1:
        errors["seats"] = "Choose at least one seat."
    elif plan.max_seats is not None and plan.seats > plan.max_seats:
        errors["seats"] = (
            f"{plan.tier_name} allows at most {plan.max_seats} seats; choose fewer or a "
            "higher tier."
        )
    elif plan.price.per_seat and plan.seats < plan.price.min_seats:
        errors["seats"] = (
            f"{plan.tier_name} is sold from {plan.price.min_seats} seats; choose "
            f"{plan.price.min_seats} or more."
        )
    if plan.cycle != plan.price.cycle:
        errors["cycle"] = "The price does not match the billing cycle."
    return errors


def _split(
    current: Plan, target: Plan, prices: Mapping[tuple[str, str], SeatPrice]
) -> tuple[Plan, Plan | None]:
    """(the plan from today, the plan at the end of the term or None): the increases of
    `target` over `current` now, the decreases later."""
    tier = target if target.rank > current.rank else current
    cycle = (
        target.cycle
        if current.cycle == BillingCycle.MONTHLY and target.cycle == BillingCycle.ANNUAL
        else current.cycle
    )
    price = prices.get((tier.tier, cycle))
    if price is None:
        raise QuoteRefused(
            {
                "cycle": f"{tier.tier_name} has no {BillingCycle(cycle).label.lower()} price "
                f"in {current.currency}."
            }
        )
    now = replace(
        current,
        tier=tier.tier,
        tier_name=tier.tier_name,
        rank=tier.rank,
        max_seats=tier.max_seats,
        price=price,
        cycle=cycle,
        seats=max(current.seats, target.seats),
        auto_renew=current.auto_renew or target.auto_renew,
    )
    return now, (target if target != now else None)


def quote_change(
    *,
    current: Plan | None,
    target: Plan,
    term_start: date | None,
    term_end: date | None,
    today: date,
    tax_rate: Decimal,
    credit_balance: Money,
    prices: Mapping[tuple[str, str], SeatPrice] | None = None,
) -> Quote:
    """The lines and totals of moving from `current` (None: a purchase) to `target` on
    `today`. `prices`: (tier, cycle) -> price for the current and the target tier, the
    current one's own cycle at its locked price; a change that takes effect in part now
    is priced from it. Raises QuoteRefused."""
    errors = check_plan(target)
    if current is not None and target.currency != current.currency:
        errors["currency"] = (
            f"Your subscription is billed in {current.currency}; a change stays in it."
        )
    if current is not None and current == target:
        errors[""] = "That is the plan you have; change the tier, seats or billing."
    has_term = current is not None and term_start is not None and term_end is not None
    if has_term and not term_start <= today <= term_end:
        errors[""] = (
            f"Your term runs from {term_start.isoformat()} to {term_end.isoformat()}; "
            "a change can only be made within it."
        )
    if errors:
        raise QuoteRefused(errors)
    currency = target.currency
    if current is None:
        now, later = target, None
        start, end = today, term_end_for(today, cycle=target.cycle, cycles=target.term_cycles)
        lines = [_term_line(target, start, end)]
    else:
        now, later = _split(current, target, prices or {})
        errors = check_plan(now)
        if errors:
            raise QuoteRefused(errors)
        start, end, lines = _lines_now(current, now, term_start, term_end, today)
    amounts = [line.amount for line in lines]
    result = totals.invoice_totals(
        line_amounts=amounts,
        tax_rate=tax_rate,
        credit_balance=credit_balance if lines else Money.zero(currency),
        currency=currency,
    )
    final = later or now
    renewal = final.term_price.rounded()
    return Quote(
        currency=currency,
        today=today,
        current=current,
        now=now,
        later=later,
        later_on=end + timedelta(days=1) if later else None,
        term_start=start,
        term_end=end,
        lines=tuple(lines),
        subtotal=result.subtotal,
        tax=result.tax,
        total=result.total,
        credit_applied=result.credit_applied,
        amount_due=result.amount_due,
        tax_rate=tax_rate,
        renewal=renewal,
        renewal_tax=totals.tax_on(renewal, tax_rate),
        renews_on=end + timedelta(days=1) if final.auto_renew else None,
    )


def _term_line(plan: Plan, start: date, end: date) -> Line:
    """A whole term: billed seats x the per-seat price of a term, or the flat price."""
    price = plan.price
    unit = price.amount * plan.term_cycles
    quantity = Decimal(price.billed_seats(plan.seats)) if price.per_seat else ONE
    return Line(
        description=f"{plan.describe()}",
        quantity=quantity,
        unit_price=unit,
        amount=totals.line_amount(quantity=quantity, unit_price=unit),
        period_start=start,
        period_end=end,
    )


def _prorated_line(description: str, amount: Money, start: date, end: date) -> Line:
    return Line(description, ONE, amount, amount, start, end)


def _lines_now(
    current: Plan, now: Plan, term_start: date, term_end: date, today: date
) -> tuple[date, date, list[Line]]:
    """(term start, term end, lines) of what changes today."""
    if now.same_money_terms(current):
        return term_start, term_end, []
    if now.cycle != current.cycle:
        # A new term from today: credit for the rest of this one, the new term in full.
        unused = prorate(
            current_price=current.term_price,
            new_price=Money.zero(current.currency),
            term_start=term_start,
            term_end=term_end,
            change_date=today,
        )
        end = term_end_for(today, cycle=now.cycle, cycles=now.term_cycles)
        lines = [_term_line(now, today, end)]
        if not unused.credit.is_zero:
            lines.insert(
                0,
                _prorated_line(
                    f"Unused time on {current.describe()}", -unused.credit, today, term_end
                ),
            )
        return today, end, lines
    proration = prorate(
        current_price=current.term_price,
        new_price=now.term_price,
        term_start=term_start,
        term_end=term_end,
        change_date=today,
    )
    if proration.due.is_zero:
        # The rest of the term costs what it did (more seats on a flat price, or up to a
        # per-seat minimum): nothing to invoice, rather than two lines that cancel out.
        return term_start, term_end, []
    lines = [
        _prorated_line(f"Unused time on {current.describe()}", -proration.credit, today, term_end),
        _prorated_line(f"Remaining time on {now.describe()}", proration.charge, today, term_end),
    ]
    return term_start, term_end, [line for line in lines if not line.amount.is_zero]
