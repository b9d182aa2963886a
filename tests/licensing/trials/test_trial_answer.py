"""The API's answer with a trial in force (licensing.api.answer, pure): it names the
trial, is kept no longer than the trial's end, and the result carries it."""

from datetime import UTC, date, datetime, timedelta

from licensing.api.answer import license_answer, validation_result
from licensing.licenses.grants import Entitlements

AT = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
TRIAL = {
    "tier": {"slug": "business", "name": "Business"},
    "version": 1,
    "ends_at": "2026-03-14T09:32:00+00:00",
}


def answer(**trial):
    return license_answer(
        revision=3,
        key_hash="abc",
        status="active",
        license={"tier": "business"},
        entitlements=Entitlements(),
        renews_on=date(2026, 4, 1),
        grace_until=None,
        fingerprints=[],
        at=AT,
        **trial,
    )


def test_the_answer_names_the_trial_and_is_kept_no_longer_than_its_end():
    found, timeout = answer(trial=TRIAL, trial_ends_at=AT + timedelta(minutes=2))
    assert found["trial"] == TRIAL
    assert timeout == 120
    assert validation_result(found, "abc", None)["trial"] == TRIAL


def test_a_trial_ending_later_than_the_longest_keep_changes_nothing():
    _found, timeout = answer(trial=TRIAL, trial_ends_at=AT + timedelta(days=14))
    assert timeout == 300


def test_without_a_trial_the_answer_says_none():
    found, timeout = answer()
    assert found["trial"] is None and timeout == 300
    assert validation_result(found, "abc", None)["trial"] is None
