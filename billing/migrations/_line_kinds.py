"""How lines written before InvoiceLine.kind existed are typed (0010 and 0011 read it):
the checkout wrote its proration lines as "Unused time on …" and "Remaining time on …";
every other line with dates billed a whole term; a negative line without dates was a
discount and anything else a one-off charge."""

from decimal import Decimal

CREDIT_PREFIX = "Unused time on "
CHARGE_PREFIX = "Remaining time on "


def kind_of(*, description: str, amount: Decimal, period_start, period_end) -> str:
    if description.startswith(CREDIT_PREFIX):
        return "proration_credit"
    if description.startswith(CHARGE_PREFIX):
        return "proration_charge"
    if period_start is not None and period_end is not None and amount >= 0:
        return "recurring"
    return "discount" if amount < 0 else "one_off"
