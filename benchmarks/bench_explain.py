"""What explanations cost per decision, counterfactuals above all, and what replay pays for them.

    python3 benchmarks/bench_explain.py [--n 1000] [--records 2000] [--batch 200] [--baseline-src DIR] [--json]

Each measurement runs in its own process with ``PYTHONPATH`` set to a source tree: this checkout's
``src`` ("after"), and with ``--baseline-src`` another tree's ``src`` ("before"; e.g. a checkout of the
commit before analytic counterfactuals), so both are measured in the same run on the same data:

* ``evaluate``: ``--n`` synthetic initiatives (``bench_evaluate.draws``, seed 2026) under the bundled
  policy, evaluated with counterfactuals off and every explanation built (score lines, traces,
  narrative), then again with counterfactuals on (what ``--format json``, ``explain`` and the report
  show). The difference per decision is what counterfactuals cost; counted alongside: decisions re-made
  per rejected or pending initiative, allocations re-run per deferred one, and how many deferred
  initiatives' funding thresholds were not computed (over the re-allocation budget).
* ``replay``: a ledger of ``--records`` decisions (the bundled example's initiatives with fresh ids, in
  evaluations of ``--batch``) recorded with counterfactuals on, replayed live: replay recomputes the
  counterfactuals of every batch that carried some, and compares them.

Prints a Markdown table (``--json``: the raw figures).
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
POLICY = ROOT / "policies" / "acme-2026.toml"
INITIATIVES = ROOT / "policies" / "acme-2026.initiatives.csv"
EVALUATED_AT = dt.datetime(2026, 1, 15, 9, 0, tzinfo=dt.timezone.utc)


def measure_evaluate(n: int) -> dict:
    """Runs in the measured tree's process: counterfactuals off vs on, every explanation built."""
    sys.path.insert(0, str(HERE))
    import bench_evaluate

    import budgetpolicy.allocation.allocate as allocate_module
    from budgetpolicy.api import open_policy
    from budgetpolicy.data.load import apply_attribute_types
    from budgetpolicy.engine.compile import CompiledPolicy, EvaluationContext

    compiled = open_policy(str(POLICY))
    initiatives = apply_attribute_types(bench_evaluate.initiatives(n, 2026), compiled.policy.attributes)
    timings = {}
    for explain in (False, True):
        started = time.perf_counter()
        evaluation = compiled.evaluate(initiatives, EvaluationContext(evaluated_at=EVALUATED_AT, explain=explain))
        explained = list(evaluation.explained())
        timings[explain] = time.perf_counter() - started
    outcomes = collections.Counter(d.outcome for d in evaluation.decisions)
    # Count the work counterfactuals do: decisions re-made and allocations re-run (a fresh evaluation, counted).
    counts = collections.Counter()
    decide, allocate = CompiledPolicy.decide, allocate_module.allocate

    def counted_decide(self, initiative, context):
        counts["decide"] += 1
        return decide(self, initiative, context)

    def counted_allocate(*args, **kwargs):
        counts["allocate"] += 1
        return allocate(*args, **kwargs)

    evaluation = compiled.evaluate(initiatives, EvaluationContext(evaluated_at=EVALUATED_AT))
    CompiledPolicy.decide, allocate_module.allocate = counted_decide, counted_allocate
    try:
        texts = evaluation.counterfactuals
    finally:
        CompiledPolicy.decide, allocate_module.allocate = decide, allocate
    deferred = [d.initiative_id for d in evaluation.decisions if d.outcome == "deferred"]
    return {"n": n, "plain_s": timings[False], "explained_s": timings[True], "outcomes": dict(outcomes),
            "decides": counts["decide"], "allocations": counts["allocate"],
            "explanations": len(explained),
            "not_computed": sum(1 for i in deferred if any("not computed" in t for t in texts.get(i, ())))}


def measure_replay(records: int, batch: int) -> dict:
    """Runs in the measured tree's process: build a ledger with counterfactuals on, replay it live."""
    from attrs import evolve

    from budgetpolicy.api import open_policy, read_initiatives
    from budgetpolicy.audit.ledger import Ledger
    from budgetpolicy.audit.replay import replay
    from budgetpolicy.data.load import apply_attribute_types
    from budgetpolicy.engine.compile import EvaluationContext

    compiled = open_policy(str(POLICY))
    base = read_initiatives(str(INITIATIVES), compiled.registry)
    start = dt.datetime(2026, 1, 5, 9, tzinfo=dt.timezone.utc)
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "replay.db")
        with Ledger(path, durable=False) as ledger:
            for n in range(records // batch):
                raw = [evolve(base[k % len(base)], id=f"INI-{n:05d}-{k:05d}", cost=base[k % len(base)].cost + k % 97)
                       for k in range(batch)]
                context = EvaluationContext(evaluated_at=start + dt.timedelta(minutes=n), as_of=dt.date(2026, 1, 15))
                ledger.record_evaluation(compiled.evaluate(apply_attribute_types(raw, compiled.policy.attributes),
                                                           context), raw)
        started = time.perf_counter()
        report = replay(path, mode="live")
        seconds = time.perf_counter() - started
    assert report.changes == [], report.changes[:3]
    return {"records": report.replayed, "replay_s": seconds}


def run_in(src: str, args: argparse.Namespace) -> dict:
    env = dict(os.environ, PYTHONPATH=src, BUDGETPOLICY_PLUGINS="")
    out = subprocess.run([sys.executable, __file__, "--phase", "--n", str(args.n), "--records", str(args.records),
                          "--batch", str(args.batch)], capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise SystemExit(f"bench_explain: the measurement under {src} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def figures(m: dict) -> dict[str, float]:
    e = m["evaluate"]
    o = e["outcomes"]
    approval = o.get("rejected", 0) + o.get("pending_approval", 0)
    return {
        "counterfactuals, ms per decision": (e["explained_s"] - e["plain_s"]) / e["n"] * 1e3,
        "every explanation without counterfactuals, ms per decision": e["plain_s"] / e["n"] * 1e3,
        "every explanation with counterfactuals, ms per decision": e["explained_s"] / e["n"] * 1e3,
        "decisions re-made per rejected or pending initiative": e["decides"] / max(approval, 1),
        "allocations re-run per deferred initiative": e["allocations"] / max(o.get("deferred", 0), 1),
        "deferred initiatives whose funding thresholds were not computed": e["not_computed"],
        "replay --mode live with counterfactuals, decisions/s": m["replay"]["records"] / m["replay"]["replay_s"],
    }


def table(data: dict) -> str:
    after, before = figures(data["after"]), figures(data["before"]) if data.get("before") else None
    e = data["after"]["evaluate"]
    lines = [f"{e['n']:,} initiatives ({', '.join(f'{v:,} {k}' for k, v in sorted(e['outcomes'].items()))}); "
             f"replay of {data['after']['replay']['records']:,} decisions in batches of {data['batch']:,}.", "",
             "| measure | before | after | better by |", "|---|---:|---:|---:|"]
    for name, value in after.items():
        was = before[name] if before else None
        ratio = "-"
        if was is not None and value and was:
            ratio = f"{value / was:.1f}x" if name.endswith("/s") else f"{was / value:.1f}x"
        lines.append(f"| {name} | {'-' if was is None else f'{was:,.2f}'} | {value:,.2f} | {ratio} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--baseline-src", help="another tree's src directory, measured as 'before'")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--phase", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps({"evaluate": measure_evaluate(args.n), "replay": measure_replay(args.records, args.batch)}))
        return 0
    data = {"n": args.n, "batch": args.batch, "after": run_in(str(ROOT / "src"), args)}
    if args.baseline_src:
        data["before"] = run_in(str(Path(args.baseline_src).resolve()), args)
    print(json.dumps(data) if args.json else table(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
