"""Reliability at scale, outside CI (issue #18, item 6): crashes, concurrency and fuzzed input.

    python benchmarks/stress.py --quick                    # a few minutes: every part, small sizes
    nice -n 19 python benchmarks/stress.py                 # the issue's full sizes (see docs/reliability.md)
    python benchmarks/stress.py --only kill-evaluate --trials 200

Parts (``--only`` picks one; by default all run, one after the other):

kill-evaluate  ``evaluate --ledger`` processes killed with SIGKILL at random moments, half of them
               right after the ledger's WAL file is first written (mid-transaction)
kill-review    the same for ``review --ledger`` recording quarters of a signed plan
writers        16 processes x 500 decisions appended at once to one ledger, one transaction each
expressions    hypothesis-generated condition texts through the compiler and the evaluator
rows           fuzzed initiative rows, CSV and JSON, through ``budgetpolicy evaluate`` (cli.main)

After every kill trial: ``budgetpolicy ledger verify`` exits 0, the ledger grew by nothing or by exactly
one whole batch (no partial record), every record seen before is still there with the same hash (no
lost committed record) and a run that exited 0 has its batch in the ledger. Every exit is counted by
code; exit 3 ("internal error") and any exception that is not a BudgetPolicyError are bugs, listed with
the input that caused them. The script exits 1 when any invariant broke or any internal error was seen.

It runs the budgetpolicy of the tree it lives in (its ``src`` first on the path, also for the
processes it starts), with only the built-in plugins.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ["BUDGETPOLICY_PLUGINS"] = ""  # only the built-ins: installed plugins must not change results
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))

# Part name -> (quick size, full size): trials, writers x decisions, expressions, rows.
SIZES = {
    "kill-evaluate": (30, 1000),
    "kill-review": (30, 1000),
    "writers": ((4, 50), (16, 500)),
    "expressions": (3000, 100_000),
    "rows": (400, 10_000),
}


_deadline: list[float] = []  # when the running part must stop (``--minutes`` per part), if given


def time_up() -> bool:
    """True once the running part has used its ``--minutes``: a loop then stops and says how far it got."""
    return bool(_deadline) and time.monotonic() > _deadline[0]


class Tally:
    """What one part saw: counts by kind (an exit code, a BP code, an outcome) and the problems."""

    def __init__(self, part: str) -> None:
        self.part = part
        self.counts: Counter[str] = Counter()
        self.problems: list[str] = []  # broken invariants and internal errors: each a bug
        self.internal = 0
        self.facts: dict[str, object] = {}
        self.started = time.monotonic()

    def count(self, kind: str, n: int = 1) -> None:
        self.counts[kind] += n

    def problem(self, text: str, internal: bool = False) -> None:
        self.internal += internal
        if len(self.problems) < 50:  # enough to act on; the count is in ``internal``/``counts``
            self.problems.append(text)
        self.counts["internal error" if internal else "invariant broken"] += 1

    def as_dict(self) -> dict[str, object]:
        return {"part": self.part, "seconds": round(time.monotonic() - self.started, 1),
                "counts": dict(sorted(self.counts.items())), "internal_errors": self.internal,
                "problems": self.problems, **self.facts}


def _run_part(name: str, quick: bool, args: argparse.Namespace) -> Tally:
    size = SIZES[name][0 if quick else 1]
    if name in ("kill-evaluate", "kill-review"):
        import stress_kill

        trials = args.trials or size
        runner = stress_kill.kill_evaluate if name == "kill-evaluate" else stress_kill.kill_review
        return runner(trials, args.seed)
    if name == "writers":
        import stress_writers

        writers, decisions = size
        writers, decisions = args.writers or writers, args.decisions or decisions
        return stress_writers.writers(writers, decisions)
    import stress_fuzz

    if name == "expressions":
        return stress_fuzz.expressions(args.examples or size, args.seed)
    return stress_fuzz.rows(args.rows or size, args.seed)


def _markdown(results: list[dict[str, object]], command: str) -> str:
    lines = [f"`{command}` ({time.strftime('%Y-%m-%d')}, Python {platform.python_version()}, "
             f"{os.cpu_count()} CPUs)", "", "| part | size | seconds | internal errors | invariants broken | outcomes |",
             "|---|---|---|---|---|---|"]
    for r in results:
        counts = dict(r["counts"])  # type: ignore[call-overload]
        broken = counts.pop("invariant broken", 0)
        counts.pop("internal error", None)
        outcomes = ", ".join(f"{k}: {v:,}" for k, v in counts.items())
        size = f"{r.get('size', '')}{' (stopped early: see outcomes)' if r.get('stopped_early') else ''}"
        lines.append(f"| {r['part']} | {size} | {r['seconds']} | {r['internal_errors']} | {broken} "
                     f"| {outcomes} |")
    return "\n".join(lines)


def main() -> int:
    # The parts import this module as ``stress``: make that name this very module (run as a script it is
    # ``__main__``), so the deadline set below is the one their ``time_up()`` reads.
    sys.modules.setdefault("stress", sys.modules[__name__])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a few minutes)")
    parser.add_argument("--only", choices=sorted(SIZES), action="append", help="run only this part (repeatable)")
    parser.add_argument("--trials", type=int, help="kill trials per kill part")
    parser.add_argument("--examples", type=int, help="fuzzed expressions")
    parser.add_argument("--rows", type=int, help="fuzzed data rows")
    parser.add_argument("--writers", type=int, help="concurrent writers")
    parser.add_argument("--decisions", type=int, help="decisions per writer")
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON (after each part)")
    parser.add_argument("--minutes", type=float, help="stop each part after this many minutes; the figures say "
                        "how many trials ran (for a shared machine: the sizes are the issue's, not guaranteed)")
    args = parser.parse_args()
    results = []
    command = ("python benchmarks/stress.py " + " ".join(sys.argv[1:])).strip()
    for name in args.only or list(SIZES):
        print(f"-- {name}", file=sys.stderr, flush=True)
        _deadline[:] = [time.monotonic() + args.minutes * 60] if args.minutes else []
        tally = _run_part(name, args.quick, args)
        result = tally.as_dict()
        results.append(result)
        print(json.dumps(result, indent=1), file=sys.stderr, flush=True)
        if args.json:
            Path(args.json).write_text(json.dumps({"command": command, "results": results}, indent=1) + "\n")
    print(_markdown(results, command))
    return 1 if any(r["problems"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
