"""Memory benchmark: evaluate 1,000,000 initiatives streamed from CSV; target peak RSS under 500 MB.

    python3 benchmarks/bench_stream.py [--n 1000000] [--seed 2026] [--dir DIR] [--json]

The CSV (the layout of ``policies/acme-2026.initiatives.csv``, rows from
``bench_evaluate.draws``) is written to a temporary directory, then a child
process, whose ``ru_maxrss`` is the figure reported, runs the streaming path:

    for initiative in iter_initiatives(csv, registry, attribute_types=...):   # one row at a time
        decision = compiled.decide(initiative, context)                       # score + 12 rules
        candidates += allocation_candidates([initiative], [decision], ...)    # small, only if eligible
    allocate(candidates, settings, registry)                                  # needs the whole portfolio
    check(candidates, result)    # every Funding built and checked (allocated <= pool, sums, one per candidate)

Decisions are counted and dropped (a real run would write each to a sink or
the ledger); only the allocation candidates of approved and pending
initiatives are kept, since allocation needs the whole portfolio.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_evaluate import EVALUATED_AT, POLICY, write_csv  # noqa: E402


def stream(path: str) -> dict:
    from budgetpolicy.api import open_policy
    from budgetpolicy.allocation.allocate import allocate
    from budgetpolicy.allocation.candidates import allocation_candidates, allocation_settings
    from budgetpolicy.engine.compile import EvaluationContext
    from budgetpolicy.data.load import iter_initiatives

    started = time.perf_counter()
    compiled = open_policy(str(POLICY))
    context = EvaluationContext(evaluated_at=EVALUATED_AT, explain=False)
    settings = allocation_settings(compiled.policy, context.pool_delta)
    assert settings is not None
    outcomes: Counter[str] = Counter()
    candidates = []
    for initiative in iter_initiatives(path, compiled.registry, attribute_types=compiled.policy.attributes):
        decision = compiled.decide(initiative, context)
        outcomes[decision.outcome] += 1
        candidates += allocation_candidates([initiative], [decision], settings)
    decided = time.perf_counter()
    streamed_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = allocate(candidates, settings, compiled.registry)
    done = time.perf_counter()
    funded = check(candidates, result)
    checked = time.perf_counter()
    return {"initiatives": sum(outcomes.values()), "outcomes": dict(outcomes), "candidates": len(candidates),
            "funded": funded, "decide_seconds": decided - started, "allocate_seconds": done - decided,
            "check_seconds": checked - done, "seconds": done - started, "rss_after_stream_mb": streamed_rss,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def check(candidates: list, result) -> int:
    """The allocation is whole and within the pool: one Funding per candidate (each built, with its
    explanation, from the compact result), amounts adding up to the summary; returns how many got money."""
    from decimal import Decimal

    s = result.summary
    total, funded, steps = Decimal(0), 0, 0
    for c, (key, f) in zip(candidates, result.fundings.items(), strict=True):
        assert key == c.id and 0 <= f.amount <= f.requested == c.cost and f.explanation, (key, f)
        total += f.amount
        funded += f.amount > 0
        steps += f.step != "unfunded"
    assert len(result.fundings) == len(candidates) == s.funded_count + s.unfunded_count
    assert total == s.allocated <= s.pool and s.allocated + s.leftover == s.pool
    assert steps == s.funded_count and sum(s.by_department.values()) == s.allocated
    probe = candidates[len(candidates) // 2].id
    assert result.fundings[probe] == result.fundings.get(probe) and "no-such-id" not in result.fundings
    return funded


def run(n: int, seed: int, directory: str | None = None) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-stream-", dir=directory) as tmp:
        path = Path(tmp) / f"initiatives-{n}.csv"
        started = time.perf_counter()
        write_csv(path, n, seed)
        written = time.perf_counter() - started
        size_mb = path.stat().st_size / 2**20
        out = subprocess.run([sys.executable, __file__, "--child", str(path)], check=True,
                             capture_output=True, text=True)
        result = json.loads(out.stdout)
    result.update({"n": n, "seed": seed, "csv_mb": size_mb, "write_seconds": written})
    if result["initiatives"] != n:
        raise SystemExit(f"streamed {result['initiatives']} initiatives, expected {n}")
    return result


def table(r: dict) -> str:
    rate = r["initiatives"] / r["seconds"]
    return "\n".join([
        "| initiatives | CSV size | decide (stream) | allocate | total | initiatives/s | candidates kept "
        "| peak RSS before allocation | peak RSS |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {r['initiatives']:,} | {r['csv_mb']:,.0f} MB | {r['decide_seconds']:,.1f} s | {r['allocate_seconds']:,.1f} s "
        f"| {r['seconds']:,.1f} s | {rate:,.0f} | {r['candidates']:,} | {r['rss_after_stream_mb']:,.0f} MB "
        f"| {r['peak_rss_mb']:,.0f} MB |",
        "", f"outcomes: {r['outcomes']}; funded: {r['funded']:,}",
    ])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--dir", default=None, help="where to write the temporary CSV (default: system temp)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(stream(args.child)))
        return 0
    result = run(args.n, args.seed, args.dir)
    print(json.dumps(result) if args.json else table(result))
    return 0 if result["peak_rss_mb"] < 500 else 1


if __name__ == "__main__":
    sys.exit(main())
