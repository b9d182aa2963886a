""".ci/mutate.py's own rules, without running mutmut (`make mutate` runs its self-check on
the real children): what counts as a kill, the equivalent-mutant list's format, and the
hashes that decide which modules a run mutates again."""

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("mutate", ROOT / ".ci" / "mutate.py")
mutate = sys.modules["mutate"] = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mutate)

A, B = "tests/a.py::test_a", "tests/a.py::test_b"


def recorded(*, collected=(A, B), failed=(), passed=(), skipped=(), errors=()):
    recorder = mutate.Recorder()
    recorder.collected = list(collected)
    recorder.failed, recorder.passed = list(failed), list(passed)
    recorder.skipped, recorder.collection_errors = list(skipped), list(errors)
    return recorder


@pytest.mark.parametrize(
    ("exit_code", "recorder", "verdict"),
    [
        (1, recorded(failed=[A]), mutate.KILLED),
        (0, recorded(passed=[A, B]), mutate.SURVIVED),
        # pytest's "not found": the ids it was given are not its tests.
        (4, recorded(collected=()), mutate.TEST_NOT_FOUND),
        # One id found and failing is still no kill when another was not found.
        (1, recorded(collected=[A], failed=[A]), mutate.TEST_NOT_FOUND),
        # A failing exit with no failed test: an error outside the tests.
        (1, recorded(), mutate.ERROR),
        (2, recorded(errors=["tests/a.py: ImportError"]), mutate.ERROR),
        (3, recorded(), mutate.ERROR),
        (5, recorded(), mutate.NO_TEST_RAN),
        (0, recorded(skipped=[A, B]), mutate.NO_TEST_RAN),
        (None, recorded(), mutate.ERROR),
    ],
    ids=[
        "a test failed",
        "every test passed",
        "no such test",
        "one of two not found",
        "exit 1 without a failed test",
        "collection error",
        "internal error",
        "nothing collected",
        "all skipped",
        "pytest never returned",
    ],
)
def test_only_a_failed_test_is_a_kill(exit_code, recorder, verdict):
    assert mutate.judge([A, B], exit_code, recorder)[0] == verdict


def test_an_equivalent_names_the_removed_line_and_the_added_one():
    text = (
        "# a comment\n"
        "billing.money.f :: return a + b => return a - b  # why\n"
        "billing.money.f :: return a + b => return a - b  # twice: accounts for two\n"
    )
    assert mutate.read_equivalents(text) == {"billing.money.f :: return a + b => return a - b": 2}
    with pytest.raises(SystemExit, match="expected"):
        mutate.read_equivalents("billing.money.f :: return a - b  # only the added line\n")
    with pytest.raises(SystemExit, match="expected"):
        mutate.read_equivalents("billing.money.f :: return a + b => return a - b\n")


def test_a_mutant_is_signed_by_its_function_and_both_lines():
    diff = "--- a\n+++ b\n@@ -1,2 +1,2 @@\n def f():\n-    return 1\n+    return 2\n"
    assert mutate._changed_lines(diff) == ("return 1", "return 2")
    assert mutate.signature("billing.money.f", "return 1", "") == (
        "billing.money.f :: return 1 => (nothing)"
    )


def test_a_module_s_hash_follows_its_inputs_and_nothing_else(monkeypatch):
    snapshot = mutate.Snapshot()
    tests = ["tests/billing/proration/test_prorate_by_day.py"]
    before = snapshot.digest("billing/proration.py", tests)
    assert snapshot.digest("billing/proration.py", tests) == before

    def edited(path):
        changed = mutate.Snapshot()
        changed.files = {**snapshot.files, ROOT / path: snapshot.files[ROOT / path] + b"\n"}
        return changed.digest("billing/proration.py", tests)

    assert edited("billing/proration.py") != before  # the module
    assert edited("billing/money.py") != before  # what it imports
    assert edited(tests[0]) != before  # a test that reaches it
    assert edited("tests/billing/conftest.py") != before  # that test's conftest
    assert edited("billing/checkout/quote.py") == before  # a module it does not import
    assert snapshot.digest("billing/proration.py", [*tests, "tests/billing/x.py"]) != before
    snapshot.harness = "another harness"
    assert snapshot.digest("billing/proration.py", tests) != before


def test_the_hash_file_reads_back_what_was_written(tmp_path, monkeypatch):
    monkeypatch.setattr(mutate, "HASHES", tmp_path / "hashes.txt")
    records = {
        "billing/money.py": mutate.Record("0123", "3 mutants, 2 killed, 1 equivalent", ["t.py"]),
        "billing/pricing.py": mutate.Record("4567", "1 mutants, 1 killed, 0 equivalent", []),
    }
    mutate.write_hashes(records)
    assert mutate.read_hashes() == records
