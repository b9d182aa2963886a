"""Proration of a mid-term change, by day, as the published upgrade policy states it.

A term runs from `term_start` to `term_end`, both days included. A change takes effect
on `change_date`, the first day at the new price. Then:

    term days      = term_end - term_start + 1
    remaining days = term_end - change_date + 1   (the change day itself counts)
    credit         = current term price * remaining days / term days
    charge         = new term price * remaining days / term days
    due            = charge - credit

Credit and charge are each worked out as an exact fraction, never from a rounded daily
rate, and rounded once, half up, to the currency's minor unit by `billing.money` (the
one rounding place). The amount due is the difference of the two rounded lines, so the
lines on a preview or an invoice always add up. A negative amount due (a cheaper new
price) is money owed to the customer, e.g. credit (billing.invoices.credit says where it goes).

Seats need nothing special: a caller passes the price of the whole term for everything
bought, before and after (per-seat price * seats), so adding seats is a change from
`12 * 10` to `12 * 14` and an upgrade with more seats a change from `12 * 10` to
`20 * 14`. Both prices are for the same term; a change of cycle (monthly → annual) is a
credit on this term and a new term, which is the caller's to compose.

Credit notes reduce the credit. The credit is for time paid for and not used, so what
credit notes gave back of an invoice that billed the term (all of it, when the invoice
was voided) is not credited again. Each invoice paid for the days from the first one it
billed to the term's last, `days` of them; what a credit note gave back of it is taken
off the credit in the same share as the remaining days are of those days:

    credit = current term price * remaining days / term days
             - sum(given back * remaining days / invoice's days)

worked out as one exact fraction and rounded once (never below zero). A term bought on
one invoice that was voided so gives no credit at all, and one whose invoice was
credited €100 of €540 gives the unused share of €440. A change's invoice paid only for
the days from the change, so what a credit note gave back of it weighs on those days.

Pure: no ORM and no clock, so the preview and the invoice call the same function with
the same inputs and get the same lines, to the cent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, localcontext
from fractions import Fraction

from billing.money import Money, minor_unit_places, round_to_minor_units

METHOD_BY_DAY = "by_day"

# Digits the division keeps below the minor unit. A line in minor units is a fraction
# whose denominator is the term's days (< 10**7 for any dates Python has), so unless it
# is exactly halfway between two minor units it is at least 1 / (2 * term days) away
# from halfway. Twelve more digits keep the division's own error far below that, so
# the one rounding, half up, sees what the exact fraction would, however large the price.
GUARD_DIGITS = 12


@dataclass(frozen=True, slots=True)
class GivenBack:
    """What credit notes gave back (before tax) of one invoice that billed the term, and
    the days that invoice paid for: from the first day it billed to the term's last."""

    amount: Money
    days: int


class InvalidProration(ValueError):
    """The inputs do not describe a change within a term. `errors` maps each input's
    name (current_price, new_price, term_start, term_end, change_date) to a sentence
    saying what is wrong with it."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__(" ".join(f"{field}: {message}" for field, message in errors.items()))


@dataclass(frozen=True, slots=True)
class Proration:
    """The lines of one change. `credit` and `charge` are rounded; `due` is exactly
    `charge - credit`."""

    currency: str
    current_price: Money
    new_price: Money
    term_start: date
    term_end: date
    change_date: date
    term_days: int
    remaining_days: int
    credit: Money
    charge: Money
    due: Money
    method: str = METHOD_BY_DAY
    given_back: tuple[GivenBack, ...] = ()

    def unused_share(self, given: GivenBack) -> int:
        """Of the days `given`'s invoice paid for, how many are still to come."""
        return min(self.remaining_days, given.days)


def prorate(
    *,
    current_price: Money,
    new_price: Money,
    term_start: date,
    term_end: date,
    change_date: date,
    given_back: tuple[GivenBack, ...] | list[GivenBack] = (),
) -> Proration:
    """The credit for the unused part of `current_price`, the charge for the rest of the
    term at `new_price` and the amount due, for a change whose first day at the new price
    is `change_date`. `given_back`: what credit notes gave back of each invoice that
    billed the term, which the credit does not give again (see above). Raises
    InvalidProration with a message per input when the inputs do not make sense, and
    TypeError when they are not Money and dates."""
    given_back = tuple(given_back)
    _check_types(current_price, new_price, term_start, term_end, change_date)
    _validate(current_price, new_price, term_start, term_end, change_date)
    _validate_given_back(given_back, current_price.currency, term_start, term_end)
    term_days = (term_end - term_start).days + 1
    remaining_days = (term_end - change_date).days + 1
    with localcontext() as context:
        context.prec = _exact_digits(current_price, new_price, term_days)
        # Multiply before dividing: the fraction of the whole price, not a daily rate.
        if given_back:
            credit = _credit_net_of(current_price, given_back, remaining_days, term_days)
        else:
            credit = (current_price * remaining_days / term_days).rounded()
        charge = (new_price * remaining_days / term_days).rounded()
        due = charge - credit
    return Proration(
        currency=current_price.currency,
        current_price=current_price,
        new_price=new_price,
        term_start=term_start,
        term_end=term_end,
        change_date=change_date,
        term_days=term_days,
        remaining_days=remaining_days,
        credit=credit,
        charge=charge,
        due=due,
        given_back=given_back,
    )


def _credit_net_of(
    current_price: Money, given_back: tuple[GivenBack, ...], remaining_days: int, term_days: int
) -> Money:
    """The unused share of the price less the unused share of what each invoice's credit
    notes gave back: an exact fraction, rounded once, never below zero."""
    exact = Fraction(current_price.amount) * remaining_days / term_days
    for given in given_back:
        exact -= Fraction(given.amount.amount) * min(remaining_days, given.days) / given.days
    exact = max(exact, Fraction(0))
    # Cut (not rounded) to tenths of the minor unit, exactly: every half-up boundary lies
    # on that grid, so the one rounding rule gives what rounding the fraction itself would.
    places = minor_unit_places(current_price.currency)
    tenths = math.floor(exact * 10**places * 10)
    return Money(Decimal(tenths).scaleb(-places - 1), current_price.currency).rounded()


def _validate_given_back(
    given_back: tuple[GivenBack, ...], currency: str, term_start: date, term_end: date
) -> None:
    term_days = (term_end - term_start).days + 1
    for given in given_back:
        problem = _given_back_problem(given, currency, term_days)
        if problem:
            raise InvalidProration({"given_back": problem})


def _given_back_problem(given: GivenBack, currency: str, term_days: int) -> str | None:
    if not isinstance(given, GivenBack):
        raise TypeError(f"given_back holds GivenBack, not {type(given).__name__}.")
    if not isinstance(given.amount, Money):
        raise TypeError(f"A GivenBack's amount must be Money, not {type(given.amount).__name__}.")
    if given.amount.currency != currency:
        return f"What credit notes gave back must be in {currency}, not {given.amount.currency}."
    if given.amount.amount < 0:
        return "What credit notes gave back cannot be negative."
    if not 1 <= given.days <= term_days:
        return f"An invoice paid for 1 to {term_days} days of the term, not {given.days}."
    return None


def _exact_digits(current_price: Money, new_price: Money, term_days: int) -> int:
    """Enough significant digits that price * days is exact and price * days / term days
    keeps GUARD_DIGITS below the minor unit, for either price (the default 28 would not do
    past about 10**20)."""
    largest = max(current_price.amount.adjusted(), new_price.amount.adjusted(), 0)
    return (
        largest + 1 + len(str(term_days)) + minor_unit_places(current_price.currency) + GUARD_DIGITS
    )


def _check_types(current_price, new_price, term_start, term_end, change_date) -> None:
    for name, value in (("current_price", current_price), ("new_price", new_price)):
        if not isinstance(value, Money):
            raise TypeError(f"{name} must be Money, not {type(value).__name__}.")
    for name, value in (
        ("term_start", term_start),
        ("term_end", term_end),
        ("change_date", change_date),
    ):
        # A datetime is a date too, but days are counted between calendar dates only.
        if not isinstance(value, date) or isinstance(value, datetime):
            raise TypeError(f"{name} must be a date, not {type(value).__name__}.")


def _price_problem(price: Money, what: str) -> str | None:
    if price.amount < 0:
        return f"The {what} cannot be negative."
    if round_to_minor_units(price.amount, price.currency) != price.amount:
        places = minor_unit_places(price.currency)
        if places == 0:
            return f"The {what} must be a whole number of {price.currency}, with no decimals."
        return f"The {what} can have at most {places} decimal places in {price.currency}."
    return None


def _validate(
    current_price: Money,
    new_price: Money,
    term_start: date,
    term_end: date,
    change_date: date,
) -> None:
    errors: dict[str, str] = {}
    current_problem = _price_problem(current_price, "current price")
    if current_problem:
        errors["current_price"] = current_problem
    if new_price.currency != current_price.currency:
        errors["new_price"] = (
            f"The new price must be in {current_price.currency}, the currency of the "
            f"current price, not {new_price.currency}."
        )
    else:
        new_problem = _price_problem(new_price, "new price")
        if new_problem:
            errors["new_price"] = new_problem
    if term_end < term_start:
        errors["term_end"] = (
            f"The term's last day ({term_end.isoformat()}) cannot be before its first day "
            f"({term_start.isoformat()})."
        )
    elif change_date < term_start:
        errors["change_date"] = (
            f"The change date must be within the term: on or after its first day, "
            f"{term_start.isoformat()}."
        )
    elif change_date > term_end:
        errors["change_date"] = (
            f"The change date must be within the term: on or before its last day, "
            f"{term_end.isoformat()}."
        )
    if errors:
        raise InvalidProration(errors)
