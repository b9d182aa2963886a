"""License keys: readable, checksummed, forgiving about case and look-alikes, and
strict about typos, all before anything is looked up."""

import contextlib
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from licensing.licenses import keys

KEY_SHAPE = re.compile(r"^TW-([0-9A-HJKMNP-TV-Z]{5}-){4}[0-9A-HJKMNP-TV-Z]$")


def test_it_generates_readable_keys_that_check_out():
    for _ in range(200):
        key = keys.generate_key()
        assert KEY_SHAPE.match(key)
        assert keys.normalize_key(key) == key


def test_it_reads_keys_the_way_people_type_them():
    key = keys.generate_key()
    typed = key.lower().replace("-", " ").replace("1", "l").replace("0", "o")
    assert keys.normalize_key(f"  {typed} ") == key


def test_it_catches_every_single_mistyped_character():
    key = keys.generate_key()
    body = key.replace("-", "")[2:]
    for position in range(len(body)):
        for replacement in keys.ALPHABET:
            if replacement == body[position]:
                continue
            typo = body[:position] + replacement + body[position + 1 :]
            with pytest.raises(keys.MalformedKey, match="typo"):
                keys.normalize_key("TW" + typo)


def test_it_catches_two_neighbours_swapped():
    caught = missed = 0
    for _ in range(50):
        body = keys.generate_key().replace("-", "")[2:]
        for i in range(len(body) - 1):
            a, b = body[i], body[i + 1]
            if a == b:
                continue
            swapped = body[:i] + b + a + body[i + 2 :]
            try:
                keys.normalize_key("TW" + swapped)
            except keys.MalformedKey:
                caught += 1
            else:
                assert {a, b} == {"0", "Z"}, f"{a}{b} swapped went unnoticed"
                missed += 1
    assert caught > 500


@pytest.mark.parametrize(
    "text, reason",
    [
        ("", "starts with TW"),
        ("XX-12345-12345-12345-12345-1", "starts with TW"),
        ("TW-12345", "21 characters"),
        ("TW-1234U-12345-12345-12345-1", "cannot contain U"),
        ("TW-" + "A" * 80, "looks like"),
    ],
)
def test_it_says_what_is_wrong_with_a_malformed_key(text, reason):
    with pytest.raises(keys.MalformedKey, match=reason):
        keys.normalize_key(text)


@given(st.text(max_size=80))
def test_it_never_fails_on_any_text_except_as_malformed(text):
    with contextlib.suppress(keys.MalformedKey):
        assert KEY_SHAPE.match(keys.normalize_key(text))


def test_it_finds_a_token_by_its_prefix_and_checks_it_by_hash():
    token, prefix = keys.generate_token()
    assert keys.token_prefix(token) == prefix
    assert keys.same_hash(token, keys.hash_secret(token))
    assert not keys.same_hash(token + "x", keys.hash_secret(token))
    assert keys.token_prefix("Bearer nonsense") is None
