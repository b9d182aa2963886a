"""`make mutate`: mutation testing of every pure module, with a score that is true.

mutmut (pinned in the dev extra, configured under [tool.mutmut] in pyproject.toml) copies
the project into mutants/, mutates the modules listed in `only_mutate`, learns which fast
tests reach each function (tests/mutation/fast_tests.py keeps only tests with no database,
browser or server), and runs each mutant against those tests only.

Honest outcomes. mutmut 3.8 reads a mutant's fate from its child's exit code alone, so a
child that could not find its tests (pytest's exit 4), crashed or hit an internal error
was counted as a kill. Here each child runs pytest with a recorder and decides from what
actually happened: killed only when every test it was given was collected and one of them
ran and failed; survived only when they all ran and passed; anything else is "test not
found", "no test ran" or "error", written with its reason to mutants/outcomes/, reported,
and fails the run, as do a timeout and a crash. Before the mutants run, a self-check sends
known cases through the same child: the mutant that makes every mutated function raise
must be killed, the same run with a test id that does not exist must be "test not found"
(not a kill), and the unmutated code must survive.

Incremental. .ci/mutation-hashes.txt holds, for each module, a content hash of what can
change its mutants' fate: the module and the project modules it imports, the test files
that reach it (as the last run found them) with their conftest.py files and the project
modules they import, its entries in .ci/equivalent-mutants.txt, and the harness (this
file, tests/mutation/, the [tool.mutmut] and pytest settings, mutmut's version). A module
whose hash is unchanged passed with exactly these inputs, so `make mutate` mutates only
the others and records their new hashes once they pass. `make mutate-all` mutates all.
CI (`--check`) mutates the stale modules too, so a new surviving mutant fails there, and
fails as well when the file was not current.

Two additions to mutmut 3.8, made here at run time: it leaves decorated functions alone,
and our rules live in properties too (a price difference's "more"/"less", the ROI and the
payback, a limit change's direction) and in the lru-cached signing key; so a function
whose decorators are only `property` or `lru_cache` is mutated like any other, its
trampoline keeping the decorators and its copies dropping them.

Every surviving mutant must be in .ci/equivalent-mutants.txt, matched by its function,
the line it removed and the line it added (never by mutmut's numbering, which moves when
the function changes); one entry accounts for one mutant, and an entry that matches no
survivor is itself an error.

    python .ci/mutate.py            # the modules whose hash changed (make mutate)
    python .ci/mutate.py --all      # every module (make mutate-all)
    python .ci/mutate.py --check    # CI: as the first, never writes, fails on a stale file
    python .ci/mutate.py --module billing/money.py   # only these modules, whatever changed
    python .ci/mutate.py --report   # only hold the last run's results to the list
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import time
import tomllib
import traceback
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENTS = ROOT / ".ci" / "equivalent-mutants.txt"
HASHES = ROOT / ".ci" / "mutation-hashes.txt"
LOG = ROOT / "var" / "mutate.log"
OUTCOMES = ROOT / "mutants" / "outcomes"
PLAIN_DECORATORS = frozenset({"property", "lru_cache", "cache"})
FIRST_PARTY = ("billing", "licensing", "portal", "tests")

# A child's verdict, as its exit code. 0 and 1 keep mutmut's meaning; the others are ours.
SURVIVED, KILLED = 0, 1
TEST_NOT_FOUND, NO_TEST_RAN, ERROR = 40, 41, 42
OUR_STATUSES = {TEST_NOT_FOUND: "test not found", NO_TEST_RAN: "no test ran", ERROR: "error"}
# The mutmut process's own exit when the self-check fails.
SELF_CHECK_FAILED = 43
# A mutant that timed out or crashed is tried again, alone, before it is reported: on a
# busy machine a slow child is not a hanging one.
RETRIED = ("timeout", "segfault", "suspicious")


# --- Mutating properties ------------------------------------------------------------------


def _decorator_name(decorator) -> str:
    import libcst as cst

    while isinstance(decorator, cst.Call):
        decorator = decorator.func
    if isinstance(decorator, cst.Attribute):
        return decorator.attr.value
    return getattr(decorator, "value", "")


def _is_plainly_decorated(node) -> bool:
    import libcst as cst

    return (
        isinstance(node, cst.FunctionDef)
        and bool(node.decorators)
        and all(_decorator_name(d.decorator) in PLAIN_DECORATORS for d in node.decorators)
    )


def teach_mutmut_properties() -> None:
    """Mutate functions decorated only with property or lru_cache (see the docstring)."""
    from mutmut.mutation import file_mutation

    skip = file_mutation.MutationVisitor._skip_node_and_children

    def skip_node_and_children(self, node) -> bool:
        if not _is_plainly_decorated(node):
            return skip(self, node)
        # Decide as for the same function undecorated; the decorators' own nodes are
        # still skipped when the visitor reaches them.
        decorators = node.decorators
        object.__setattr__(node, "decorators", ())
        try:
            return skip(self, node)
        finally:
            object.__setattr__(node, "decorators", decorators)

    arrange = file_mutation.function_trampoline_arrangement

    def function_trampoline_arrangement(function, mutants, class_name):
        declarations, methods, assignments, names = arrange(function, mutants, class_name)
        if _is_plainly_decorated(function):
            # methods[0] is the trampoline; the original's copy and the mutants are called
            # through it as plain functions.
            methods = [methods[0], *(m.with_changes(decorators=[]) for m in methods[1:])]
        return declarations, methods, assignments, names

    file_mutation.MutationVisitor._skip_node_and_children = skip_node_and_children
    file_mutation.function_trampoline_arrangement = function_trampoline_arrangement


# --- Honest outcomes: what runs in each mutant's child --------------------------------------


class Recorder:
    """A pytest plugin that notes what was collected and how each test ended."""

    def __init__(self) -> None:
        self.collected: list[str] = []
        self.collection_errors: list[str] = []
        self.failed: list[str] = []
        self.passed: list[str] = []
        self.skipped: list[str] = []

    def pytest_collectreport(self, report) -> None:
        if report.failed:
            self.collection_errors.append(f"{report.nodeid}: {report.longreprtext[-2000:]}")

    def pytest_collection_finish(self, session) -> None:
        self.collected = [item.nodeid for item in session.items]

    def pytest_runtest_logreport(self, report) -> None:
        if report.failed and report.when in ("setup", "call"):
            self.failed.append(report.nodeid)
        elif report.skipped:
            self.skipped.append(report.nodeid)
        elif report.passed and report.when == "call":
            self.passed.append(report.nodeid)


def judge(tests: list[str], pytest_exit: int | None, recorder: Recorder) -> tuple[int, str]:
    """The verdict on one run of a mutant's tests, and why."""
    if pytest_exit is None:
        return ERROR, "pytest did not finish"
    missing = sorted(set(tests) - set(recorder.collected))
    if pytest_exit == 4 or missing:
        return TEST_NOT_FOUND, f"pytest exit {pytest_exit}; not collected: {missing}"
    if recorder.collection_errors:
        return ERROR, "collection failed: " + "; ".join(recorder.collection_errors)
    if pytest_exit == 1 and recorder.failed:
        return KILLED, f"failed: {recorder.failed[0]}"
    ran = set(recorder.passed) | set(recorder.failed)
    if pytest_exit == 0 and not recorder.failed and ran:
        return SURVIVED, f"{len(recorder.passed)} passed, {len(recorder.skipped)} skipped"
    if pytest_exit in (0, 5) and not ran:
        return NO_TEST_RAN, f"pytest exit {pytest_exit}; every test skipped or deselected"
    return ERROR, f"pytest exit {pytest_exit} with {len(recorder.failed)} failed"


def run_mutant_tests(name: str, tests: list[str]) -> int:
    """In the child: run the tests against mutant `name` ("" = none); record and return."""
    import pytest
    from mutmut.configuration import config

    os.chdir(ROOT / "mutants")  # where mutmut runs the tests: its copy of the project
    recorder = Recorder()
    pytest_exit = None
    error = ""
    args = ["--rootdir=.", "--tb=short", "-x", "-q", "-p", "no:randomly", "-p", "no:random-order"]
    try:
        pytest_exit = int(pytest.main([*args, *tests, *config().pytest_add_cli_args], [recorder]))
        verdict, reason = judge(tests, pytest_exit, recorder)
    except BaseException:
        error = traceback.format_exc()[-4000:]
        verdict, reason = ERROR, "the child raised"
    OUTCOMES.mkdir(exist_ok=True)
    (OUTCOMES / f"{name or 'unmutated'}.json").write_text(
        json.dumps(
            {
                "verdict": OUR_STATUSES.get(verdict) or ("killed" if verdict else "survived"),
                "reason": reason,
                "pytest_exit": pytest_exit,
                "tests": len(tests),
                "failed": recorder.failed[:1],
                "error": error,
            }
        )
    )
    return verdict


def honest_submit(self, mutant_name: str, tests: list[str], cpu_time_limit: int, estimated_time):
    """mutmut's ForkRunner.submit, with the child deciding as run_mutant_tests does and
    never leaving its own function (an exception there used to exit 1: a "kill")."""
    from mutmut.configuration import config
    from mutmut.mutation.trampoline import set_mutant_under_test
    from mutmut.state import state
    from mutmut.utils.safe_setproctitle import safe_setproctitle
    from mutmut.workers.isolation import MutantResult, RunningWorker
    from mutmut.workers.timeout import register_timeout

    if not tests:
        self._no_tests_results.append(MutantResult(mutant_name, 33, 0.0))
        return
    pid = os.fork()
    if pid == 0:
        verdict = ERROR
        try:
            set_mutant_under_test(mutant_name)
            safe_setproctitle(f"mutmut: {mutant_name}")
            limit = cpu_time_limit + int(time.process_time())
            resource.setrlimit(resource.RLIMIT_CPU, (limit, limit + 1))
            if not self.debug:
                sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115
            durations = state().duration_by_test
            verdict = run_mutant_tests(
                mutant_name, sorted(tests, key=lambda t: durations.get(t, 0))
            )
        finally:
            os._exit(verdict)
    wall_time_limit = (estimated_time + config().timeout_constant) * config().timeout_multiplier
    register_timeout(pid=pid, timeout_s=wall_time_limit)
    self._running[pid] = RunningWorker(mutant_name, datetime.now(), estimated_time)


def self_check(runner) -> None:
    """Send known cases through the mutants' own child (see the module docstring)."""
    from mutmut.mutation.trampoline import set_mutant_under_test
    from mutmut.state import state

    # The test that reaches the most mutated functions (the first by name among equals):
    # the same one from run to run. Not merely the first that reaches one: the stats
    # credit a test with what ran while it was collected (a module's constants built at
    # import), which its child, forked after the imports, never calls again.
    reached: dict[str, int] = {}
    for tests in state().tests_by_mangled_function_name.values():
        for t in set(tests):
            reached[t] = reached.get(t, 0) + 1
    test = min(reached, key=lambda t: (-reached[t], t))
    missing = test.split("::")[0] + "::test_that_does_not_exist_for_the_self_check"
    # mutmut's "fail" mutant makes every mutated function raise: any test reaching one
    # must fail on it.
    cases = [
        ("the mutant that makes every mutated function raise", "fail", [test], KILLED),
        ("the same, given a test id that does not exist", "fail", [missing], TEST_NOT_FOUND),
        ("the same, one id real and one missing", "fail", [test, missing], TEST_NOT_FOUND),
        ("the unmutated code", "", [test], SURVIVED),
    ]
    print(f"Self-check, with {test}:")
    wrong = []
    for label, mutant, tests, expected in cases:
        runner.submit(mutant, tests, 60, 4.0)
        got = runner.wait_for_result().exit_code
        outcome_file = OUTCOMES / f"{mutant or 'unmutated'}.json"
        reason = json.loads(outcome_file.read_text())["reason"] if outcome_file.exists() else ""
        line = f"  {label}: {status_name(got)} ({reason})"
        print(line + ("" if got == expected else f"  <- expected {status_name(expected)}"))
        if got != expected:
            wrong.append(label)
    set_mutant_under_test("")
    for name in ("fail", "unmutated"):  # the mutants' own outcomes stay (a rerun's check)
        (OUTCOMES / f"{name}.json").unlink(missing_ok=True)
    if wrong:
        print("SELF-CHECK FAILED: the harness cannot be trusted to tell a kill from an error.")
        raise SystemExit(SELF_CHECK_FAILED)
    print("    self-check passed")


def status_name(exit_code) -> str:
    """Ours first: mutmut's own table, which its counters are built from, stays as it is
    (it files our codes under "suspicious")."""
    from mutmut.stats import status_by_exit_code

    return OUR_STATUSES.get(exit_code) or status_by_exit_code[exit_code]


def make_mutmut_honest() -> None:
    import mutmut.__main__ as mutmut_main
    from mutmut.workers.isolation import ForkRunner

    ForkRunner.submit = honest_submit
    forced_fail = mutmut_main.run_forced_fail_test

    def forced_fail_then_self_check(runner) -> None:
        forced_fail(runner)
        self_check(runner)

    mutmut_main.run_forced_fail_test = forced_fail_then_self_check


def run_mutmut(modules: list[str]) -> int:
    """In the --mutmut process: mutate `modules`, then try timeouts and crashes again."""
    from mutmut.__main__ import cli
    from mutmut.configuration import config

    config().only_mutate = modules
    teach_mutmut_properties()
    make_mutmut_honest()
    jobs = str(os.cpu_count() or 2)
    code = _mutmut(cli, ["run", "--max-children", jobs])
    if code:
        return code
    again = [m.name for m in collect_results() if m.status in RETRIED]
    if again:
        print(f"\nTrying {len(again)} timed-out or crashed mutants again, one at a time")
        code = _mutmut(cli, ["run", "--max-children", "1", *again])
    return code


def _mutmut(cli, args: list[str]) -> int:
    try:
        cli.main(args, standalone_mode=False)
    except SystemExit as exit:
        return int(exit.code or 0)
    return 0


# --- Results and the equivalent-mutant list -----------------------------------------------


@dataclass(frozen=True)
class Mutant:
    name: str
    status: str
    function: str  # billing.money.Money.__eq__
    removed: str  # the original line(s), stripped and joined by " ⏎ "
    added: str  # the mutated line(s), likewise
    diff: str

    @property
    def module(self) -> str:
        return module_of(self.function)

    @property
    def signature(self) -> str:
        return signature(self.function, self.removed, self.added)


def signature(function: str, removed: str, added: str) -> str:
    return f"{function} :: {removed or '(nothing)'} => {added or '(nothing)'}"


def module_of(function: str) -> str:
    """billing.money.Money.__eq__ (or mutmut's billing.money.xǁMoneyǁ__eq__) → billing/money.py."""
    for path in configured_modules():
        if function.startswith(path.removesuffix(".py").replace("/", ".") + "."):
            return path
    return "?"


def _function_of(name: str) -> str:
    from mutmut.utils.format_utils import (
        mangled_name_from_mutant_name,
        orig_function_and_class_names_from_key,
    )

    module = mangled_name_from_mutant_name(name).rpartition(".")[0]
    function, class_name = orig_function_and_class_names_from_key(name)
    return ".".join(part for part in (module, class_name, function) if part)


def _changed_lines(diff: str) -> tuple[str, str]:
    lines = diff.splitlines()[2:]  # past the ---/+++ header
    added = [line[1:].strip() for line in lines if line.startswith("+")]
    removed = [line[1:].strip() for line in lines if line.startswith("-")]
    return " ⏎ ".join(removed), " ⏎ ".join(added)


def collect_results() -> list[Mutant]:
    from mutmut.mutation.data import SourceFileMutationData
    from mutmut.mutation.diff_apply import get_diff_for_mutant
    from mutmut.utils.file_utils import walk_mutatable_files

    mutants = []
    for path in walk_mutatable_files():
        if not (ROOT / "mutants" / f"{path}.meta").exists():
            continue
        data = SourceFileMutationData(path=path)
        data.load()
        for name, exit_code in sorted(data.exit_code_by_key.items()):
            status = status_name(exit_code)
            if status == "killed":
                # A kill counts only when the child recorded the test that failed.
                outcome = OUTCOMES / f"{name}.json"
                if not outcome.exists() or not json.loads(outcome.read_text())["failed"]:
                    status = "error"
            diff = "" if status == "killed" else get_diff_for_mutant(name, path=path)
            removed, added = _changed_lines(diff) if diff else ("", "")
            mutants.append(Mutant(name, status, _function_of(name), removed, added, diff))
    return mutants


def read_equivalents(text: str) -> Counter[str]:
    """signature → how many survivors it accounts for, from `<signature>  # <why>` lines."""
    entries: Counter[str] = Counter()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        entry, separator, reason = line.rpartition("  # ")
        if not separator or " :: " not in entry or " => " not in entry or not reason.strip():
            expected = "<function> :: <removed> => <added>  # <why>"
            sys.exit(f"{EQUIVALENTS.name}:{number}: expected '{expected}'")
        entries[entry.strip()] += 1
    return entries


@dataclass
class ModuleReport:
    mutants: int = 0
    killed: int = 0
    equivalent: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return f"{self.mutants} mutants, {self.killed} killed, {self.equivalent} equivalent"


def report(mutants: list[Mutant], modules: list[str], equivalents: str) -> dict[str, ModuleReport]:
    """Hold the mutants of `modules` to the equivalent-mutant list; print what is wrong."""
    entries = Counter(
        {
            sig: n
            for sig, n in read_equivalents(equivalents).items()
            if module_of(sig.split(" :: ")[0]) in modules
        }
    )
    reports = {module: ModuleReport() for module in modules}
    left = entries.copy()
    for mutant in mutants:
        module_report = reports.setdefault(mutant.module, ModuleReport())
        module_report.mutants += 1
        if mutant.status == "killed":
            module_report.killed += 1
        elif mutant.status == "survived" and left[mutant.signature] > 0:
            left[mutant.signature] -= 1
            module_report.equivalent += 1
        else:
            outcome = OUTCOMES / f"{mutant.name}.json"
            why = json.loads(outcome.read_text()) if outcome.exists() else {}
            detail = f"  ({why['reason']})" if why.get("reason") else ""
            if why.get("error"):
                detail += "\n" + why["error"]
            print(f"\n{mutant.status.upper()}: {mutant.name}{detail}\n{mutant.diff}")
            if mutant.status == "survived":
                print(f"  (if it cannot change behaviour, list it as: {mutant.signature}  # <why>)")
            module_report.problems.append(mutant.status)
    for sig, count in sorted(left.items()):
        if count > 0:
            print(
                f"\nNo surviving mutant matches this entry of {EQUIVALENTS.name} ({count}x): {sig}"
            )
            reports.setdefault(module_of(sig.split(" :: ")[0]), ModuleReport()).problems.append(
                "stale equivalent entry"
            )
    for module in modules:
        if reports[module].mutants == 0:
            reports[module].problems.append("no mutants")
            print(f"\n{module}: mutmut made no mutants (is it in only_mutate? has it code?)")
    return reports


# --- The hash file ------------------------------------------------------------------------


@dataclass
class Record:
    hash: str
    summary: str
    tests: list[str]


def configured_modules() -> list[str]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]["only_mutate"]


def read_hashes() -> dict[str, Record]:
    records: dict[str, Record] = {}
    if not HASHES.exists():
        return records
    current = None
    for line in HASHES.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith(" "):
            current.tests.append(line.strip())
            continue
        module, digest, summary = line.split(" ", 2)
        current = records[module] = Record(digest, summary, [])
    return records


def write_hashes(records: dict[str, Record]) -> None:
    lines = [
        "# Written by make mutate (.ci/mutate.py); CI fails when it is not current. A module",
        "# whose hash still matches passed its mutation run with these very inputs, so it is",
        "# not mutated again: the hash covers the module and the project modules it imports,",
        "# the test files below (those that reached it in that run) with their conftest.py",
        "# files and imports, its entries in equivalent-mutants.txt, and the harness.",
    ]
    for module in sorted(records):
        record = records[module]
        lines.append(f"{module} {record.hash} {record.summary}")
        lines.extend(f"    {test}" for test in record.tests)
    HASHES.write_text("\n".join(lines) + "\n")


class Snapshot:
    """The inputs of a run as they were when it started: editing a file while mutmut works
    (on its copy) must not let the new content be recorded as tested."""

    def __init__(self) -> None:
        self.files = {
            path: path.read_bytes()
            for package in FIRST_PARTY
            for path in sorted((ROOT / package).rglob("*.py"))
        }
        self.equivalents = EQUIVALENTS.read_text()
        digest = hashlib.sha256()
        pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]
        # Which modules are mutated is no input of any one module's run: a module joining
        # only_mutate must not send the others to be mutated again.
        mutmut = {k: v for k, v in pyproject["mutmut"].items() if k != "only_mutate"}
        settings = {"mutmut": mutmut, "pytest": pyproject["pytest"]}
        digest.update(json.dumps(settings, sort_keys=True).encode())
        digest.update(f"mutmut {version('mutmut')} python {sys.version_info[:2]}".encode())
        digest.update((ROOT / ".ci" / "mutate.py").read_bytes())
        for path in sorted((ROOT / "tests" / "mutation").glob("*.py")):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
        self.harness = digest.hexdigest()

    def imports(self, path: Path) -> set[Path]:
        """The first-party files `path` imports (each package's __init__.py included)."""
        found: set[Path] = set()
        package = path.parent.relative_to(ROOT).parts
        for node in ast.walk(ast.parse(self.files[path], str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = package[: len(package) - node.level + 1]
                    base = ".".join([*parent, *filter(None, [base])])
                names = [base] + [f"{base}.{alias.name}" for alias in node.names]
            else:
                continue
            for name in names:
                parts = name.split(".")
                for depth in range(1, len(parts) + 1):
                    stem = ROOT.joinpath(*parts[:depth])
                    for candidate in (stem / "__init__.py", stem.with_suffix(".py")):
                        if candidate in self.files:
                            found.add(candidate)
        return found

    def closure(self, start: list[Path]) -> set[Path]:
        seen: set[Path] = set()
        todo = [path for path in start if path in self.files]
        while todo:
            path = todo.pop()
            if path not in seen:
                seen.add(path)
                todo.extend(self.imports(path) - seen)
        return seen

    def digest(self, module: str, tests: list[str]) -> str:
        """The hash of what can change the fate of `module`'s mutants (module docstring):
        conftest.py files count by their own text (their imports serve the database
        tests, which mutation never runs)."""
        test_paths = [ROOT / test for test in tests]
        conftests = {
            directory / "conftest.py"
            for path in test_paths
            for directory in path.parents
            if directory.is_relative_to(ROOT / "tests") and directory / "conftest.py" in self.files
        }
        files = self.closure([ROOT / module]) | self.closure(test_paths) | conftests
        dotted = module.removesuffix(".py").replace("/", ".") + "."
        entries = sorted(line for line in self.equivalents.splitlines() if line.startswith(dotted))
        digest = hashlib.sha256(self.harness.encode())
        for path in sorted(files):
            digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + self.files[path])
        digest.update("\n".join(tests + entries).encode())
        return digest.hexdigest()[:16]


def covering_tests() -> dict[str, list[str]]:
    """module → the test files that reached it in the last run (mutants/mutmut-stats.json)."""
    stats = json.loads((ROOT / "mutants" / "mutmut-stats.json").read_text())
    tests: dict[str, set[str]] = {}
    for function, ids in stats["tests_by_mangled_function_name"].items():
        tests.setdefault(module_of(function), set()).update(test.split("::")[0] for test in ids)
    return {module: sorted(files) for module, files in tests.items()}


# --- The run ------------------------------------------------------------------------------


def mutate(modules: list[str]) -> int:
    shutil.rmtree(ROOT / "mutants", ignore_errors=True)
    LOG.parent.mkdir(exist_ok=True)
    started = time.monotonic()
    print(
        f"mutmut run over {len(modules)} modules (its output: {LOG.relative_to(ROOT)})", flush=True
    )
    with LOG.open("w") as log:
        code = subprocess.call(
            [sys.executable, __file__, "--mutmut", *modules], stdout=log, stderr=subprocess.STDOUT
        )
    print(f"done in {time.monotonic() - started:.0f} s", flush=True)
    text = LOG.read_text()
    if "Self-check, with" in text:
        print(text[text.index("Self-check, with") :].split("\n    self-check passed")[0])
    if code:
        print(text[-4000:])
        print(f"mutmut failed (exit {code})")
    return code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--all", action="store_true", help="mutate every module")
    mode.add_argument("--check", action="store_true", help="CI: never write; fail when stale")
    mode.add_argument("--report", action="store_true", help="only report the last run")
    mode.add_argument(
        "--module", nargs="+", metavar="PATH", help="mutate only these modules (a quick loop)"
    )
    parser.add_argument("--mutmut", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.chdir(ROOT)
    if args.mutmut is not None:
        return run_mutmut(args.mutmut)

    started = time.monotonic()
    modules = configured_modules()
    records = read_hashes()
    snapshot = Snapshot()
    for entry in read_equivalents(snapshot.equivalents):  # its format, before a long run
        if module_of(entry.split(" :: ")[0]) == "?":
            sys.exit(f"{EQUIVALENTS.name}: no module in only_mutate holds {entry}")
    if args.module:
        unknown = sorted(set(args.module) - set(modules))
        if unknown:
            sys.exit("not in [tool.mutmut] only_mutate: " + ", ".join(unknown))
        stale = [m for m in modules if m in args.module]
    elif args.report:
        stale = sorted({m.module for m in collect_results()} & set(modules))
    else:
        stale = [
            m
            for m in modules
            if args.all
            or m not in records
            or records[m].hash != snapshot.digest(m, records[m].tests)
        ]
    for module in modules:
        if module not in stale and module in records:
            print(f"unchanged since its last run: {module} ({records[module].summary})")

    reports: dict[str, ModuleReport] = {}
    tests: dict[str, list[str]] = {}
    if stale:
        if not args.report:
            print("to mutate: " + ", ".join(stale), flush=True)
            code = mutate(stale)
            if code:
                return code
        reports = report(collect_results(), stale, snapshot.equivalents)
        tests = covering_tests()

    # A module that passed gets its new hash; one that failed keeps its old line (if any),
    # so it stays stale until it passes.
    new_records = {m: records[m] for m in modules if m in records}
    for module in stale:
        if not reports[module].problems:
            found = tests.get(module, [])
            digest = snapshot.digest(module, found)
            new_records[module] = Record(digest, reports[module].summary, found)

    total: Counter[str] = Counter()
    for module in modules:
        summary = reports[module].summary if module in reports else ""
        summary = summary or (new_records[module].summary if module in new_records else "")
        for figure in filter(None, summary.split(", ")):
            number, _, what = figure.partition(" ")
            total[what] += int(number)
    failed = {m: r for m, r in reports.items() if r.problems}
    print(
        f"\nMutation score: {total['killed']}/{total['mutants']} killed, {total['equivalent']} "
        f"equivalent (listed in .ci/{EQUIVALENTS.name}), "
        f"{sum(len(r.problems) for r in failed.values())} not accounted for; "
        f"{len(stale)} of {len(modules)} modules mutated in this run."
    )
    for module, module_report in sorted(failed.items()):
        problems = Counter(module_report.problems)
        print(f"  {module}: " + ", ".join(f"{n} {what}" for what, n in sorted(problems.items())))

    code = 1 if failed else 0
    if args.check:
        if stale or set(records) - set(modules):
            print(
                f"\n{HASHES.relative_to(ROOT)} is not current for: "
                + ", ".join(sorted(set(stale) | (set(records) - set(modules))))
                + ". Run `make mutate` and commit the file it updates."
            )
            code = 1
    elif not args.report and new_records != records:
        write_hashes(new_records)
        print(f"updated {HASHES.relative_to(ROOT)}: commit it with the change")
    print(f"make mutate took {time.monotonic() - started:.0f} s")
    return code


if __name__ == "__main__":
    sys.exit(main())
