"""Tax IDs, checked per country with python-stdnum: the format and the check digit.

In the EU's VAT area a number is the country's VAT prefix (the ISO code, EL for Greece)
and the national number: stdnum.eu.vat checks both, and a number typed without its
prefix gets the buyer's country's. Elsewhere the country's own number (stdnum's "vat"
module for it: the UK's VAT number, the Swiss UID, Australia's ABN, the US TIN…). A
country stdnum has no number for takes the ID as typed, letters, digits, spaces and
dashes only. A refusal names the number expected and shows one that would pass.
"""

from __future__ import annotations

import re
from types import ModuleType

from stdnum import get_cc_module
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError as StdnumError

from billing.tax.countries import country_name

MAX_LENGTH = 40
# The EU countries' VAT prefixes, where they are not the ISO code.
VAT_PREFIX = {"GR": "EL"}
# One valid number per country, for the message that refuses one.
EXAMPLES = {
    "AT": "ATU13585627",
    "BE": "BE0403019261",
    "BG": "BG175074752",
    "CY": "CY10259033P",
    "CZ": "CZ25123891",
    "DE": "DE136695976",
    "DK": "DK13585628",
    "EE": "EE100931558",
    "ES": "ESB58378431",
    "FI": "FI20774740",
    "FR": "FR40303265045",
    "GR": "EL094259216",
    "HR": "HR33392005961",
    "HU": "HU12892312",
    "IE": "IE6388047V",
    "IT": "IT00743110157",
    "LT": "LT119511515",
    "LU": "LU15027442",
    "LV": "LV40003521600",
    "MT": "MT11679112",
    "NL": "NL004495445B01",
    "PL": "PL8567346215",
    "PT": "PT501964843",
    "RO": "RO18547290",
    "SE": "SE123456789701",
    "SI": "SI50223054",
    "SK": "SK2022749619",
    "GB": "GB980780684",
    "CH": "CHE107787577IVA",
    "NO": "NO995525828MVA",
    "US": "123456789",
    "CA": "123026635",
    "AU": "83914571673",
}
PLAIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 .\-/]*$")


class TaxIdError(ValueError):
    """A tax ID that is not a valid number of its country; the message says why."""


def _eu_member(country: str) -> bool:
    return country.lower() in eu_vat.MEMBER_STATES and country != "XI"


def _module(country: str) -> ModuleType | None:
    return get_cc_module(country.lower(), "vat") or get_cc_module(country.lower(), "tin")


def _name(module: ModuleType) -> str:
    """ "Ust ID Nr. (Umsatzsteur Identifikationnummer, German VAT number)" from the
    module's first line."""
    return (module.__doc__ or module.__name__).splitlines()[0].rstrip(".")


def _expected(country: str, module: ModuleType) -> str:
    example = EXAMPLES.get(country)
    return f"a {_name(module)}" + (f", like {example}" if example else "")


def normalize_tax_id(country: str, value: str) -> str:
    """The tax ID as stored: compact, with its country's VAT prefix in the EU. Raises
    TaxIdError when `value` is not a valid number of `country` (an ISO 3166 code)."""
    value = value.strip()
    if not value:
        return ""
    if len(value) > MAX_LENGTH:
        raise TaxIdError(f"A tax ID has at most {MAX_LENGTH} characters.")
    country = country.upper()
    if not country:
        raise TaxIdError("Choose the country first: a tax ID is checked against its country.")
    if _eu_member(country):
        return _eu_vat(country, value)
    module = _module(country)
    if module is None:
        if not PLAIN.match(value):
            raise TaxIdError("A tax ID has only letters, digits, spaces, dots and dashes.")
        return value
    try:
        return module.validate(value)
    except StdnumError as exc:
        raise TaxIdError(
            f"{value} is not a valid tax ID for {country_name(country)} ({exc}) Expected "
            f"{_expected(country, module)}."
        ) from None


def _eu_vat(country: str, value: str) -> str:
    prefix = VAT_PREFIX.get(country, country)
    module = _module(country)  # the national number's module (stdnum.de.vat…)
    number = eu_vat.compact(value) if value[:2].isalpha() else module.compact(value)
    if not number[:2].isalpha():
        number = prefix + number
    if number[:2] != prefix and not (country == "GR" and number[:2] == "GR"):
        raise TaxIdError(
            f"{value} is a VAT number of another country; one of {country_name(country)} "
            f"starts with {prefix}, like {EXAMPLES[country]}."
        )
    if number[:2] == "GR":
        number = prefix + number[2:]
    try:
        return eu_vat.validate(number)
    except StdnumError as exc:
        raise TaxIdError(
            f"{value} is not a valid VAT number for {country_name(country)} ({exc}) "
            f"Expected {prefix} followed by {_expected(country, module)}."
        ) from None
