"""Replay throughput and peak memory on large ledgers of real decisions.

    python3 benchmarks/bench_replay.py [--records 100000 1000000] [--batch 1000] [--dir DIR]

Builds each ledger once from real evaluations: the bundled example's 44
initiatives copied with fresh ids (and costs varied by id) into evaluations of
``--batch`` initiatives under the bundled policy, each at its own evaluation
time, recorded with ``Ledger.record_evaluation`` (counterfactuals off, as a
large batch run would). Then, each in its own process so peak RSS
(``ru_maxrss``) is its own: ``replay`` against the recorded policy (verify +
re-evaluate + exact compare) in live and hermetic mode, and the verify step
alone. Memory should follow the batch size, not the ledger size. Prints a
Markdown table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
POLICY = ROOT / "policies" / "acme-2026.toml"
INITIATIVES = ROOT / "policies" / "acme-2026.initiatives.csv"


def build(path: str, records: int, batch: int) -> dict:
    from attrs import evolve

    from budgetpolicy.api import open_policy, read_initiatives
    from budgetpolicy.audit.ledger import Ledger
    from budgetpolicy.engine.compile import EvaluationContext
    from budgetpolicy.data.load import apply_attribute_types

    compiled = open_policy(str(POLICY))
    base = read_initiatives(str(INITIATIVES), compiled.registry)
    start = dt.datetime(2026, 1, 5, 9, tzinfo=dt.timezone.utc)
    started = time.perf_counter()
    with Ledger(path, durable=False) as ledger:
        for n in range(records // batch):
            raw = [evolve(base[k % len(base)], id=f"INI-{n:05d}-{k:05d}", cost=base[k % len(base)].cost + k % 97)
                   for k in range(batch)]
            context = EvaluationContext(evaluated_at=start + dt.timedelta(minutes=n), as_of=dt.date(2026, 1, 15),
                                        explain=False)
            evaluation = compiled.evaluate(apply_attribute_types(raw, compiled.policy.attributes), context)
            ledger.record_evaluation(evaluation, raw)
    return {"seconds": time.perf_counter() - started, "bytes": os.path.getsize(path)}


def phase(path: str, what: str) -> dict:
    started = time.perf_counter()
    if what == "verify":
        from budgetpolicy.audit.ledger import Ledger

        with Ledger(path, create=False, readonly=True) as ledger:
            assert ledger.verify().ok
        done = None
    else:
        from budgetpolicy.audit.replay import replay

        report = replay(path, mode=what)
        assert report.changes == [], report.changes[:3]
        done = report.replayed
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "replayed": done,
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def run_phase(*args: str) -> dict:
    env = dict(os.environ, BUDGETPOLICY_PLUGINS="")
    out = subprocess.run([sys.executable, __file__, "--phase", *args], capture_output=True, text=True, env=env,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, nargs="+", default=[100_000])
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--dir", default=None)
    parser.add_argument("--phase", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        name, path, *rest = args.phase
        result = build(path, int(rest[0]), int(rest[1])) if name == "build" else phase(path, name)
        print(json.dumps(result))
        return
    rows = []
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        for records in args.records:
            path = str(Path(tmp) / f"replay-{records}.db")
            built = run_phase("build", path, str(records), str(args.batch))
            rows.append((f"build: evaluate + record_evaluation, batches of {args.batch:,}", records,
                         records / built["seconds"], None))
            for what in ("verify", "live", "hermetic"):
                result = run_phase(what, path)
                label = "verify alone" if what == "verify" else f"replay --mode {what} (verify + re-evaluate + compare)"
                rows.append((label, records, records / result["seconds"], result["rss_mb"]))
            rows.append((f"(file size {built['bytes'] / 2**20:,.0f} MB)", records, None, None))
            os.unlink(path)
    print("| operation | records | records/s | peak RSS (MB) |\n|---|---:|---:|---:|")
    for label, records, rate, rss in rows:
        print(f"| {label} | {records:,} | {'' if rate is None else f'{rate:,.0f}'} | "
              f"{'' if rss is None else f'{rss:,.0f}'} |")


if __name__ == "__main__":
    sys.exit(main())
