"""The visitor's locale from Accept-Language and the currency it prefers. No database
(make mutate runs these)."""

import pytest
from django.test import RequestFactory

from billing.locale import _locale_for_header, preferred_currency, visitor_locale


@pytest.fixture(autouse=True)
def fresh_locales():
    """Each case resolves its header afresh, not from an earlier test's answer."""
    _locale_for_header.cache_clear()
    yield
    _locale_for_header.cache_clear()


def locale_of(header: str | None) -> str:
    extra = {} if header is None else {"HTTP_ACCEPT_LANGUAGE": header}
    return visitor_locale(RequestFactory().get("/", **extra))


@pytest.mark.parametrize(
    "header, locale",
    [
        (None, "en_US"),
        ("", "en_US"),
        ("de-AT", "de_AT"),
        ("de", "de_DE"),  # the language's most likely country, for its currency
        ("ja", "ja_JP"),
        ("fr;q=0.5, ja", "ja_JP"),  # the highest quality first
        ("*", "en_US"),
        ("*, de-CH", "de_CH"),
        ("zz, pt", "pt_BR"),  # an unknown language is passed over
        ("zz-yy-q1, it-CH", "it_CH"),
        ("eo", "eo"),  # Esperanto's country is the world: no country
        ("az", "az"),  # Azerbaijani needs its script for a country: left without one
        ("zh-Hant", "zh_Hant"),
        ("not a header!", "en_US"),
    ],
    ids=[
        "none",
        "empty",
        "language-and-country",
        "language-alone",
        "japanese",
        "by-quality",
        "any",
        "any-then-one",
        "unknown-then-known",
        "malformed-then-known",
        "esperanto",
        "azerbaijani",
        "script",
        "garbage",
    ],
)
def test_it_takes_the_first_language_it_knows(header, locale):
    assert locale_of(header) == locale


def padded(length: int, tail: str) -> str:
    """An unknown language, spaces, then `tail`: a header of exactly `length` characters."""
    return "zz" + " " * (length - 2 - len(tail) - 1) + "," + tail


def test_it_reads_the_first_200_characters_of_the_header():
    assert len(padded(200, "fr")) == 200
    assert locale_of(padded(200, "fr")) == "fr_FR"
    assert locale_of(padded(201, "fr")) == "en_US"  # "f" is all that is read


def test_it_reads_at_most_eight_languages():
    assert locale_of(", ".join(["zz"] * 7 + ["fr"])) == "fr_FR"
    assert locale_of(", ".join(["zz"] * 8 + ["fr"])) == "en_US"


@pytest.mark.parametrize(
    "locale, enabled, currency",
    [
        ("de_CH", ["EUR", "CHF"], "CHF"),
        ("de_CH", ["USD", "EUR"], "USD"),  # not sold in francs: the first enabled
        ("es_PA", ["USD", "PAB"], "PAB"),  # the country's own currency before the dollar
        ("es_PA", ["EUR", "USD"], "USD"),
        ("eo", ["EUR", "USD"], "EUR"),  # no country: the first enabled
        ("en_US", [], None),
    ],
    ids=[
        "own",
        "not-sold",
        "first-of-the-countrys",
        "second-of-the-countrys",
        "no-country",
        "none",
    ],
)
def test_the_visitor_pays_in_their_own_currency_when_we_sell_in_it(locale, enabled, currency):
    assert preferred_currency(locale, enabled) == currency
