"""Tax IDs, checked per country with python-stdnum: the format and the check digit.

In the EU's VAT area a number is the country's VAT prefix (the ISO code, EL for Greece)
and the national number: stdnum.eu.vat checks both, and a number typed without its
prefix gets the buyer's country's. Elsewhere the country's own number (stdnum's "vat"
module for it: the UK's VAT number, the Swiss UID, Australia's ABN, the US TIN…). A
country stdnum has no number for takes the ID as typed, letters, digits, spaces and
dashes only. A refusal says in our words which number was expected, what is wrong with
it and the format expected (KINDS), and the number is kept in the form it is quoted in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import ModuleType

from stdnum import get_cc_module
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
)
from stdnum.exceptions import ValidationError as StdnumError

from billing.tax.countries import country_name

MAX_LENGTH = 40
# The EU countries' VAT prefixes, where they are not the ISO code.
VAT_PREFIX = {"GR": "EL"}


@dataclass(frozen=True)
class Kind:
    """A country's tax ID as a refusal names it (our own words: stdnum's module titles
    are in the country's language, with typos) and the format it is expected in."""

    name: str
    format: str


KINDS = {
    "AT": Kind("Austrian VAT number (UID-Nr.)", "ATU12345678"),
    "BE": Kind("Belgian VAT number (BTW/TVA)", "BE0123456789"),
    "BG": Kind("Bulgarian VAT number (ДДС)", "BG123456789"),
    "CY": Kind("Cypriot VAT number", "CY12345678X"),
    "CZ": Kind("Czech VAT number (DIČ)", "CZ12345678"),
    "DE": Kind("German VAT number (USt-IdNr.)", "DE123456789"),
    "DK": Kind("Danish VAT number (CVR)", "DK12345678"),
    "EE": Kind("Estonian VAT number (KMKR)", "EE123456789"),
    "ES": Kind("Spanish VAT number (NIF)", "ESX1234567X"),
    "FI": Kind("Finnish VAT number (ALV)", "FI12345678"),
    "FR": Kind("French VAT number (TVA)", "FR12345678901"),
    "GR": Kind("Greek VAT number (ΑΦΜ)", "EL123456789"),
    "HR": Kind("Croatian VAT number (OIB)", "HR12345678901"),
    "HU": Kind("Hungarian VAT number", "HU12345678"),
    "IE": Kind("Irish VAT number", "IE1234567X"),
    "IT": Kind("Italian VAT number (partita IVA)", "IT12345678901"),
    "LT": Kind("Lithuanian VAT number (PVM)", "LT123456789"),
    "LU": Kind("Luxembourg VAT number (TVA)", "LU12345678"),
    "LV": Kind("Latvian VAT number (PVN)", "LV12345678901"),
    "MT": Kind("Maltese VAT number", "MT12345678"),
    "NL": Kind("Dutch VAT number (btw-id)", "NL123456789B01"),
    "PL": Kind("Polish VAT number (NIP)", "PL1234567890"),
    "PT": Kind("Portuguese VAT number (NIF)", "PT123456789"),
    "RO": Kind("Romanian VAT number (CIF)", "RO1234567890"),
    "SE": Kind("Swedish VAT number (momsnummer)", "SE123456789001"),
    "SI": Kind("Slovenian VAT number (ID za DDV)", "SI12345678"),
    "SK": Kind("Slovak VAT number (IČ DPH)", "SK1234567890"),
    "GB": Kind("UK VAT number", "GB123456789"),
    "CH": Kind("Swiss VAT number (UID with MWST/TVA/IVA)", "CHE-123.456.789 MWST"),
    "NO": Kind("Norwegian VAT number (MVA)", "NO123456789MVA"),
    "US": Kind("US taxpayer identification number (EIN)", "12-3456789"),
    "CA": Kind("Canadian business number (BN)", "123456789"),
    "AU": Kind("Australian business number (ABN)", "12 345 678 901"),
}
# What is wrong, by the exception stdnum raises.
FAULTS = {
    InvalidChecksum: "the check digit does not match",
    InvalidLength: "it has too many or too few characters",
    InvalidFormat: "it is not in the expected format",
    InvalidComponent: "a part of it is not valid",
}
PLAIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 .\-/]*$")


class TaxIdError(ValueError):
    """A tax ID that is not a valid number of its country; the message says why."""


def _eu_member(country: str) -> bool:
    return country.lower() in eu_vat.MEMBER_STATES and country != "XI"


def _module(country: str) -> ModuleType | None:
    return get_cc_module(country.lower(), "vat") or get_cc_module(country.lower(), "tin")


def _refusal(country: str, exc: StdnumError) -> TaxIdError:
    """The refusal in our words: what number was expected (KINDS, or the country's name
    for a tax ID), what is wrong with it, and the format expected."""
    kind = KINDS.get(country)
    name = kind.name if kind else f"tax ID for {country_name(country)}"
    fault = next(
        (text for error, text in FAULTS.items() if isinstance(exc, error)),
        "it is not a number of that kind",
    )
    expected = f" Expected format: {kind.format}" if kind else ""
    return TaxIdError(f"That is not a valid {name}: {fault}.{expected}")


def _stored(country: str, module: ModuleType, number: str) -> str:
    """The number as kept and printed: a UK or Norwegian VAT number with its GB or NO
    prefix (stdnum drops it, but it is how the number is quoted on invoices:
    GB980780684, NO995525828MVA), a Swiss one in its usual form (CHE-123.456.789 MWST);
    others compact."""
    if country in ("GB", "NO"):
        return f"{country}{number}"
    if country == "CH":
        return module.format(number)
    return number


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
        return _stored(country, module, module.validate(value))
    except StdnumError as exc:
        raise _refusal(country, exc) from None


def _eu_vat(country: str, value: str) -> str:
    prefix = VAT_PREFIX.get(country, country)
    module = _module(country)  # the national number's module (stdnum.de.vat…)
    try:
        number = eu_vat.compact(value) if value[:2].isalpha() else module.compact(value)
    except StdnumError as exc:  # letters that start no EU VAT number (XX123, GB123…)
        if not value[:2].isalpha():
            raise _refusal(country, exc) from None
        if _module(value[:2]) is not None:  # another country's (GB, NO, CHE…)
            raise TaxIdError(
                f"{value} is a VAT number of another country; one of "
                f"{country_name(country)} starts with {prefix}. Expected format: "
                f"{KINDS[country].format}"
            ) from None
        raise TaxIdError(
            f"{value[:2].upper()} starts no VAT number; one of {country_name(country)} starts "
            f"with {prefix}. Expected format: {KINDS[country].format}"
        ) from None
    if not number[:2].isalpha():
        number = prefix + number
    if number[:2] != prefix and not (country == "GR" and number[:2] == "GR"):
        raise TaxIdError(
            f"{value} is a VAT number of another country; one of {country_name(country)} "
            f"starts with {prefix}. Expected format: {KINDS[country].format}"
        )
    if number[:2] == "GR":
        number = prefix + number[2:]
    try:
        return eu_vat.validate(number)
    except StdnumError as exc:
        raise _refusal(country, exc) from None
