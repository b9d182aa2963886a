"""Tax IDs are checked per country with python-stdnum: format and check digit, a clear
message naming what is expected, and the number kept normalized."""

import pytest

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
        ("GB", "GB 980 7806 84", "980780684"),
        ("CH", "CHE-107.787.577 IVA", "CHE107787577IVA"),
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
        ("DE", "DE136695977", "not a valid VAT number for Germany"),
        ("DE", "DE136695977", "check digit"),
        ("DE", "DE136695977", "like DE136695976"),
        ("FR", "123", "invalid length"),
        ("DE", "FR40303265045", "another country; one of Germany starts with DE"),
        ("GB", "980780685", "not a valid tax ID for United Kingdom"),
        ("GB", "980780685", "like GB980780684"),
        ("ZW", "<script>", "only letters, digits"),
        ("", "DE136695976", "Choose the country first"),
        ("DE", "DE" + "1" * 40, "at most 40 characters"),
    ],
)
def test_invalid_numbers_are_refused_with_what_is_expected(country, typed, says):
    with pytest.raises(TaxIdError, match=says):
        normalize_tax_id(country, typed)
