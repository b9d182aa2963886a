"""Money as a value object: an exact Decimal amount and an ISO 4217 currency code.

Arithmetic keeps full precision; rounding to the currency's minor units happens in
exactly one place, `round_to_minor_units`, with ROUND_HALF_UP. Amounts of two
currencies never mix, and floats are refused so binary fractions never enter a price.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from functools import cache, total_ordering

from babel import Locale
from babel.numbers import format_currency, get_currency_precision, list_currencies

DEFAULT_LOCALE = "en_US"
# The one minus sign of every amount shown, page, email and PDF: U+2212, as typeset
# (some locales' data give the hyphen-minus, others U+2212); a zero gets none.
MINUS = "\u2212"

# Every ISO 4217 code Babel knows: the set babel.numbers.is_currency tests against, which
# it builds again (about 300 codes) on every call; a checkout preview makes hundreds of
# amounts.
CURRENCIES = frozenset(list_currencies())


class CurrencyMismatch(ValueError):
    """Two amounts in different currencies met in one operation."""


@cache
def _locale(name: str) -> Locale:
    """The parsed locale, once per process (format_currency parses the name on every
    call). Bounded by Babel's locales: a name that does not parse raises and is not kept."""
    return Locale.parse(name)


def minor_unit_places(currency: str) -> int:
    """Decimal places of the currency's minor unit: 2 for USD (cents), 0 for JPY."""
    return get_currency_precision(currency)


def round_to_minor_units(amount: Decimal, currency: str) -> Decimal:
    """The one rounding rule: half up, to the currency's minor units (cents, pence…)."""
    places = minor_unit_places(currency)
    with localcontext() as context:
        # Room for every digit of the result (one more where rounding carries, 9.995 →
        # 10.00), so no amount is too large to round.
        context.prec = max(amount.adjusted() + 1, 1) + places + 1
        return amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _as_decimal(value: object, what: str) -> Decimal:
    # bool is an int subclass; True dollars is a bug, not an amount.
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"{what} must be a Decimal or an int, not {type(value).__name__}.")
    decimal = Decimal(value)
    if not decimal.is_finite():
        raise ValueError(f"{what} must be a finite number, not {decimal}.")
    return decimal


@total_ordering
@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", _as_decimal(self.amount, "An amount of money"))
        if not isinstance(self.currency, str) or self.currency not in CURRENCIES:
            raise ValueError(f"{self.currency!r} is not an ISO 4217 currency code.")

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    @classmethod
    def total(cls, items: Iterable[Money], currency: str) -> Money:
        result = cls.zero(currency)
        for item in items:
            result += item
        return result

    def _same_currency(self, other: object) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"Cannot combine Money with {type(other).__name__}.")
        if other.currency != self.currency:
            raise CurrencyMismatch(
                f"Cannot combine {self.currency} with {other.currency}; convert first."
            )
        return other

    def __add__(self, other: Money) -> Money:
        return Money(self.amount + self._same_currency(other).amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(self.amount - self._same_currency(other).amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __abs__(self) -> Money:
        return Money(abs(self.amount), self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        return Money(self.amount * _as_decimal(factor, "A multiplier"), self.currency)

    __rmul__ = __mul__

    def __truediv__(self, divisor: Decimal | int) -> Money:
        divisor = _as_decimal(divisor, "A divisor")
        if divisor == 0:
            raise ZeroDivisionError("Cannot divide money by zero.")
        return Money(self.amount / divisor, self.currency)

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._same_currency(other).amount

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        return self.currency == other.currency and self.amount == other.amount

    def __hash__(self) -> int:
        return hash((self.amount, self.currency))

    def rounded(self) -> Money:
        return Money(round_to_minor_units(self.amount, self.currency), self.currency)

    @property
    def is_zero(self) -> bool:
        return self.amount == 0

    def format(self, locale: str = DEFAULT_LOCALE) -> str:
        """The rounded amount as the visitor's locale writes it: $1,234.50, 1.234,50 €; a
        negative one with the one minus sign (MINUS), and a zero (even one rounded from
        minus 0.004) never signed."""
        amount = round_to_minor_units(self.amount, self.currency)
        if amount >= 0:
            return format_currency(abs(amount), self.currency, locale=_locale(locale))
        text = format_currency(amount, self.currency, locale=_locale(locale))
        return text.replace("-", MINUS)

    def __str__(self) -> str:
        return self.format()
