"""`make mutate`: mutation testing of every pure module, held to the equivalent-mutant list.

mutmut (pinned in the dev extra, configured under [tool.mutmut] in pyproject.toml) copies
the project into mutants/, mutates the modules listed in `only_mutate`, learns which fast
tests reach each function (tests/mutation/fast_tests.py keeps only tests with no database,
browser or server), and runs each mutant against those tests only.

Two additions to mutmut 3.8, made here at run time: it leaves decorated functions alone,
and our rules live in properties too (a price difference's "more"/"less", the ROI and the
payback, a limit change's direction) and in the lru-cached signing key; so a function
whose decorators are only `property` or `lru_cache` is mutated like any other, its
trampoline keeping the decorators and its copies dropping them.

Then every mutant that was not killed must be in .ci/equivalent-mutants.txt, matched by
its function and the code as mutated (never by mutmut's numbering, which moves when the
function changes), and every entry there must still match a surviving mutant. Exit 1
otherwise.

    python .ci/mutate.py            # the whole run, from nothing (what CI does)
    python .ci/mutate.py --report   # only hold the last run's results to the list
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import libcst as cst
from mutmut.__main__ import cli
from mutmut.mutation import file_mutation
from mutmut.mutation.data import SourceFileMutationData
from mutmut.mutation.diff_apply import get_diff_for_mutant
from mutmut.stats import status_by_exit_code
from mutmut.utils.file_utils import walk_mutatable_files
from mutmut.utils.format_utils import (
    mangled_name_from_mutant_name,
    orig_function_and_class_names_from_key,
)

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENTS = ROOT / ".ci" / "equivalent-mutants.txt"
LOG = ROOT / "var" / "mutate.log"
PLAIN_DECORATORS = frozenset({"property", "lru_cache", "cache"})
# A mutant that makes its tests run out of time is caught too: it would hang CI.
CAUGHT = ("killed", "timeout")


def _decorator_name(decorator: cst.BaseExpression) -> str:
    while isinstance(decorator, cst.Call):
        decorator = decorator.func
    if isinstance(decorator, cst.Attribute):
        return decorator.attr.value
    return getattr(decorator, "value", "")


def _is_plainly_decorated(node: cst.CSTNode) -> bool:
    return (
        isinstance(node, cst.FunctionDef)
        and bool(node.decorators)
        and all(_decorator_name(d.decorator) in PLAIN_DECORATORS for d in node.decorators)
    )


def teach_mutmut_properties() -> None:
    """Mutate functions decorated only with property or lru_cache (see the docstring)."""
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


def run_mutmut() -> int:
    teach_mutmut_properties()
    try:
        cli.main(["run", "--max-children", str(os.cpu_count() or 2)], standalone_mode=False)
    except SystemExit as exit:
        return int(exit.code or 0)
    return 0


@dataclass(frozen=True)
class Mutant:
    name: str
    status: str
    function: str  # billing.money.Money.__eq__
    code: str  # the mutated line(s), stripped and joined by " ⏎ "
    diff: str

    @property
    def signature(self) -> str:
        return f"{self.function} :: {self.code}"


def _function_of(name: str) -> str:
    module = mangled_name_from_mutant_name(name).rpartition(".")[0]
    function, class_name = orig_function_and_class_names_from_key(name)
    return ".".join(part for part in (module, class_name, function) if part)


def _mutated_code(diff: str) -> str:
    lines = diff.splitlines()[2:]  # past the ---/+++ header
    added = [line[1:].strip() for line in lines if line.startswith("+")]
    removed = [line[1:].strip() for line in lines if line.startswith("-")]
    return " ⏎ ".join(added) if added else "deleted: " + " ⏎ ".join(removed)


def collect_results() -> list[Mutant]:
    mutants = []
    for path in walk_mutatable_files():
        data = SourceFileMutationData(path=path)
        data.load()
        for name, exit_code in sorted(data.exit_code_by_key.items()):
            status = status_by_exit_code[exit_code]
            diff = "" if status in CAUGHT else get_diff_for_mutant(name, path=path)
            mutants.append(
                Mutant(name, status, _function_of(name), _mutated_code(diff) if diff else "", diff)
            )
    return mutants


def read_equivalents() -> dict[str, str]:
    """signature → reason, from lines `<function> :: <mutated code>  # <why>`."""
    entries = {}
    for number, line in enumerate(EQUIVALENTS.read_text().splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        signature, separator, reason = line.rpartition("  # ")
        if not separator or " :: " not in signature or not reason.strip():
            sys.exit(f"{EQUIVALENTS.name}:{number}: expected '<function> :: <code>  # <why>'")
        entries[signature.strip()] = reason.strip()
    return entries


def report(mutants: list[Mutant]) -> int:
    equivalents = read_equivalents()
    killed = [m for m in mutants if m.status in CAUGHT]
    others = [m for m in mutants if m.status not in CAUGHT]
    excused = [m for m in others if m.status == "survived" and m.signature in equivalents]
    unexpected = [m for m in others if m not in excused]
    stale = sorted(set(equivalents) - {m.signature for m in excused})

    for mutant in unexpected:
        print(f"\n{mutant.status.upper()}: {mutant.name}\n{mutant.diff}")
        print(f"  (if it cannot change behaviour, list it as: {mutant.signature}  # <why>)")
    for signature in stale:
        print(f"\nNo surviving mutant matches this entry of {EQUIVALENTS.name}: {signature}")

    print(
        f"\nMutation score: {len(killed)}/{len(mutants)} killed, {len(excused)} equivalent "
        f"(listed in .ci/{EQUIVALENTS.name}), {len(unexpected)} not accounted for."
    )
    by_status: dict[str, int] = {}
    for mutant in unexpected:
        by_status[mutant.status] = by_status.get(mutant.status, 0) + 1
    if by_status:
        print("Not accounted for: " + ", ".join(f"{n} {s}" for s, n in sorted(by_status.items())))
    return 1 if unexpected or stale else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", action="store_true", help="only report the last run")
    parser.add_argument("--mutmut", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.chdir(ROOT)

    if args.mutmut:
        return run_mutmut()
    if not args.report:
        shutil.rmtree(ROOT / "mutants", ignore_errors=True)
        LOG.parent.mkdir(exist_ok=True)
        started = time.monotonic()
        print(f"mutmut run (its output: {LOG.relative_to(ROOT)})", flush=True)
        with LOG.open("w") as log:
            code = subprocess.call(
                [sys.executable, __file__, "--mutmut"], stdout=log, stderr=subprocess.STDOUT
            )
        print(f"done in {time.monotonic() - started:.0f} s", flush=True)
        if code:
            print(LOG.read_text()[-4000:])
            print(f"mutmut failed (exit {code})")
            return code
    return report(collect_results())


if __name__ == "__main__":
    sys.exit(main())
