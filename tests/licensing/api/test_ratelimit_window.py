"""The rate limit's window, on a clock that moves: a fixed minute on the wall clock,
counts that carry through it and start again in the next, Retry-After counting down to
that next minute, and counters that expire one second after their window, on the local
cache and on Redis's script (fakeredis runs the same Lua in memory)."""

import fakeredis
import pytest
import time_machine
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.test import override_settings

from licensing.api import fastcache, ratelimit

# A whole minute on the wall clock (1,800,000,000 = 60 * 30,000,000).
MINUTE = 1_800_000_000.0


@pytest.mark.parametrize(
    ("now", "window", "key"),
    [
        (MINUTE, 60, f"rl:b:{MINUTE:.0f}"),
        (MINUTE + 59.999, 60, f"rl:b:{MINUTE:.0f}"),
        (MINUTE + 60, 60, f"rl:b:{MINUTE + 60:.0f}"),
        (MINUTE - 0.001, 60, f"rl:b:{MINUTE - 60:.0f}"),
        (7_199, 3_600, "rl:b:3600"),
        (7_200, 3_600, "rl:b:7200"),
    ],
)
def test_a_window_is_a_fixed_stretch_of_the_wall_clock(now, window, key):
    assert ratelimit.window_key("b", window=window, now=now) == key


def test_the_window_is_a_minute_unless_said_otherwise():
    with time_machine.travel(MINUTE + 59, tick=False):
        assert ratelimit.window_key("b") == f"rl:b:{MINUTE:.0f}"
        assert ratelimit.decide(1, limit=1).retry_after == 1


@pytest.mark.parametrize(
    ("now", "window", "retry_after"),
    [
        (MINUTE, 60, 60),
        (MINUTE + 20.25, 60, 40),
        (MINUTE + 59, 60, 1),
        (MINUTE + 59.99, 60, 1),  # never 0: the client should wait at least a second
        (25, 10, 5),
    ],
)
def test_retry_after_counts_down_to_the_next_window(now, window, retry_after):
    assert ratelimit.decide(5, limit=1, window=window, now=now).retry_after == retry_after


@pytest.mark.parametrize(
    ("count", "allowed", "remaining"),
    [(0, True, 2), (1, True, 1), (2, True, 0), (3, False, 0), (9, False, 0)],
)
def test_the_limit_itself_is_allowed_and_remaining_never_goes_below_zero(count, allowed, remaining):
    decision = ratelimit.decide(count, limit=2, now=MINUTE)
    assert (decision.allowed, decision.remaining) == (allowed, remaining)


def test_hits_carry_through_the_window_and_start_again_in_the_next():
    with time_machine.travel(MINUTE, tick=False) as clock:
        seen = []
        for step in (0, 1, 29, 29.9):  # at MINUTE, +1 s, +30 s, +59.9 s
            clock.shift(step)
            decision = ratelimit.hit("token", limit=3)
            seen.append((decision.allowed, decision.remaining, decision.retry_after))
        assert seen == [(True, 2, 60), (True, 1, 59), (True, 0, 30), (False, 0, 1)]
        clock.shift(0.1)  # the next minute
        assert ratelimit.hit("token", limit=3) == ratelimit.Decision(True, 2, 60)


def test_a_window_of_ten_seconds_counts_and_resets_by_ten_seconds():
    start = MINUTE + 20
    assert ratelimit.hit("token", limit=1, window=10, now=start) == ratelimit.Decision(True, 0, 10)
    decision, _ = ratelimit.hit_and_get("token", [], limit=1, window=10, now=start + 9)
    assert decision == ratelimit.Decision(False, 0, 1)
    assert caches["default"].get(f"rl:token:{start:.0f}") == 2
    assert ratelimit.hit("token", limit=1, window=10, now=start + 10).allowed


def test_the_moment_given_is_the_moment_counted():
    # Far from the real clock: two minutes apart, so two windows.
    assert ratelimit.hit("token", limit=1, now=MINUTE) == ratelimit.Decision(True, 0, 60)
    assert ratelimit.hit("token", limit=1, now=MINUTE + 60) == ratelimit.Decision(True, 0, 60)
    assert caches["default"].get(f"rl:token:{MINUTE:.0f}") == 1


def test_each_bucket_counts_on_its_own():
    assert ratelimit.hit("one", limit=1, now=MINUTE).allowed
    assert ratelimit.hit("two", limit=1, now=MINUTE).allowed
    assert not ratelimit.hit("one", limit=1, now=MINUTE).allowed


def test_a_counter_lives_one_second_past_its_window():
    key = ratelimit.window_key("token", now=MINUTE)
    with time_machine.travel(MINUTE, tick=False) as clock:
        ratelimit.hit("token", limit=3)
        clock.shift(30)
        ratelimit.hit("token", limit=3)  # a later hit does not extend it
        clock.shift(30.9)
        assert caches["default"].get(key) == 2
        clock.shift(0.1)
        assert caches["default"].get(key) is None


class SteppingClock:
    """A clock whose readings are given in advance; the last one then stays."""

    def __init__(self, *readings: float) -> None:
        self.readings = list(readings)

    def timestamp(self) -> float:
        return self.readings.pop(0) if len(self.readings) > 1 else self.readings[0]


def test_a_hit_reads_the_clock_once(monkeypatch):
    # The last tenth of a second of a window, and the clock crosses into the next one
    # while the hit is counted: the hit is counted and answered in the window it fell
    # in, one second before the reset, not told to wait a whole new minute.
    monkeypatch.setattr(ratelimit, "clock", SteppingClock(MINUTE + 59.9, MINUTE + 60.0))
    assert ratelimit.hit("token", limit=1) == ratelimit.Decision(True, 0, 1)
    assert caches["default"].get(f"rl:token:{MINUTE:.0f}") == 1


def test_a_hit_writes_nothing_but_its_counter():
    backend = caches["default"]
    backend.clear()
    for _ in range(3):
        ratelimit.hit("token", limit=5, now=MINUTE)
    counter = backend.make_key(ratelimit.window_key("token", now=MINUTE))
    assert list(backend._cache) == [counter]
    assert backend.get(ratelimit.window_key("token", now=MINUTE)) == 3


class ForgetfulCache(LocMemCache):
    """Loses the first counter it is given, as if it expired between add and incr."""

    def add(self, key, value, timeout=None, version=None):
        if not getattr(self, "forgot", False):
            self.forgot = True
            return True
        return super().add(key, value, timeout, version)


@override_settings(
    CACHES={
        "default": {
            "BACKEND": "tests.licensing.api.test_ratelimit_window.ForgetfulCache",
            "LOCATION": "forgetful",
        }
    }
)
def test_a_counter_that_expired_before_its_increment_starts_again_at_one():
    key = ratelimit.window_key("token", now=MINUTE)
    with time_machine.travel(MINUTE, tick=False) as clock:
        assert ratelimit.hit("token", limit=1) == ratelimit.Decision(True, 0, 60)
        assert not ratelimit.hit("token", limit=1).allowed
        clock.shift(60.9)
        assert caches["default"].get(key) == 2
        clock.shift(0.1)
        assert caches["default"].get(key) is None


def test_reads_come_back_with_the_hit_and_only_found_keys():
    caches["default"].set("license", {"valid": True})
    decision, found = ratelimit.hit_and_get("token", ["license", "gone"], limit=5, now=MINUTE)
    assert decision == ratelimit.Decision(True, 4, 60)
    assert found == {"license": {"valid": True}}


def test_a_guarded_hit_counts_only_when_its_first_read_is_there():
    key = ratelimit.window_key("token", now=MINUTE)
    assert ratelimit.hit_and_get(
        "token", ["unknown"], limit=1, now=MINUTE, only_if_first_read=True
    ) == (None, {})
    assert caches["default"].get(key) is None

    caches["default"].set("known", 1)
    decision, found = ratelimit.hit_and_get(
        "token", ["known"], limit=1, now=MINUTE, only_if_first_read=True
    )
    assert (decision, found) == (ratelimit.Decision(True, 0, 60), {"known": 1})
    assert caches["default"].get(key) == 1


@pytest.fixture
def on_redis():
    """Django's Redis cache on fakeredis: the rate limit's Lua script, run in memory."""
    settings = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://fake-ratelimit:6379/0",
            "OPTIONS": {"connection_class": fakeredis.FakeRedisConnection},
        }
    }
    with override_settings(CACHES=settings):
        backend = caches["default"]
        backend.clear()
        yield backend, fastcache.client(backend)
        backend.clear()


def test_redis_counts_in_the_script_and_expires_a_second_past_the_window(on_redis):
    backend, client = on_redis
    key = backend.make_and_validate_key(ratelimit.window_key("token", now=MINUTE))
    with time_machine.travel(MINUTE, tick=False) as clock:
        assert ratelimit.hit("token", limit=2) == ratelimit.Decision(True, 1, 60)
        assert client.pttl(key) == 61_000
        clock.shift(30)
        assert ratelimit.hit("token", limit=2) == ratelimit.Decision(True, 0, 30)
        assert client.pttl(key) == 31_000  # set once, on the first hit
        assert ratelimit.hit("token", limit=2) == ratelimit.Decision(False, 0, 30)
        clock.shift(31.5)
        assert not client.exists(key)


def test_redis_reads_come_back_with_the_hit(on_redis):
    backend, _ = on_redis
    backend.set("license", {"valid": True})
    backend.set("empty", "")
    decision, found = ratelimit.hit_and_get(
        "token", ["license", "gone", "empty"], limit=5, now=MINUTE
    )
    assert decision == ratelimit.Decision(True, 4, 60)
    assert found == {"license": {"valid": True}, "empty": ""}


def test_redis_does_not_count_a_guarded_hit_whose_first_read_is_missing(on_redis):
    backend, client = on_redis
    key = backend.make_and_validate_key(ratelimit.window_key("token", now=MINUTE))
    assert ratelimit.hit_and_get(
        "token", ["unknown"], limit=1, now=MINUTE, only_if_first_read=True
    ) == (None, {})
    assert not client.exists(key)

    backend.set("known", 1)
    decision, found = ratelimit.hit_and_get(
        "token", ["known", "other"], limit=1, now=MINUTE, only_if_first_read=True
    )
    assert (decision, found) == (ratelimit.Decision(True, 0, 60), {"known": 1})
    assert client.get(key) == b"1"
