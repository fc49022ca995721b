"""A second pass over mutmut's survivors with the whole test suite (issue #18, item 7).

    python benchmarks/mutation_wide.py sample > mutants/sample.txt   # a seeded 17% of each package's mutants
    python benchmarks/mutation_wide.py map        # after `mutmut run`: which tests call each mutated function
    python benchmarks/mutation_wide.py kill       # each survivor against every in-process test that calls it
    python benchmarks/mutation_wide.py kill --only 'budgetpolicy.engine.*'
    python benchmarks/mutation_wide.py kill --extra tests/allocation/test_new.py   # tests written since map

mutmut judges a mutant by the tests of ``[tool.mutmut] pytest_add_cli_args_test_selection`` that call the
mutated function: the engine, allocation, review and reliability tests. Many behaviours of those stages
are tested elsewhere (data, evidence, explain, policy, year, replay, golden output), so a mutant can
survive mutmut's selection and still fail the suite. This pass asks the whole suite, the way mutmut does:

``map``  runs every test once in mutmut's ``mutants/`` copy with ``MUTANT_UNDER_TEST=stats`` and the
         ``mutation_hits`` plugin, which files each call of a mutated function under the running test
         (two xdist workers); the result is ``mutants/wide-hits.json``.
``kill`` takes the mutants mutmut left ``survived`` or ``no tests``, and runs for each, with that mutant switched on
         (``MUTANT_UNDER_TEST=<name>``, the mutated copy first on the path), the tests that call its
         function, fastest first, stopping at the first failure (``pytest -x``). Killed or survived is
         written to
         ``mutants/wide-results.json``, which ``stress_mutation.py`` reads. A mutant whose tests have not
         failed after ``--timeout`` seconds is "stopped" and counted as survived.

Tests that start the CLI in a subprocess import the installed budgetpolicy, not the mutated copy, so
they call no mutated function here either: the pass, like mutmut's, is a lower bound.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import fnmatch
import glob
import itertools
import json
import os
import random
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

from stress_mutation import equivalent_reason, function_of  # noqa: E402  # benchmarks/ is this script's directory

ROOT = Path(__file__).resolve().parents[1]
MUTANTS = ROOT / "mutants"
HITS = MUTANTS / "wide-hits.json"
RESULTS = MUTANTS / "wide-results.json"
PYTEST = ["-p", "no:randomly", "-p", "no:cacheprovider", "--rootdir=.", "-q", "--tb=line",
          # as [tool.mutmut] pytest_add_cli_args: these start the CLI with the mutated copy from a temporary
          # directory, where the trampolines cannot find mutmut's configuration
          "--deselect", "tests/review/test_rollout_gate.py::test_a_rollout_in_the_plan_waits_for_its_pilot",
          "--deselect", "tests/review/test_rollout_gate.py::test_evaluate_refuses_a_rollout_of_an_unknown",
          "--deselect", "tests/review/test_rollout_gate.py::test_validate_warns_when_a_pilot_could_pass"]
CAUGHT = ("killed", "timeout")
# mutmut's own test selection ([tool.mutmut] pytest_add_cli_args_test_selection): a survivor passed them.
SELECTED = ("tests/engine/", "tests/allocation/", "tests/review/", "tests/reliability/")
# A mutant's CPU budget: CPU_FACTOR times its tests' unmutated seconds (from `map`) plus CPU_SLACK.
CPU_FACTOR, CPU_SLACK = 10, 30


def _env(mutant: str) -> dict[str, str]:
    paths = [str(MUTANTS / "src"), str(ROOT / "benchmarks"), os.environ.get("PYTHONPATH", "")]
    return {**os.environ, "MUTANT_UNDER_TEST": mutant, "PYTHONPATH": os.pathsep.join(filter(None, paths)),
            "BUDGETPOLICY_PLUGINS": os.environ.get("BUDGETPOLICY_PLUGINS", "")}


def sample(fraction: float, seed: int) -> int:
    """A seeded random sample of every package's mutants, printed one name a line (``mutmut run NAMES``)."""
    by: dict[str, list[str]] = {}
    for meta in sorted(glob.glob(str(MUTANTS / "src" / "**" / "*.meta"), recursive=True)):
        for name in sorted(json.loads(Path(meta).read_text(encoding="utf-8"))["exit_code_by_key"]):
            by.setdefault(name.split(".")[1], []).append(name)
    rng = random.Random(seed)
    for package in sorted(by):
        print("\n".join(sorted(rng.sample(by[package], round(len(by[package]) * fraction)))))
    return 0


def map_tests(workers: int) -> int:
    out = MUTANTS / "wide-hits-part"
    for stale in glob.glob(f"{out}.*.json"):
        os.unlink(stale)
    env = {**_env("stats"), "MUTATION_HITS_OUT": str(out)}
    command = [sys.executable, "-m", "pytest", "-p", "mutation_hits", "-n", str(workers), *PYTEST, "tests"]
    started = time.monotonic()
    code = subprocess.run(command, cwd=MUTANTS, env=env).returncode
    hits: dict[str, set[str]] = {}
    seconds: dict[str, float] = {}
    failed: set[str] = set()
    for part in glob.glob(f"{out}.*.json"):
        data = json.loads(Path(part).read_text(encoding="utf-8"))
        for function, tests in data["hits"].items():
            hits.setdefault(function, set()).update(tests)
        seconds.update(data["seconds"])
        failed.update(data["failed"])
    # A test that fails with no mutant on would "kill" every mutant: it judges none.
    kept = {k: sorted(v - failed) for k, v in sorted(hits.items()) if v - failed}
    HITS.write_text(json.dumps({"hits": kept, "seconds": seconds, "failed": sorted(failed)}), encoding="utf-8")
    print(f"{len(kept)} mutated functions called by {len(seconds) - len(failed)} passing tests; {len(failed)} "
          f"tests fail in the mutants copy with no mutant on and are left out ({time.monotonic() - started:.0f} s, "
          f"pytest exit {code}) -> {HITS}")
    return 0 if hits else 1


def survivors(only: str | None, unchecked: set[str]) -> list[str]:
    """The mutants mutmut recorded as survived, or as reached by none of its selected tests (exit codes 0
    and 33 in its .meta files): the whole suite may still reach them. With ``unchecked`` (the names of a
    sample), also those of them mutmut has not run (no exit code): this pass judges them alone."""
    found = []
    for meta in sorted(glob.glob(str(MUTANTS / "src" / "**" / "*.meta"), recursive=True)):
        data = json.loads(Path(meta).read_text(encoding="utf-8"))
        found += [name for name, code in sorted(data["exit_code_by_key"].items())
                  if code in (0, 33) or (code is None and name in unchecked)]
    return [name for name in found if only is None or fnmatch.fnmatch(name, only)]


def mutmut_codes() -> dict[str, int | None]:
    codes: dict[str, int | None] = {}
    for meta in glob.glob(str(MUTANTS / "src" / "**" / "*.meta"), recursive=True):
        codes.update(json.loads(Path(meta).read_text(encoding="utf-8"))["exit_code_by_key"])
    return codes


def passing(tests: list[str]) -> list[str]:
    """Of ``tests`` (files or ids under mutants/), the ids that pass with no mutant switched on."""
    report = MUTANTS / "wide-extra.json"
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:xdist", *PYTEST, "-rA", *tests], cwd=MUTANTS,
                          env=_env(""), capture_output=True, text=True)
    ok = [line.split(" ", 1)[1].strip() for line in proc.stdout.splitlines() if line.startswith("PASSED ")]
    report.write_text(json.dumps({"asked": tests, "passed": ok}, indent=1), encoding="utf-8")
    print(f"{len(ok)} of the extra tests pass with no mutant on (pytest exit {proc.returncode})")
    return ok


def kill(only: str | None, workers: int, timeout: float, extra: list[str], unchecked: set[str],
         extra_only: bool = False) -> int:
    """Each survivor in a child forked from one process that has imported every test module once (as
    mutmut's own forkserver does): the child switches the mutant on and runs the tests with ``-x``."""
    mapping = json.loads(HITS.read_text(encoding="utf-8"))
    hits, seconds = mapping["hits"], mapping["seconds"]
    results = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    # Survivors first, then the mutants mutmut's tests never reached; each group in a seeded random order,
    # so a pass cut short has checked a random sample of each (its kill rate estimates the whole group's).
    found = survivors(only, unchecked)
    codes = mutmut_codes()
    todo = []
    for code in (0, 33, None):
        group = sorted(m for m in found if codes.get(m) == code
                       and (m not in results if not extra_only else results.get(m, {}).get("status") not in CAUGHT))
        group = [m for m in group if equivalent_reason(m) is None]  # read against the code: nothing to run
        random.Random(20261201).shuffle(group)
        todo += group
    print(f"{len(todo)} survivors to check ({len(results)} checked before)", flush=True)
    # Tests written after `map` (copied into mutants/tests): asked of every survivor, if they pass clean.
    added = passing(extra) if extra else []
    os.environ.update(_env(""))
    os.chdir(MUTANTS)
    sys.path[:0] = [str(MUTANTS / "src"), str(ROOT / "benchmarks")]
    import pytest

    from mutmut.mutation.trampoline import set_mutant_under_test

    logs = MUTANTS / "wide-logs"
    logs.mkdir(exist_ok=True)
    with open(logs / "collect.txt", "w", encoding="utf-8") as out, contextlib.redirect_stdout(out):
        pytest.main(["--collect-only", "-q", "-p", "no:xdist", *PYTEST, "tests"])  # imports every test module
    running: dict[int, tuple[str, float, int]] = {}
    numbers = itertools.count(1)

    def start(mutant: str) -> None:
        tests = sorted(hits.get(function_of(mutant), ()), key=lambda t: (seconds.get(t, 0.0), t))
        if codes.get(mutant) == 0:  # mutmut ran its selection on it, and every test passed: not again
            tests = [t for t in tests if not t.startswith(SELECTED)]
        tests = added + [t for t in tests if t not in added] if not extra_only else added
        if not tests:
            record(mutant, {"status": "no tests", "tests": 0})
            return
        log = logs / f"{next(numbers)}.txt"
        budget = int(CPU_FACTOR * sum(seconds.get(t, 1.0) for t in tests) + CPU_SLACK)  # a forked child's CPU clock starts at 0
        pid = os.fork()
        if pid == 0:  # the child: the mutant on, the tests run, the exit code is the verdict
            code = 3
            try:
                fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
                os.dup2(fd, 1)
                os.dup2(fd, 2)
                signal.alarm(int(timeout))
                # mutmut's rule: a mutant that makes its tests take far longer than they do unmutated is
                # caught ("timeout"). Counted in CPU seconds, so a busy machine cannot fake one.
                resource.setrlimit(resource.RLIMIT_CPU, (budget, budget + 5))
                set_mutant_under_test(mutant)
                code = int(pytest.main(["-x", "-p", "no:xdist", *PYTEST, *tests]))
            finally:
                os._exit(code)
        running[pid] = (mutant, time.monotonic(), len(tests), budget)
        paths[pid] = log

    def record(mutant: str, result: dict[str, object]) -> None:
        results[mutant] = result
        # Another pass (say --extra-only) may be writing too: merge under a lock, never overwrite its verdicts.
        with open(f"{RESULTS}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            on_disk = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
            if on_disk.get(mutant, {}).get("status") in CAUGHT and result["status"] not in CAUGHT:
                return
            on_disk[mutant] = result
            RESULTS.write_text(json.dumps(on_disk, indent=1, sort_keys=True), encoding="utf-8")
        print(f"[{len(results)}] {result['status']:9} {mutant} ({result.get('seconds', 0)} s)", flush=True)

    paths: dict[int, Path] = {}
    queue = list(todo)
    while queue or running:
        while queue and len(running) < workers:
            start(queue.pop(0))
        if not running:
            continue
        pid, status, usage = os.wait4(-1, 0)
        mutant, began, count, budget = running.pop(pid)
        cpu = usage.ru_utime + usage.ru_stime
        text = paths.pop(pid).read_text(encoding="utf-8", errors="replace")
        if os.WIFSIGNALED(status) and (os.WTERMSIG(status) == signal.SIGXCPU or cpu >= budget):
            verdict = "timeout"  # past its CPU budget (past the hard limit the kernel sends SIGKILL)
        elif os.WIFSIGNALED(status):
            # Out of wall-clock time: undecided, counted as survived (a lower bound).
            verdict = "stopped" if os.WTERMSIG(status) == signal.SIGALRM else f"signal {os.WTERMSIG(status)}"
        else:
            verdict = {0: "survived", 1: "killed"}.get(os.WEXITSTATUS(status), f"pytest exit {os.WEXITSTATUS(status)}")
        failed = next((line for line in text.splitlines() if line.startswith(("FAILED", "ERROR"))), "")
        if extra_only and verdict not in CAUGHT:
            continue  # the extra tests alone do not judge a survivor: its earlier verdict (or none) stands
        record(mutant, {"status": verdict, "tests": count, "seconds": round(time.monotonic() - began, 1),
                        "cpu": round(cpu, 1), "budget": budget,
                        "by": failed[:300]})
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("step", choices=["sample", "map", "kill"])
    parser.add_argument("--fraction", type=float, default=0.17, help="sample: the share of each package's mutants")
    parser.add_argument("--seed", type=int, default=20261201, help="sample: the random seed")
    parser.add_argument("--only", help="mutant names matching this pattern (fnmatch)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=300,
                        help="wall-clock seconds for one mutant's tests; a mutant not killed by then is 'stopped', "
                             "counted as survived (past its CPU budget it is a 'timeout', counted as caught)")
    parser.add_argument("--extra", nargs="*", default=[], help="kill: test files written after map (copied into "
                        "mutants/tests), asked of every survivor when they pass with no mutant on")
    parser.add_argument("--extra-only", action="store_true", help="kill: run only the --extra tests, on every "
                        "survivor not yet caught (those the pass judged and those it did not reach); only a kill "
                        "is recorded")
    parser.add_argument("--unchecked", metavar="SAMPLE", help="kill: also judge the mutants named in SAMPLE that "
                        "mutmut has not run (a run stopped early), after the survivors")
    args = parser.parse_args()
    if not MUTANTS.is_dir():
        parser.error(f"{MUTANTS} does not exist: run 'make mutation' (mutmut) first")
    if args.step == "sample":
        return sample(args.fraction, args.seed)
    if args.step == "map":
        return map_tests(args.workers)
    unchecked = set(Path(args.unchecked).read_text(encoding="utf-8").split()) if args.unchecked else set()
    if args.extra_only and not args.extra:
        parser.error("--extra-only needs --extra FILES")
    return kill(args.only, args.workers, args.timeout, args.extra, unchecked, args.extra_only)


if __name__ == "__main__":
    sys.exit(main())
