"""The visitor's locale for formatting money, from the Accept-Language header."""

from contextlib import suppress
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.numbers import get_territory_currencies
from django.http import HttpRequest
from django.utils.translation.trans_real import parse_accept_lang_header

from billing.money import DEFAULT_LOCALE

# Browsers send a handful of languages; more than this is noise or abuse.
MAX_LANGUAGES = 8


def visitor_locale(request: HttpRequest) -> str:
    header = request.META.get("HTTP_ACCEPT_LANGUAGE")
    return _locale_for_header(header[:200]) if header else DEFAULT_LOCALE


@lru_cache(maxsize=512)
def _locale_for_header(header: str) -> str:
    # "*" (any language) is no locale: Locale.parse refuses it with the unknown ones.
    for language, _quality in parse_accept_lang_header(header)[:MAX_LANGUAGES]:
        try:
            locale = Locale.parse(language, sep="-")
        except (UnknownLocaleError, ValueError, TypeError):
            continue
        if locale.territory is None:
            # "de" alone: take the language's most likely territory, for its currency
            # ("de_Latn_DE"); "001", the world, is no country.
            likely = get_global("likely_subtags").get(locale.language)
            if likely and (territory := likely.rpartition("_")[2]).isalpha():
                with suppress(UnknownLocaleError):
                    locale = Locale(locale.language, territory=territory)
        return str(locale)
    return DEFAULT_LOCALE


def preferred_currency(locale: str, enabled: list[str]) -> str | None:
    """The visitor's own currency when we sell in it, else the first enabled one."""
    territory = Locale.parse(locale).territory
    if territory:
        for code in get_territory_currencies(territory):
            if code in enabled:
                return code
    return enabled[0] if enabled else None
