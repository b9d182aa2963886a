"""API tokens' rules: the keys and buckets a token and a client are counted under, who a
cached entry says a token is, a token's name, at most twenty, and the failed-auth limit.
No database (make mutate runs these)."""

import hashlib

import pytest
from django.core.exceptions import ValidationError

from licensing.api.identity import (
    TokenIdentity,
    TooManyFailures,
    check_failures,
    check_room,
    failure_bucket,
    failure_key,
    identity_from_entry,
    rate_limit_bucket,
    token_cache_key,
    token_name,
)

SECRET = "twk_abcd1234_s3cret-part"
NOW = 1_000_000_030.0  # 10 seconds into the minute that starts at 1_000_000_020


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_a_token_is_cached_under_its_prefix():
    assert token_cache_key("abcd1234") == "tok:abcd1234"


def test_a_token_is_counted_under_the_hash_of_what_was_presented():
    assert rate_limit_bucket(SECRET) == "token:" + sha(SECRET)[:32]
    assert len(rate_limit_bucket(SECRET)) == len("token:") + 32


def test_failures_are_counted_per_hashed_client_per_minute():
    bucket = "authfail:" + sha("203.0.113.9")[:32]
    assert failure_bucket("203.0.113.9") == bucket
    assert failure_key("203.0.113.9", now=NOW) == f"rl:{bucket}:1000000020"
    assert failure_key("203.0.113.9", now=NOW + 50) == f"rl:{bucket}:1000000080"


@pytest.mark.parametrize(
    "entry",
    [None, "revoked", (7, 3, "Build server", sha(SECRET)), [7, 3, "Build server", sha("other")]],
    ids=["absent", "revoked", "not-a-list", "another-secret"],
)
def test_an_entry_that_does_not_vouch_for_the_secret_names_nobody(entry):
    assert identity_from_entry(SECRET, "abcd1234", entry) is None


def test_an_entry_that_vouches_for_the_secret_names_the_token():
    identity = identity_from_entry(SECRET, "abcd1234", [7, 3, "Build server", sha(SECRET)])
    assert identity == TokenIdentity(7, 3, "Build server", "abcd1234")
    assert identity.label == "API token Build server (twk_abcd1234\u2026)"


def test_a_token_is_named_without_surrounding_spaces():
    assert token_name("  Build server \n") == "Build server"


@pytest.mark.parametrize("name", ["", "   ", "\t\n"], ids=["empty", "spaces", "blank"])
def test_a_token_needs_a_name(name):
    with pytest.raises(ValidationError) as refused:
        token_name(name)
    assert refused.value.message_dict == {"name": ["Name the token after what will use it."]}


def test_an_organization_holds_at_most_twenty_tokens():
    check_room(0)
    check_room(19)
    for active in (20, 21):
        with pytest.raises(ValidationError) as refused:
            check_room(active)
        assert refused.value.messages == ["At most 20 tokens; revoke one you no longer use."]


def test_a_client_at_its_failure_limit_is_refused_until_the_next_minute():
    check_failures(0, limit=10, now=NOW)
    check_failures(9, limit=10, now=NOW)
    for failures in (10, 11):
        with pytest.raises(TooManyFailures) as refused:
            check_failures(failures, limit=10, now=NOW)
        assert refused.value.retry_after == 50
        assert refused.value.args == (50,)
