"""Countries as ISO 3166-1 alpha-2 codes, with their English names from Babel's CLDR data
(the same data billing.money formats amounts with)."""

from __future__ import annotations

from functools import cache

from babel import Locale

# Codes CLDR names that are not countries: the EU, the eurozone, the UN, "outlying
# Oceania", pseudo-locales and "unknown region"; and the regions ISO 3166-1 only reserves
# (Ascension Island, Clipperton, Sark, Diego Garcia, Ceuta & Melilla, the Canary Islands,
# Tristan da Cunha), each part of a country that is listed. Kosovo's XK, user-assigned
# but used by the EU, banks and card networks alike, stays: its businesses need it.
NOT_COUNTRIES = frozenset(
    {"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ", "AC", "CP", "CQ", "DG", "EA", "IC", "TA"}
)


@cache
def countries() -> dict[str, str]:
    """Every country's code and name, ordered by name."""
    names = {
        code: name
        for code, name in Locale("en").territories.items()
        if len(code) == 2 and code.isalpha() and code not in NOT_COUNTRIES
    }
    return dict(sorted(names.items(), key=lambda item: item[1]))


def country_name(code: str) -> str:
    return countries().get(code.upper(), code)


def is_country(code: str) -> bool:
    return code in countries()
