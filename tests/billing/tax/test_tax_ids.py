"""Tax IDs are checked per country with python-stdnum: format and check digit, a clear
message naming what is expected, and the number kept normalized."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.tax.countries import countries, is_country
from billing.tax.ids import TaxIdError, normalize_tax_id


@pytest.mark.parametrize(
    ("country", "typed", "kept"),
    [
        ("DE", "DE 136 695 976", "DE136695976"),
        ("DE", "136695976", "DE136695976"),  # the prefix is the country's
        ("de", "de136695976", "DE136695976"),
        ("FR", "FR 40 303 265 045", "FR40303265045"),
        ("GR", "094259216", "EL094259216"),  # Greece's VAT prefix is EL
        ("GR", "GR094259216", "EL094259216"),
        ("IE", "IE 8D79739I", "IE8D79739I"),
        ("NL", "NL004495445B01", "NL004495445B01"),
        ("GB", "GB 980 7806 84", "GB980780684"),  # quoted with its prefix
        ("GB", "980780684", "GB980780684"),
        ("NO", "NO 995 525 828 MVA", "NO995525828MVA"),  # quoted with its prefix
        ("NO", "995525828MVA", "NO995525828MVA"),
        ("CH", "CHE-107.787.577 IVA", "CHE-107.787.577 IVA"),  # the usual form
        ("CH", "CHE116281710MWST", "CHE-116.281.710 MWST"),
        ("CH", "CHE-116.281.710 MWST", "CHE-116.281.710 MWST"),  # kept as kept
        ("US", "12-3456789", "123456789"),
        ("ZW", "ZIMRA 12-34", "ZIMRA 12-34"),  # no number stdnum knows: as typed
        ("DE", "", ""),
        ("DE", "   ", ""),
    ],
)
def test_valid_numbers_are_kept_normalized(country, typed, kept):
    assert normalize_tax_id(country, typed) == kept


@pytest.mark.parametrize(
    ("country", "typed", "says"),
    [
        (
            "DE",
            "DE136695977",
            "That is not a valid German VAT number (USt-IdNr.): the check digit does not "
            "match. Expected format: DE123456789",
        ),
        ("FR", "123", "too many or too few characters. Expected format: FR12345678901"),
        ("DE", "FR40303265045", "another country; one of Germany starts with DE"),
        (
            "IE",
            "XX123",
            "XX starts no VAT number; one of Ireland starts with IE. Expected format: IE1234567X",
        ),
        ("FR", "qq 123-45", "QQ starts no VAT number; one of France starts with FR"),
        ("IE", "GB123456789", "GB123456789 is a VAT number of another country; one of Ireland"),
        ("DE", "CHE123456789", "is a VAT number of another country; one of Germany starts"),
        ("IE", "NO123456789", "NO123456789 is a VAT number of another country"),
        (
            "GB",
            "980780685",
            "That is not a valid UK VAT number: the check digit does not match. "
            "Expected format: GB123456789",
        ),
        ("BR", "123", "That is not a valid tax ID for Brazil: it has too many or too few"),
        ("ZW", "<script>", "only letters, digits"),
        ("", "DE136695976", "Choose the country first"),
        ("DE", "DE" + "1" * 40, "at most 40 characters"),
    ],
)
def test_invalid_numbers_are_refused_with_what_is_expected(country, typed, says):
    with pytest.raises(TaxIdError) as refused:
        normalize_tax_id(country, typed)
    assert says in str(refused.value)
    # Our words, never stdnum's module title (German, with its typos).
    assert "Umsatzsteur" not in str(refused.value)


@pytest.mark.parametrize(
    ("code", "offered"),
    [
        ("DE", True),
        ("GB", True),
        ("ES", True),
        ("SH", True),  # Saint Helena, Ascension and Tristan da Cunha
        ("AC", False),  # Ascension Island
        ("IC", False),  # Canary Islands
        ("EA", False),  # Ceuta & Melilla
        ("CP", False),  # Clipperton Island
        ("DG", False),  # Diego Garcia
        ("CQ", False),  # Sark
        ("TA", False),  # Tristan da Cunha
        ("EU", False),
        ("ZZ", False),
    ],
)
def test_only_iso_3166_countries_are_offered(code, offered):
    assert is_country(code) is offered
    assert (code in countries()) is offered


@settings(max_examples=300, deadline=None)
@given(
    country=st.sampled_from(["IE", "DE", "FR", "GR", "GB", "CH", "BR", "US", "NO", "ZW"]),
    value=st.one_of(
        st.text(max_size=20),
        st.builds(
            lambda prefix, rest: prefix + rest,
            st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=2),
            st.text(alphabet="0123456789 -./", max_size=14),
        ),
    ),
)
def test_property_any_typed_value_is_kept_or_refused_in_our_words(country, value):
    """Whatever is typed, for any country: a number kept, or a TaxIdError saying why;
    never stdnum's own exception (a 500 on the billing details page)."""
    try:
        normalize_tax_id(country, value)
    except TaxIdError as refused:
        assert str(refused)
