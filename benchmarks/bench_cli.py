"""End-to-end benchmark (issue 17, target 1): ``budgetpolicy evaluate`` as a user runs it, against the plain
conversion of the same file in the same run.

    python3 benchmarks/bench_cli.py [--n 100000] [--seed 2026] [--formats csv json jsonl] [--rounds 1] [--json]

The CSV is the evaluation benchmark's synthetic portfolio (``bench_evaluate.write_csv``: the layout of
``policies/acme-2026.initiatives.csv``, seeded). Each contender is a child process, timed from start to
exit (interpreter start-up included on both sides), and its peak RSS is that child's own ``ru_maxrss``
(``os.wait4``; the parent stays small, since a child's figure includes the pages it was forked with):

* ``plain``: Python reading the CSV with ``csv.DictReader`` and writing each row with ``json.dumps``, one
  JSON object per line: what reading the input and writing an output costs with no policy at all;
* ``csv``: ``budgetpolicy evaluate -P policies/acme-2026.toml -i FILE -f csv -o OUT`` (no explanations);
* ``json`` and ``jsonl``: the same with ``-f json`` / ``-f jsonl``: every decision explained (score lines,
  rule traces, narrative, counterfactuals), streamed.

Targets: csv within 3x plain (moonshot 2x); json and jsonl within 6x plain and 400 MB peak RSS at
100,000 initiatives. The table says yes or no; a miss does not fail the run (nothing measured is a test).
Best of ``--rounds`` for each contender (plain runs before each round).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_evaluate import POLICY, ROOT, write_csv  # noqa: E402

PLAIN = ("import csv, json, sys\n"
         "with open(sys.argv[1], newline='', encoding='utf-8') as f, open(sys.argv[2], 'w', encoding='utf-8') as out:\n"
         "    for row in csv.DictReader(f):\n"
         "        out.write(json.dumps(row) + '\\n')\n")
COUNT_JSON = "import json, sys\nwith open(sys.argv[1], encoding='utf-8') as f:\n    print(len(json.load(f)['decisions']))\n"
TARGETS = {"csv": (3.0, None), "json": (6.0, 400.0), "jsonl": (6.0, 400.0)}  # x plain, peak RSS MB
EVALUATED_AT = "2026-01-15T09:00:00+00:00"


def timed(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one child process; fails loudly when it fails."""
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert proc.stderr is not None
    err = proc.stderr.read()  # stderr stays small: no progress off a terminal
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {proc.returncode}: {err.decode(errors='replace')[-2000:]}")
    return seconds, usage.ru_maxrss / 1024


def evaluate_command(source: Path, fmt: str, out: Path) -> list[str]:
    return [sys.executable, "-m", "budgetpolicy", "evaluate", "-P", str(POLICY), "-i", str(source), "-f", fmt,
            "-o", str(out), "--evaluated-at", EVALUATED_AT]


def run(n: int, seed: int, formats: list[str], rounds: int, directory: str | None = None) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-cli-", dir=directory) as tmp:
        source = write_csv(Path(tmp) / f"initiatives-{n}.csv", n, seed)
        plain: list[tuple[float, float]] = []
        best: dict[str, tuple[float, float]] = {}
        for _ in range(rounds):
            for fmt in formats:
                plain.append(timed([sys.executable, "-c", PLAIN, str(source), str(Path(tmp) / "plain.jsonl")]))
                out = Path(tmp) / f"out.{fmt}"
                seconds, rss = timed(evaluate_command(source, fmt, out))
                if fmt == "csv":
                    lines = sum(1 for _ in out.open(encoding="utf-8"))
                    assert lines >= n + 1, f"csv output has {lines} lines for {n} initiatives"
                elif fmt == "jsonl":
                    with out.open(encoding="utf-8") as f:
                        count = sum(1 for _ in f)
                    assert count == n + 1, f"jsonl output has {count} lines for {n} initiatives"
                else:  # parsed in a child: a child's ru_maxrss counts the parent's pages at fork
                    count = int(subprocess.run([sys.executable, "-c", COUNT_JSON, str(out)], check=True,
                                               capture_output=True, text=True).stdout)
                    assert count == n, f"json output has {count} decisions for {n} initiatives"
                if fmt not in best or seconds < best[fmt][0]:
                    best[fmt] = (seconds, rss)
                out.unlink()
        size_mb = source.stat().st_size / 2**20
    plain_s = min(s for s, _ in plain)
    plain_rss = max(r for _, r in plain)
    rows = []
    for fmt in formats:
        seconds, rss = best[fmt]
        ratio_target, rss_target = TARGETS[fmt]
        ratio = seconds / plain_s
        met = ratio <= ratio_target and (rss_target is None or rss <= rss_target)
        rows.append({"format": fmt, "seconds": seconds, "rss_mb": rss, "ratio": ratio, "ratio_target": ratio_target,
                     "rss_target_mb": rss_target, "met": met, "per_second": n / seconds})
    return {"n": n, "seed": seed, "csv_mb": size_mb, "plain_s": plain_s, "plain_rss_mb": plain_rss,
            "plain_runs": len(plain), "rounds": rounds, "rows": rows}


def table(r: dict) -> str:
    lines = [f"{r['n']:,} initiatives ({r['csv_mb']:,.1f} MB CSV); plain conversion (csv.DictReader + json.dumps): "
             f"{r['plain_s']:,.2f} s, peak RSS {r['plain_rss_mb']:,.0f} MB (best of {r['plain_runs']})", "",
             "| evaluate | wall | initiatives/s | x plain | target | peak RSS | target | met |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]
    for row in r["rows"]:
        rss_target = f"<= {row['rss_target_mb']:,.0f} MB" if row["rss_target_mb"] else "-"
        lines.append(f"| `-f {row['format']}` | {row['seconds']:,.2f} s | {row['per_second']:,.0f} | "
                     f"{row['ratio']:,.1f}x | <= {row['ratio_target']:g}x | {row['rss_mb']:,.0f} MB | {rss_target} | "
                     f"{'yes' if row['met'] else '**no**'} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--formats", nargs="+", choices=sorted(TARGETS), default=["csv", "json", "jsonl"])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--dir", default=None, help="where to write the temporary files (default: system temp)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args.n, args.seed, args.formats, args.rounds, args.dir)
    print(json.dumps(result) if args.json else table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
