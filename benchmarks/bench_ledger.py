"""Ledger throughput: append in batches, verify, and stream records back (replay's read path).

    python benchmarks/bench_ledger.py [--records 100000 1000000] [--batch 1000] [--dir DIR]

Each phase runs in its own process so its peak RSS (``resource.getrusage``)
is its own. Records are realistic decisions (6 score lines, 10 rule traces,
funding, narrative, provenance and the input initiative; 3,710 bytes of
canonical JSON each, as stored) built once through ``entry_for_decision`` for
one batch of distinct initiative ids and appended again and again, so the
timing is the ledger's, not the generator's. One variant gives every batch new
ids (times only the appends). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path


def _decision(i: int):
    """A decision and its explanation, of the size the example's are."""
    from budgetpolicy.model import Decision, Explanation, Funding, Provenance, Reason, RuleTrace, ScoreLine

    scores = tuple(ScoreLine(c, "rubric", Decimal("0.15"), Decimal("0.6"), Decimal("0.09"), f"rating 3 of 5 for {c}")
                   for c in ("impact", "feasibility", "alignment", "transfer", "risk", "sustainability"))
    rules = tuple(RuleTrace(f"rule-{j}", "require", "fired" if j % 3 == 0 else "not_fired",
                            f"initiatives over 25,000 need a VP (rule {j})", "vp", {"cost": Decimal(30000 + i)})
                  for j in range(10))
    prov = Provenance("acme-people-dev", "2026.1", "5" * 64, f"{i:064x}", "0.1.0",
                      (("budgetpolicy.builtins.scorers", "0.1.0"),), "2026-01-05T09:00:00+00:00", "2026-01-05")
    decision = Decision(f"INI-{i:07d}", "approved", Decimal("0.734512"), Decimal("18234.50"),
                        ("vp",), (), (Reason("vp", "over 25,000"),),
                        Funding(Decimal(30000 + i), Decimal(30000 + i), "expected_value", i, "ranked by EV per dollar"),
                        prov)
    narrative = "Approved: strong expected value on win rate; VP sign-off required. " * 3
    return decision, Explanation(scores, rules, narrative)


def _entries(count: int):
    from budgetpolicy.audit.ledger import entry_for_decision

    initiative = {"id": "", "title": "Consultative selling coaching", "kind": "coaching", "department": "sales",
                  "cost": Decimal("30000"), "priorities": ["win-rate"], "forecast": {"win-rate": Decimal("0.04")},
                  "probability": Decimal("0.6"), "evaluation_plan": ["kpi", "manager observation"]}
    return [entry_for_decision(d, {**initiative, "id": f"INI-{i:07d}"}, explanation=e)
            for i, (d, e) in enumerate(_decision(i) for i in range(count))]


def phase_append(path: str, records: int, batch: int, durable: bool, fresh_ids: bool = False) -> dict:
    """Append ``records`` in batches; by default every batch repeats the same ``batch`` initiative ids.

    ``fresh_ids`` gives each batch new, consecutive ids (the indexed column only; the payload is
    reused): the pattern of a first evaluation of many initiatives, kind to the initiative index.
    """
    import attrs

    from budgetpolicy.audit.ledger import Ledger

    template = _entries(batch)
    size = len(template[0].payload.encode("utf-8"))  # the stored canonical text, in UTF-8 bytes
    seconds = 0.0
    with Ledger(path, durable=durable) as ledger:
        for number in range(records // batch):
            entries = template
            if fresh_ids:
                entries = [attrs.evolve(e, initiative_id=f"INI-{number * batch + j:09d}") for j, e in enumerate(template)]
            started = time.perf_counter()
            ledger.append(entries)
            seconds += time.perf_counter() - started
    return {"seconds": seconds, "payload_bytes": size}


def phase_entries(batch: int) -> dict:
    from budgetpolicy.audit.ledger import entry_for_decision

    decisions = [_decision(i) for i in range(batch)]
    started = time.perf_counter()
    for d, e in decisions:
        entry_for_decision(d, {"id": d.initiative_id}, explanation=e)
    return {"seconds": time.perf_counter() - started}


def phase_verify(path: str) -> dict:
    from budgetpolicy.audit.ledger import Ledger

    started = time.perf_counter()
    with Ledger(path, create=False, readonly=True) as ledger:
        report = ledger.verify()
    assert report.ok, report.describe()
    return {"seconds": time.perf_counter() - started, "records": report.records}


def phase_read(path: str) -> dict:
    from budgetpolicy.audit.ledger import Ledger

    started, count, approved = time.perf_counter(), 0, 0
    with Ledger(path, create=False, readonly=True) as ledger:
        for record in ledger.iter_records(kind="decision"):
            count += 1
            approved += record.entry.data()["decision"]["outcome"] == "approved"
    assert approved == count
    return {"seconds": time.perf_counter() - started, "records": count}


def _child(args: list[str]) -> dict:
    out = subprocess.run([sys.executable, __file__, "--phase", *args], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--batch", type=int, default=1000, help="main batch size (10x is also measured)")
    parser.add_argument("--dir", default=None, help="where to put the ledger files (default: a temp dir)")
    parser.add_argument("--phase", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        name, *rest = args.phase
        result = {"append": lambda: phase_append(rest[0], int(rest[1]), int(rest[2]), rest[3] == "1", rest[4] == "1"),
                  "entries": lambda: phase_entries(int(rest[0])),
                  "verify": lambda: phase_verify(rest[0]), "read": lambda: phase_read(rest[0])}[name]()
        result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return
    if min(args.records) < args.batch:
        parser.error(f"--records must be at least --batch ({args.batch:,})")
    workdir = Path(args.dir or tempfile.mkdtemp(prefix="bench-ledger-"))
    workdir.mkdir(parents=True, exist_ok=True)
    rows = []
    entries = _child(["entries", str(args.batch)])
    rows.append(("entry_for_decision (Decision -> entry)", args.batch, args.batch / entries["seconds"], None))
    for n in args.records:
        # (batch, durable, check, fresh ids): the main run is checked (verify + read); batch-size and
        # synchronous variants only on the smallest n, new ids per batch only on the largest.
        runs = [(args.batch, True, True, False)]
        if n == min(args.records):
            if n >= args.batch * 10:
                runs.append((args.batch * 10, True, False, False))
            runs.append((args.batch, False, False, False))
        if n == max(args.records):
            runs += [(args.batch, True, False, True)]
        for batch, durable, check, fresh in runs:
            path = workdir / f"ledger-{n}-{batch}-{int(durable)}.db"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            result = _child(["append", str(path), str(n), str(batch), "1" if durable else "0", "1" if fresh else "0"])
            label = f"append, batches of {batch:,}, synchronous={'FULL' if durable else 'NORMAL'}" + \
                (", new initiative ids in every batch" if fresh else "")
            rows.append((label, n, n / result["seconds"], result["peak_rss_mb"]))
            if check:
                size_mb = sum(os.path.getsize(f"{path}{s}") for s in ("", "-wal") if os.path.exists(f"{path}{s}")) / 2**20
                verify = _child(["verify", str(path)])
                rows.append(("verify (recompute chain + policies)", n, n / verify["seconds"], verify["peak_rss_mb"]))
                read = _child(["read", str(path)])
                rows.append(("iter_records (replay read path, JSON parsed)", n, n / read["seconds"], read["peak_rss_mb"]))
                rows.append((f"(file size {size_mb:,.0f} MB, payload {result['payload_bytes']} B/record)", n, None, None))
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
    if not args.dir:
        workdir.rmdir()  # its ledgers were removed one by one above
    print("| operation | records | records/s | peak RSS (MB) |")
    print("|---|---:|---:|---:|")
    for label, n, rate, rss in rows:
        print(f"| {label} | {n:,} | {'' if rate is None else f'{rate:,.0f}'} | {'' if rss is None else f'{rss:,.0f}'} |")


if __name__ == "__main__":
    main()
