"""Keys and tokens against fixed values: hashes that every stored key and token depend on,
check characters worked by hand, the readings of I, L and O, the exact length limits and
the entropy of a token."""

import re

import pytest

from licensing.licenses import keys

KEY = "TW-ABCDE-FGHJK-MNPQR-STVWX-B"


def test_it_hashes_with_sha256():
    # FIPS 180-2's test vector, then a key and a token as they are stored.
    assert keys.hash_secret("abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )
    assert keys.hash_secret(KEY) == (
        "e71920382ea3b7cecd7995712167099080c39e07e5e1aef1beec4bcc88d2c241"
    )
    token = "twk_0a1b2c3d_" + "x" * 43
    assert keys.hash_secret(token) == (
        "1a0a18d35adbdf6303efecfa453afdfc80effaece032e9fe640b72a0435f9f0f"
    )
    assert keys.same_hash(token, keys.hash_secret(token))
    assert not keys.same_hash(token + "y", keys.hash_secret(token))


@pytest.mark.parametrize(
    ("body", "check"),
    [
        # Luhn mod 32 from the right, doubling first: Z (31) sits at an undoubled place,
        # so the total is 31 and the check is 32 - 31 = 1.
        ("Z0000000000000000000", "1"),
        ("00000000000000000000", "0"),
        ("ABCDEFGHJKMNPQRSTVWX", "B"),
        ("1234567890ZYXWVTSRQP", "F"),
        ("10101010101010101010", "P"),
    ],
)
def test_it_computes_known_check_characters(body, check):
    assert keys.check_character(body) == check
    formatted = f"TW-{body[:5]}-{body[5:10]}-{body[10:15]}-{body[15:]}-{check}"
    assert keys.normalize_key(formatted) == formatted


@pytest.mark.parametrize(
    "typed",
    [
        "tw-10101-01010-10101-01010-p",
        "TW-I0I0I-0I0I0-I0I0I-0I0I0-P",  # I reads as 1
        "TW-L0L0L-0L0L0-L0L0L-0L0L0-P",  # L reads as 1
        "TW-1O1O1-O1O1O-1O1O1-O1O1O-P",  # O reads as 0
        "tw iOlOi oLoIo 1o1o1 oLOlO p",
        "TW10101010101010101010P",
    ],
)
def test_it_reads_i_l_and_o_as_one_one_and_zero(typed):
    assert keys.normalize_key(typed) == "TW-10101-01010-10101-01010-P"


def test_it_reads_up_to_sixty_four_characters():
    assert keys.normalize_key(KEY.rjust(64)) == KEY
    with pytest.raises(keys.MalformedKey):
        keys.normalize_key(KEY.rjust(65))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, "A license key looks like TW-XXXXX-XXXXX-XXXXX-XXXXX-X."),
        (KEY.rjust(65), "A license key looks like TW-XXXXX-XXXXX-XXXXX-XXXXX-X."),
        ("XW-ABCDE-FGHJK-MNPQR-STVWX-B", "A license key starts with TW-."),
        ("TW-ABCDE", "A license key has 21 characters after TW-; this one has 5."),
        ("TW-U!000-00000-00000-00000-0", "A license key cannot contain !, U."),
        (KEY[:-1] + "C", "This license key has a typo: its check character does not match."),
    ],
)
def test_each_refusal_says_what_is_wrong(text, message):
    with pytest.raises(keys.MalformedKey, match=f"^{re.escape(message)}$"):
        keys.normalize_key(text)


def test_a_key_is_recognised_by_its_first_group():
    assert keys.key_prefix(KEY) == "TW-ABCDE"


def test_a_token_carries_32_random_bytes_after_its_prefix():
    token, prefix = keys.generate_token()
    assert re.fullmatch(r"[0-9a-f]{8}", prefix)
    assert token.startswith(f"twk_{prefix}_")
    # 32 bytes in unpadded URL-safe base64 are 43 characters.
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token[len(f"twk_{prefix}_") :])
    assert keys.token_prefix(token) == prefix


@pytest.mark.parametrize(
    ("token", "prefix"),
    [
        ("twk_0a1b2c3d_" + "x" * 187, "0a1b2c3d"),  # 200 characters: the longest read
        ("twk_0a1b2c3d_" + "x" * 188, None),
        ("twx_0a1b2c3d_secret", None),
        ("twk_0a1b2c3d_", None),
        ("twk_0a1b2c3_secret", None),
        ("twk_0a1b2c3d4_secret", None),
    ],
)
def test_it_reads_a_tokens_prefix_only_from_a_well_formed_token(token, prefix):
    assert keys.token_prefix(token) == prefix


def test_the_token_prefix_is_what_comes_before_the_first_underscore_of_the_secret():
    # A secret is URL-safe base64, so it may hold underscores of its own.
    assert keys.token_prefix("twk_ab12cd34_se_cr_et") == "ab12cd34"
    assert keys.token_prefix("twk_ab12cd34_secret_") == "ab12cd34"
