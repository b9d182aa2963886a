"""License keys and API tokens: generating, normalising, checking and hashing. Pure.

A license key reads TW-XXXXX-XXXXX-XXXXX-XXXXX-C: twenty Crockford base32 characters
(100 random bits) and a check character (Luhn mod 32 over the twenty), so a mistyped
character, or two neighbours swapped, is caught before anything is looked up. Reading
is forgiving the way Crockford intends: lower case, I/L for 1, O for 0, no dashes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUE = {char: index for index, char in enumerate(ALPHABET)}
_VALUE.update({"I": 1, "L": 1, "O": 0})
PREFIX = "TW"
GROUPS = 4
GROUP_SIZE = 5
BODY_LENGTH = GROUPS * GROUP_SIZE
TOKEN_PREFIX = "twk_"


# The shape of a key, as the API's schema declares it: TW and twenty-one characters of
# the alphabet (either case, I, L and O read as 1, 1 and 0), a dash or a space allowed
# between any two, spaces around. Text of this shape reads as a key unless its check
# character shows a typo.
KEY_PATTERN = r"^ *[Tt][Ww](?:[- ]?[0-9A-TV-Za-tv-z]){21} *$"


class MalformedKey(ValueError):
    """The text cannot be a license key; `reason` says why in words for the customer."""


def check_character(body: str) -> str:
    """Luhn mod N (N = 32): every single substitution changes it, and so does swapping
    two adjacent characters (except 0 and Z, the one pair Luhn cannot tell apart)."""
    factor, total, n = 2, 0, len(ALPHABET)
    for char in reversed(body):
        addend = factor * _VALUE[char]
        total += addend // n + addend % n
        factor = 1 if factor == 2 else 2
    return ALPHABET[(n - total % n) % n]


def _format(body: str) -> str:
    groups = [body[i : i + GROUP_SIZE] for i in range(0, BODY_LENGTH, GROUP_SIZE)]
    return "-".join([PREFIX, *groups, check_character(body)])


def generate_key() -> str:
    return _format("".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH)))


def normalize_key(text: str) -> str:
    """The canonical form of `text`, or MalformedKey. Never touches the database."""
    if not isinstance(text, str) or len(text) > 64:
        raise MalformedKey("A license key looks like TW-XXXXX-XXXXX-XXXXX-XXXXX-X.")
    compact = text.strip().upper().replace("-", "").replace(" ", "")
    if not compact.startswith(PREFIX):
        raise MalformedKey("A license key starts with TW-.")
    compact = compact[len(PREFIX) :]
    if len(compact) != BODY_LENGTH + 1:
        raise MalformedKey(
            f"A license key has {BODY_LENGTH + 1} characters after TW-; this one has "
            f"{len(compact)}."
        )
    unknown = sorted({char for char in compact if char not in _VALUE})
    if unknown:
        raise MalformedKey(f"A license key cannot contain {', '.join(unknown)}.")
    canonical = "".join(ALPHABET[_VALUE[char]] for char in compact)
    body, check = canonical[:BODY_LENGTH], canonical[BODY_LENGTH]
    if check_character(body) != check:
        raise MalformedKey("This license key has a typo: its check character does not match.")
    return _format(body)


def hash_secret(canonical: str) -> str:
    # Keys and tokens carry 100+ random bits, so a fast hash is enough: there is nothing
    # to brute-force, and the validation hot path stays cheap.
    return hashlib.sha256(canonical.encode()).hexdigest()


def key_prefix(canonical: str) -> str:
    """TW-ABCDE: enough to recognise a key on a page, far too little to use it."""
    return canonical[: len(PREFIX) + 1 + GROUP_SIZE]


def generate_token() -> tuple[str, str]:
    """(token, prefix): twk_<prefix>_<secret>. The prefix finds the row; the whole token
    is compared by hash."""
    prefix = secrets.token_hex(4)
    return f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}", prefix


def token_prefix(token: str) -> str | None:
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    prefix, _, secret = token[len(TOKEN_PREFIX) :].partition("_")
    if len(prefix) != 8 or not secret:
        return None
    return prefix


def same_hash(token: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(token), stored_hash)
