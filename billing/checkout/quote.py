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

A prorated line says its working: "Unused time: 27 of 31 days of Team, 12 seats at
$228.00 a month" is the share of the term's price it credits or charges, so a customer
can check the amount with a calculator.

The unused time is credited on what was paid for the term: what credit notes gave back
of the invoices that billed it (all of it, for a voided invoice) is not credited again
(billing.proration), and the line says so: "…, less 182 of 365 days of the €100.00
credit notes gave back". A term whose invoice was voided has no unused time to credit,
so a change charges the rest of the term in full.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from billing.discounts import Discount
from billing.discounts import apply as apply_discounts
from billing.invoices import totals
from billing.invoices.kinds import LineKind
from billing.money import Money
from billing.pricing import CYCLE_PHRASE, BillingCycle, SeatPrice
from billing.proration import GivenBack, Proration, prorate
from billing.subscriptions.periods import ONE_DAY, Span, period, term_end_for

ONE = Decimal(1)
UPFRONT = "upfront"  # Subscription.billing: the whole term on its first invoice
PER_CYCLE = "per_cycle"  # one invoice per cycle of the term


class QuoteRefused(ValueError):
    """The change cannot be quoted; `errors` maps a field (tier, seats, cycle, currency,
    or "" for the change as a whole) to a sentence for the customer."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__(" ".join(errors.values()))


@dataclass(frozen=True)
class Plan:
    """A subscription's terms. `rank` orders the tiers of a product (higher is more);
    `max_seats` is the tier's seat limit (None: no maximum). `billing`: how a term of
    several cycles is invoiced (UPFRONT or PER_CYCLE); `discounts`: what comes off each
    cycle's price (billing.discounts: a proposal's negotiated discount)."""

    tier: str
    tier_name: str
    rank: int
    price: SeatPrice
    seats: int
    cycle: str
    auto_renew: bool = True
    term_cycles: int = 1
    max_seats: int | None = None
    billing: str = UPFRONT
    discounts: tuple[Discount, ...] = ()

    @property
    def currency(self) -> str:
        return self.price.amount.currency

    @property
    def term_price(self) -> Money:
        """One term for the seats bought, exact (prices have whole minor units)."""
        return self.price.for_seats(self.seats) * self.term_cycles

    @property
    def net_term_price(self) -> Money:
        """One term less its discounts, each cycle's discounted and rounded as its
        invoice discounts it (the term price when there are none): what a change
        prorates, so the unused time credits what was paid, not the list price."""
        return apply_discounts(self.price.for_seats(self.seats), self.discounts).net * (
            self.term_cycles
        )

    def describe(self) -> str:
        return f"{self.tier_seats()}, {BillingCycle(self.cycle).label.lower()}"

    def tier_seats(self) -> str:
        """ "Team, 12 seats"."""
        return f"{self.tier_name}, {self.seats} seat{'s' if self.seats != 1 else ''}"

    def term_price_phrase(self) -> str:
        """What a term costs, with its length: "$228.00 a month", "$6,840.00 for 3 years",
        "$9,360.00 for 3 years after discounts"."""
        price = self.net_term_price.format()
        after = " after discounts" if self.discounts else ""
        if self.term_cycles == 1:
            return f"{price} {CYCLE_PHRASE[self.cycle]}{after}"
        unit = "months" if self.cycle == BillingCycle.MONTHLY else "years"
        return f"{price} for {self.term_cycles} {unit}{after}"

    def same_money_terms(self, other: Plan) -> bool:
        return (self.tier, self.seats, self.cycle, self.price) == (
            other.tier,
            other.seats,
            other.cycle,
            other.price,
        )


@dataclass(frozen=True)
class Credited:
    """What credit notes gave back (before tax) of an invoice that billed the current
    term, and the first day of the term that invoice billed (the term's first for a
    purchase or renewal, the change day for a change)."""

    amount: Money
    first_day: date


@dataclass(frozen=True)
class Line:
    """A line of the invoice: quantity x unit price = amount (rounded once). `kind` is
    the InvoiceLine's (billing.invoices.kinds); `list_unit_price` is the catalog's unit
    price for a whole term of the plan the line bills (per seat when priced per seat)."""

    description: str
    quantity: Decimal
    unit_price: Money
    amount: Money
    period_start: date | None = None
    period_end: date | None = None
    kind: str = LineKind.ONE_OFF
    list_unit_price: Money | None = None


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
    new_term: bool = False  # a change that starts a new term today (quote_change)

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
                f"{line.amount.amount}|{line.period_start}|{line.period_end}|{line.kind}"
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
        f"{price.amount.amount}|{price.amount.currency}|{price.per_seat}|{price.min_seats}|"
        f"{plan.billing}|" + ",".join(f"{d.kind}:{d.percent}:{d.reason}" for d in plan.discounts)
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
        # A discount held for the current term stays with it, not with a new cycle's term.
        discounts=current.discounts if cycle == current.cycle else target.discounts,
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
    paid_through: date | None = None,
    credited: tuple[Credited, ...] | list[Credited] = (),
    new_term: bool = False,
) -> Quote:
    """The lines and totals of moving from `current` (None: a purchase) to `target` on
        `today`. `prices`: (tier, cycle) -> price for the current and the target tier, the
        current one's own cycle at its locked price; a change that takes effect in part now
        is priced from it. `paid_through`: the last day the term's price paid for, when staff
        extended the term free of charge past it (default: the term's last day); a change is
        prorated over the paid days only, so an extension never spreads a cycle's price over
        more days than it bought. `credited`: what credit notes gave back of each invoice that
    billed the term; the unused time is credited net of it. `new_term`: `target` whole
    from today, a new term of its own (an accepted proposal's option: its term and
    discount start the day it is accepted), the unused time credited. Raises
    QuoteRefused."""
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
            f"Your term runs from {term_start:%-d %B %Y} to {term_end:%-d %B %Y}; "
            "a change can only be made within it."
        )
    if errors:
        raise QuoteRefused(errors)
    currency = target.currency
    if current is None:
        now, later = target, None
        start, end = today, term_end_for(today, cycle=target.cycle, cycles=target.term_cycles)
        lines = invoiced_now(target, term_lines(target, start))
    else:
        if new_term:
            now, later = target, None
        else:
            now, later = _split(current, target, prices or {})
        errors = check_plan(now)
        if errors:
            raise QuoteRefused(errors)
        paid = Span(term_start, min(paid_through or term_end, term_end))
        given = _given_back(credited, paid, currency)
        start, end, lines = _lines_now(current, now, paid, term_end, today, given, new_term)
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
        new_term=current is not None and bool(lines) and (new_term or now.cycle != current.cycle),
    )


def _given_back(credited, paid: Span, currency: str) -> tuple[GivenBack, ...]:
    """Per invoice, what was given back and the paid days it paid for (from its first
    day billed to the paid term's last); an invoice billing none of them is left out."""
    given = []
    for entry in credited:
        if entry.amount.currency != currency:
            raise QuoteRefused({"currency": f"A credit note is not in {currency}."})
        first = max(entry.first_day, paid.starts_on)
        if entry.amount.is_zero or first > paid.ends_on:
            continue
        given.append(GivenBack(entry.amount, Span(first, paid.ends_on).days))
    return tuple(given)


def invoiced_now(plan: Plan, lines: list[Line]) -> list[Line]:
    """Of a term's lines, those its first invoice bills: all of them up front, the first
    cycle's (its charge and discount) when the term is invoiced per cycle."""
    if plan.billing != PER_CYCLE or not lines:
        return lines
    first = lines[0].period_start
    return [line for line in lines if line.period_start == first]


def discount_lines(plan: Plan, charge: Line) -> list[Line]:
    """The discount lines of one cycle's charge (billing.discounts, in its published
    order): each negative, rounded once, saying which discount and why, over the
    charge's period."""
    applied = apply_discounts(charge.amount, plan.discounts).applied
    return [
        Line(
            description=entry.discount.describe(),
            quantity=ONE,
            unit_price=-entry.amount,
            amount=-entry.amount,
            period_start=charge.period_start,
            period_end=charge.period_end,
            kind=LineKind.DISCOUNT,
        )
        for entry in applied
        if not entry.amount.is_zero
    ]


def discount_by_period(lines) -> dict[date, Money]:
    """What the discount lines take off each period (by its first day), positive: the
    period's discount_amount (billing.subscriptions)."""
    off: dict[date, Money] = {}
    for line in lines:
        if line.kind == LineKind.DISCOUNT:
            taken = -line.amount
            before = off.get(line.period_start)
            off[line.period_start] = taken if before is None else before + taken
    return off


def term_lines(plan: Plan, start: date) -> list[Line]:
    """A whole term from `start`, a line per billing period (one for a term of one
    cycle): billed seats x the per-seat price of a cycle, or the flat price, each
    followed by its discount lines when the plan has a discount."""
    price = plan.price
    quantity = Decimal(price.billed_seats(plan.seats)) if price.per_seat else ONE
    lines = []
    for index in range(plan.term_cycles):
        span = period(start, index, cycle=plan.cycle)
        description = plan.describe()
        if plan.term_cycles > 1:
            description += f" ({index + 1} of {plan.term_cycles})"
        charge = Line(
            description=description,
            quantity=quantity,
            unit_price=price.amount,
            amount=totals.line_amount(quantity=quantity, unit_price=price.amount),
            period_start=span.starts_on,
            period_end=span.ends_on,
            kind=LineKind.RECURRING,
            list_unit_price=price.amount,
        )
        lines.append(charge)
        lines.extend(discount_lines(plan, charge))
    return lines


def working(plan: Plan, proration: Proration) -> str:
    """How a prorated line's amount is worked out: "27 of 31 days of Team, 12 seats at
    $228.00 a month", the days it covers out of the term's and the price of the term."""
    days = "day" if proration.term_days == 1 else "days"
    return (
        f"{proration.remaining_days} of {proration.term_days} {days} of "
        f"{plan.tier_seats()} at {plan.term_price_phrase()}"
    )


def _prorated_line(
    what: str, amount: Money, span: Span, kind: str, plan: Plan, proration: Proration
) -> Line:
    return Line(
        f"{what}: {working(plan, proration)}",
        ONE,
        amount,
        amount,
        span.starts_on,
        span.ends_on,
        kind=kind,
        list_unit_price=plan.price.amount,
    )


def _credit_line(plan: Plan, proration: Proration, span: Span) -> Line:
    line = _prorated_line(
        "Unused time", -proration.credit, span, LineKind.PRORATION_CREDIT, plan, proration
    )
    if not proration.given_back:
        return line
    return replace(line, description=f"{line.description}, less {less(proration)}")


def less(proration: Proration) -> str:
    """What the unused time's credit leaves out: "182 of 365 days of the €100.00 credit
    notes gave back", per invoice a credit note corrected."""
    parts = []
    for given in proration.given_back:
        days = "day" if given.days == 1 else "days"
        parts.append(
            f"{proration.unused_share(given)} of {given.days} {days} of the "
            f"{given.amount.format()} credit notes gave back"
        )
    return " and ".join(parts)


def _lines_now(
    current: Plan,
    now: Plan,
    paid: Span,
    term_end: date,
    today: date,
    given: tuple[GivenBack, ...] = (),
    new_term: bool = False,
) -> tuple[date, date, list[Line]]:
    """(term start, term end, lines) of what changes today; `paid` is the span the
    current term's price paid for (the term less any free extension). `new_term`: a
    new term from today whatever changes (quote_change)."""
    if now.same_money_terms(current) and not new_term:
        return paid.starts_on, term_end, []
    if today > paid.ends_on:
        raise QuoteRefused(
            {
                "": "Your term was extended free of charge from "
                f"{paid.ends_on + ONE_DAY:%-d %B %Y} to {term_end:%-d %B %Y}; a change that "
                "costs something waits for the renewal, or your account manager can make it."
            }
        )
    remaining = Span(today, paid.ends_on)
    if now.cycle != current.cycle or new_term:
        # A new term from today: credit for the rest of this one, the new term in full.
        unused = prorate(
            current_price=current.net_term_price,
            new_price=Money.zero(current.currency),
            term_start=paid.starts_on,
            term_end=paid.ends_on,
            change_date=today,
            given_back=given,
        )
        lines = invoiced_now(now, term_lines(now, today))
        if not unused.credit.is_zero:
            lines.insert(0, _credit_line(current, unused, remaining))
        return today, term_end_for(today, cycle=now.cycle, cycles=now.term_cycles), lines
    proration = prorate(
        current_price=current.net_term_price,
        new_price=now.net_term_price,
        term_start=paid.starts_on,
        term_end=paid.ends_on,
        change_date=today,
        given_back=given,
    )
    if proration.due.is_zero:
        # The rest of the term costs what it did (more seats on a flat price, or up to a
        # per-seat minimum): nothing to invoice, rather than two lines that cancel out.
        return paid.starts_on, term_end, []
    lines = [
        _credit_line(current, proration, remaining),
        _prorated_line(
            "Remaining time",
            proration.charge,
            remaining,
            LineKind.PRORATION_CHARGE,
            now,
            proration,
        ),
    ]
    return paid.starts_on, term_end, [line for line in lines if not line.amount.is_zero]
