"""Row-check benchmark (issue #17 target 4): input rows checked at >= 50,000 rows/s, same located errors.

    python3 benchmarks/bench_rows.py [--n 100000] [--slow-n 2000] [--seed 7] [--json]

The rows are ``bench_evaluate.py``'s synthetic initiatives written as CSV and read by the built-in CSV
source, then typed as ``data.records`` types them (outside the timings). Timed, each on the same typed
rows, best of ``--rounds``:

* ``schema check, jsonschema``: the row schema through jsonschema alone (what every row paid before),
  on the first ``--slow-n`` rows;
* ``schema check``: ``data.schema.schema_problems``, the check ``evaluate`` runs: the compiled yes/no
  checker (``data/rowcheck.py``), jsonschema only for a row it doubts;
* ``row checks (schema + policy)``: that and ``data.conform.conform`` (the policy's priorities,
  attributes, currency): **the target row**;
* ``whole row`` (for reference): ``record_to_initiative`` from the source's raw record: text to typed
  values, the checks, the frozen ``Initiative``.

Then the same located errors: rows broken in 16 ways (each column's typical mistakes) are checked
with and without the fast path; any difference in the diagnostics fails the run (exit 1).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
TARGET = 50_000  # rows/s

BROKEN: tuple[tuple[str, Any], ...] = (  # (field, bad value) put into a good typed row
    ("probability", Decimal("1.5")), ("cost", Decimal("-1")), ("kind", "trainng"), ("headcount", 0),
    ("currency", "usd"), ("priorities", ["win-rate", "win-rate"]), ("evaluation_plan", ["survey"]),
    ("forecast", {"Win Rate": Decimal(1)}), ("ratings", {"feasibility": Decimal(7)}), ("title", " "),
    ("start", "2026-Q5"), ("id", "-bad id"), ("attributes", {"team size": Decimal(1)}), ("pilot", "yes"),
    ("milestones", {"2026-Q2": {"win-rate": Decimal(-1)}}), ("horizon", Decimal("2.5")),
)


def _best(fn: Callable[[], Any], rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def run(n: int, slow_n: int, seed: int, rounds: int) -> dict[str, Any]:
    import bench_evaluate
    from budgetpolicy.api import open_policy
    from budgetpolicy.data import records as rec
    from budgetpolicy.data.conform import conform
    from budgetpolicy.data.load import RowRules, _pairs, record_to_initiative
    from budgetpolicy.data.schema import _validator, schema_problems
    from budgetpolicy.errors import Diagnostics

    compiled = open_policy(str(bench_evaluate.POLICY))
    policy, rules = compiled.policy, RowRules.of(compiled.policy)
    with tempfile.TemporaryDirectory() as tmp:
        path = bench_evaluate.write_csv(Path(tmp) / "rows.csv", n, seed)
        pairs = list(_pairs(str(path), compiled.registry, "initiatives")[1])
    typed = []
    for location, record in pairs:
        problems = rec.row_diagnostics(location)
        nested, names = rec.normalise(record, "initiatives", problems)
        typed.append((rec.coerce(nested, "initiatives", names, problems, policy.attributes), names))
    validator = _validator("initiatives")

    def jsonschema_only() -> None:
        for row, _ in typed[:slow_n]:
            for _error in validator.iter_errors(row):
                raise SystemExit("a generated row is invalid")

    def schema_step() -> None:
        for row, names in typed:
            found: Diagnostics[str | None] = Diagnostics()
            schema_problems(row, "initiatives", names, found)
            if found:
                raise SystemExit(f"a generated row is invalid: {list(found)[0].format()}")

    def row_checks() -> None:
        for row, names in typed:
            found: Diagnostics[str | None] = Diagnostics()
            schema_problems(row, "initiatives", names, found)
            conform(dict(row), "initiatives", names, found, rules)
            if found:
                raise SystemExit(f"a generated row is invalid: {list(found)[0].format()}")

    def whole_rows() -> None:
        for location, record in pairs:
            record_to_initiative(record, location, policy.attributes, rules)

    rows = [{"name": "schema check, jsonschema alone (before)", "n": min(slow_n, n),
             "seconds": _best(jsonschema_only, rounds)},
            {"name": "schema check (compiled checker, jsonschema for doubted rows)", "n": n,
             "seconds": _best(schema_step, rounds)},
            {"name": "row checks: schema + policy (the target)", "n": n, "seconds": _best(row_checks, rounds),
             "target": True},
            {"name": "whole row: text to typed values, checks, frozen Initiative (for reference)", "n": n,
             "seconds": _best(whole_rows, rounds)}]
    for row in rows:
        row["rows_per_s"] = row["n"] / row["seconds"]

    # The same located errors with and without the fast path, on rows broken in each typical way.
    differ = []
    for k, (field, bad) in enumerate(BROKEN):
        row, names = typed[k % len(typed)]
        broken = {**row, field: bad}
        messages = []
        for fast in (True, False):
            found: Diagnostics[str | None] = Diagnostics()
            schema_problems(broken, "initiatives", names, found, fast=fast)
            messages.append([d.format() for d in found])
        if messages[0] != messages[1] or not messages[0]:
            differ.append(f"{field}: {messages}")
    return {"n": n, "seed": seed, "rounds": rounds, "rows": rows, "broken_rows": len(BROKEN), "differ": differ}


def table(result: dict[str, Any]) -> str:
    lines = ["| step | rows | rows/s | µs/row | >= 50,000 rows/s |", "|---|---:|---:|---:|---|"]
    for row in result["rows"]:
        met = ("yes" if row["rows_per_s"] >= TARGET else "**no**") if row.get("target") else "-"
        lines.append(f"| {row['name']} | {row['n']:,} | {row['rows_per_s']:,.0f} | "
                     f"{row['seconds'] / row['n'] * 1e6:,.1f} | {met} |")
    same = ("yes" if not result["differ"] else f"NO: {'; '.join(result['differ'])[:400]}")
    lines.append(f"\nSame located errors with and without the fast path on {result['broken_rows']} broken rows: "
                 f"{same}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--slow-n", type=int, default=2_000, help="rows for the jsonschema-alone row (slow)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print the raw result as JSON")
    args = parser.parse_args()
    result = run(args.n, args.slow_n, args.seed, args.rounds)
    print(json.dumps(result) if args.json else table(result))
    return 1 if result["differ"] else 0


if __name__ == "__main__":
    sys.exit(main())
