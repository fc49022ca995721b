"""Run every benchmark: ``python3 benchmarks/run.py [--quick] [--only NAME ...] [--write-results]``.

Benchmarks (each in its own process, so peak RSS and imports are its own):

* ``evaluate``: ``bench_evaluate.py``: 100,000 initiatives, budgetpolicy vs the
  hand-written reference and rule-engine, cel-python, simpleeval, zen-engine;
  every contender's decisions are checked against the reference.
* ``core``: ``bench_evaluate.py --peers-policy``: the decision core on the peers' 7-rule policy vs a
  hand-written float reference, zen-engine (fused), CEL (fused) and simpleeval (issue #17 target 3).
* ``rows``: ``bench_rows.py``: input rows checked, rows/s, same located errors (issue #17 target 4).
* ``startup``: ``bench_startup.py``: ``budgetpolicy --help`` and ``validate``.
* ``stream``: ``bench_stream.py``: 1,000,000 initiatives streamed from CSV, peak RSS.
* ``allocation``: ``bench_allocation.py`` (greedy and optimal allocation).
* ``ledger``: ``bench_ledger.py`` (append, verify, replay read path).
* ``replay``: ``bench_replay.py`` (replaying a large ledger, throughput and peak RSS).
* ``policy``: ``bench_policy.py`` (hostile policy files refused: a 1 MB condition, a 10 MB file).
* ``cli``: ``bench_cli.py``: ``budgetpolicy evaluate`` end to end, CSV -> CSV, JSON, JSONL, against
  the plain read-CSV-write-JSON conversion of the same file, with each child's peak RSS.
* ``explain``: ``bench_explain.py`` (counterfactuals and explanations per decision, replay with them;
  ``--baseline-src`` adds a "before" column from another tree).

Synthetic data is generated from fixed seeds, in temporary directories.
``--quick`` shrinks every size so ``make bench`` finishes in a few minutes.
Nothing is written into the repository unless ``--write-results`` is given:
then the "Evaluation, startup and memory" section of ``benchmarks/RESULTS.md``
and the summary table at its top are replaced with this run's figures (raw
figures in ``benchmarks/results.json``, so ``--only`` keeps the others). The
exit code is 1 when a check fails (decisions disagree with the reference, a
benchmark crashes), not when a performance target is missed: the table says so.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
RAW = HERE / "results.json"
SECTION = "## Evaluation, startup and memory"
SUMMARY = "## Summary"

SIZES = {  # full, quick
    "evaluate": (["--n", "100000", "--peer-n", "20000"], ["--n", "10000", "--peer-n", "1000", "--rounds", "1"]),
    "core": (["--peers-policy", "--n", "100000"], ["--peers-policy", "--n", "10000", "--rounds", "2"]),
    "rows": (["--n", "100000"], ["--n", "10000", "--slow-n", "500", "--rounds", "2"]),
    "startup": (["--runs", "15"], ["--runs", "5"]),
    "stream": (["--n", "1000000"], ["--n", "50000"]),
    "allocation": (["--greedy", "100000", "--optimal", "10000", "--knapsack", "10000", "--hard", "36"],
                   ["--greedy", "10000", "--optimal", "1000", "--knapsack", "1000", "--hard", "36"]),
    "ledger": (["--records", "100000", "1000000"], ["--records", "10000"]),
    "replay": (["--records", "100000", "1000000"], ["--records", "5000", "--batch", "500"]),
    "policy": (["--runs", "5"], ["--runs", "2"]),
    "cli": (["--n", "100000"], ["--n", "10000"]),
    "explain": (["--n", "1000", "--records", "2000"], ["--n", "200", "--records", "400", "--batch", "100"]),
}
JSON_OUTPUT = {"evaluate", "startup", "stream", "policy", "core", "rows", "cli", "allocation"}
SCRIPTS = {"core": "bench_evaluate.py"}  # a benchmark run by another's script with other arguments


def run_one(name: str, quick: bool) -> tuple[int, str, dict | None]:
    script = HERE / SCRIPTS.get(name, f"bench_{name}.py")
    if not script.exists():
        return 0, f"({script.name} is not in this checkout)", None
    args = SIZES[name][1 if quick else 0] + (["--json"] if name in JSON_OUTPUT else [])
    print(f"-- {name}: {script.name} {' '.join(args)}", file=sys.stderr, flush=True)
    proc = subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True)
    if proc.stderr.strip():
        print(proc.stderr.strip()[-2000:], file=sys.stderr)
    data = None
    if name in JSON_OUTPUT and proc.stdout.strip():
        data = json.loads(proc.stdout.strip().splitlines()[-1])
    return proc.returncode, proc.stdout, data


def table_rows(markdown: str) -> dict:
    """The rows of a ``| operation | records | records/s | peak RSS (MB) |`` table (bench_ledger, bench_replay)."""
    rows = []
    for line in markdown.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or not cells[1].replace(",", "").isdigit():
            continue
        number = lambda text: float(text.replace(",", "")) if text else None  # noqa: E731
        rows.append({"label": cells[0], "records": int(cells[1].replace(",", "")),
                     "rate": number(cells[2]), "rss_mb": number(cells[3])})
    return {"rows": rows}


def _ledger_rows(ledger: dict | None, replay: dict | None) -> list[str]:
    """Target 3: append throughput at each size (batches of 1,000, durable) and the largest replay."""
    lines = []
    for row in (ledger or {}).get("rows", []):
        if row["label"].startswith("append, batches of 1,000, synchronous=FULL"):
            ids = "new ids in every batch" if row["label"].endswith("every batch") else "the same 1,000 ids in every batch"
            lines.append(f"| 3. ledger append >= 20,000 records/s in batches ({row['records']:,} records, batches of "
                         f"1,000, fsync per batch, {ids}) | {row['rate']:,.0f} records/s | "
                         f"{'yes' if row['rate'] >= 20_000 else '**no**'} |")
    live = sorted((row for row in (replay or {}).get("rows", []) if row["label"].startswith("replay --mode live")),
                  key=lambda r: r["records"])
    if live:
        small, big = live[0], live[-1]
        constant = len(live) > 1 and big["rss_mb"] <= small["rss_mb"] * 1.25  # 10x the records, at most +25% memory
        compared = (f"{small['rss_mb']:,.0f} MB at {small['records']:,} records" if len(live) > 1
                    else "one size measured: constant memory not shown")
        lines.append(f"| 3. replay of a {big['records']:,}-record ledger in constant memory | {big['rate']:,.0f} "
                     f"records/s, peak RSS {big['rss_mb']:,.0f} MB ({compared}) | "
                     f"{'yes' if constant and big['records'] >= 1_000_000 else '**no**'} |")
    for mode, target in (("live", 5_000), ("hermetic", 20_000)):  # issue #17 target 5
        rows = sorted((row for row in (replay or {}).get("rows", []) if row["label"].startswith(f"replay --mode {mode}")),
                      key=lambda r: r["records"])
        if rows:
            big = rows[-1]
            lines.append(f"| #17.5 replay --mode {mode} >= {target:,} decisions/s ({big['records']:,} records) | "
                         f"{big['rate']:,.0f}/s, peak RSS {big['rss_mb']:,.0f} MB | "
                         f"{'yes' if big['rate'] >= target else '**no**'} |")
    if not lines:
        lines.append("| 3. ledger: 1M-record replay in constant memory, append >= 20,000/s | not run "
                     "(`--only ledger replay`) | - |")
    return lines


def _core_rows(core: dict | None, rows: dict | None) -> list[str]:
    """Issue #17 targets 3 (decision core vs the float reference and the fused peers) and 4 (row checks)."""
    lines = []
    if core:
        by = {row["name"].split(" (")[0]: row for row in core["rows"] if "error" not in row}
        per = {name: row["decide_s"] / row["n"] * 1e6 for name, row in by.items()}
        ref = per.get("float reference")
        bp = next((row for row in core["rows"] if row["name"].startswith("budgetpolicy (initiatives built")), None)
        if ref and bp:
            ratio = bp["decide_s"] / bp["n"] * 1e6 / ref
            zen, simple = per.get("zen-engine"), per.get("simpleeval")
            ahead = all(other is not None and bp["decide_s"] / bp["n"] * 1e6 < other for other in (zen, simple))
            peers = ", ".join(f"{name} {value / ref:.1f}x" for name, value in per.items()
                              if name not in ("float reference", "budgetpolicy"))
            lines.append(f"| #17.3 decision core on the peers' policy <= 4x the float reference ({bp['n']:,} initiatives), "
                         f"ahead of zen-engine fused and simpleeval | {ratio:.1f}x ({peers}) | "
                         f"{'yes' if ratio <= 4 and ahead else '**no**'} |")
    if rows:
        target = next(row for row in rows["rows"] if row.get("target"))
        same = not rows["differ"]
        lines.append(f"| #17.4 input rows checked >= 50,000 rows/s, same located errors | {target['rows_per_s']:,.0f} "
                     f"rows/s (schema + policy checks); errors {'the same' if same else 'DIFFER'} | "
                     f"{'yes' if target['rows_per_s'] >= 50_000 and same else '**no**'} |")
def _cli_rows(cli: dict | None) -> list[str]:
    """Issue 17, target 1: ``evaluate`` end to end against the plain conversion, and JSON's peak RSS."""
    lines = []
    for row in (cli or {}).get("rows", []):
        rss = f", peak RSS {row['rss_mb']:,.0f} MB (<= {row['rss_target_mb']:,.0f} MB)" if row["rss_target_mb"] else ""
        lines.append(f"| 17.1 `evaluate -f {row['format']}` of {cli['n']:,} initiatives from CSV within "
                     f"{row['ratio_target']:g}x the plain read-CSV-write-JSON | {row['seconds']:,.1f} vs "
                     f"{cli['plain_s']:,.2f} s = {row['ratio']:,.1f}x{rss} | {'yes' if row['met'] else '**no**'} |")
def _allocation_rows(allocation: dict | None) -> list[str]:
    """Issue #17 item 6: optimal vs pabutools' ILP on the same instances, and greedy with a huge pool."""
    if not allocation:
        return []
    from bench_allocation import met

    lines = []
    for row in allocation["rows"]:
        peer = row.get("pabutools") or {}
        if "seconds" in peer:
            measured = (f"{row['seconds']:.2f} s vs pabutools ILP {peer['seconds']:.2f} s, same optimum: "
                        f"{'yes' if row.get('same_optimum') else 'no'}")
        elif row["name"].startswith(("greedy, pool", "optimal")):
            measured = f"{row['seconds']:.2f} s" + (f" ({peer['error']})" if "error" in peer else "")
        else:
            continue
        lines.append(f"| 6. allocation: {row['name']}, {row['n']:,} candidates | {measured} | {met(row)} |")
    return lines


def summary_note(quick: bool) -> str:
    """A line before a --quick run's summary: its sizes are a smoke test, not the targets' sizes."""
    if not quick:
        return ""
    return ("Quick sizes (`--quick`): a smoke run, too small and too short to judge the targets by (one round, "
            "one replay size). The issue's sizes: `make bench BENCH_ARGS=` or `python3 benchmarks/run.py`.\n\n")


def summary(results: dict[str, dict | None]) -> str:
    lines = ["| target | measured | met |", "|---|---|---|"]
    ev = results.get("evaluate")
    if ev:
        rows = {row["name"]: row for row in ev["rows"]}
        ref, bp = rows["reference (plain Python)"], rows["budgetpolicy"]
        per = lambda row, key: row[key] / row["n"] * 1e6  # noqa: E731 - µs per initiative
        ratio = per(bp, "decide_s") / per(ref, "decide_s")
        lines.append(f"| 1. evaluate {bp['n']:,} initiatives within 3x hand-written Python | "
                     f"{per(bp, 'decide_s'):.1f} vs {per(ref, 'decide_s'):.1f} µs/initiative = {ratio:.1f}x | "
                     f"{'yes' if ratio <= 3 else '**no**'} |")
        ex = rows.get("reference, explained (same Decision and Explanation objects, by hand)")
        read = rows.get("budgetpolicy, then every explanation built (score lines, traces, narrative)")
        if ex and read:
            lines.append(f"| 1b. (not a target) every explanation built, vs hand-written Python building the same "
                         f"decisions and explanations | {per(read, 'decide_s'):.1f} vs {per(ex, 'decide_s'):.1f} "
                         f"µs/initiative = {per(read, 'decide_s') / per(ex, 'decide_s'):.2f}x | - |")
        for peer in ("rule-engine", "cel-python", "simpleeval", "zen-engine"):
            row = rows.get(peer)
            if row is None or "error" in row:
                lines.append(f"| 2. faster than {peer} | {row['error'] if row else 'not run'} | - |")
                continue
            cond = per(row, "conditions_s") / per(bp, "conditions_s")
            dec = per(row, "decide_s") / per(bp, "decide_s")
            met = "yes" if cond > 1 and dec > 1 else ("conditions only" if cond > 1 else "**no**")
            if peer == "zen-engine":
                met = f"(reference only) {met}"
            lines.append(f"| 2. faster than {peer} on the same 12 rules | conditions {cond:.1f}x slower than "
                         f"budgetpolicy; decide {dec:.2f}x | {met} |")
    lines.extend(_core_rows(results.get("core"), results.get("rows")))
    lines.extend(_ledger_rows(results.get("ledger"), results.get("replay")))
    st = results.get("startup")
    if st:
        for row in st["rows"]:
            if row["command"].startswith("budgetpolicy"):
                lines.append(f"| 4. `{row['command']}` < 300 ms ({row['setting']}) | median {row['median_ms']:.0f} ms "
                             f"wall, {row['cpu_ms']:.0f} ms CPU | {'yes' if row['median_ms'] < 300 else '**no**'} |")
    lines.extend(_cli_rows(results.get("cli")))
    lines.extend(_allocation_rows(results.get("allocation")))
    sm = results.get("stream")
    if sm:
        before = sm.get("rss_after_stream_mb", sm["peak_rss_mb"])
        lines.append(f"| 5. {sm['n']:,} initiatives streamed from CSV < 500 MB peak RSS | {before:.0f} MB scoring and "
                     f"approving, {sm['peak_rss_mb']:.0f} MB with allocation; {sm['initiatives'] / sm['seconds']:,.0f} "
                     f"initiatives/s | {'yes' if sm['peak_rss_mb'] < 500 else ('without allocation only' if before < 500 else '**no**')} |")
    lines.extend(_policy_rows(results.get("policy")))
    return "\n".join(lines)


def _policy_rows(policy: dict | None) -> list[str]:
    """Issue #17 target 7: every hostile policy refused within 0.5 s of CPU (bench_policy.py)."""
    if not policy:
        return []
    refused = [r for r in policy["rows"] if r["expected_exit"] != 0]
    worst = max(refused, key=lambda r: r["cpu_s"])
    met = all(r["cpu_s"] <= 0.5 and r["exit"] == r["expected_exit"] for r in refused)
    return [f"| 7. a 1 MB expression (and a 10 MB policy, a 5,000-character condition) refused in <= 0.5 s | "
            f"slowest: {worst['case']}, {worst['cpu_s']:.3f} s CPU (baseline validate "
            f"{policy['rows'][0]['cpu_s']:.3f} s) | {'yes' if met else '**no**'} |"]


def _replace_section(text: str, heading: str, body: str, at_top: bool = False) -> str:
    block = f"{heading}\n\n{body.strip()}\n"
    if heading in text:
        start = text.index(heading)
        nxt = text.find("\n## ", start + len(heading))
        return text[:start] + block + ("\n" + text[nxt + 1:] if nxt != -1 else "")
    if at_top:
        first = text.find("\n## ")
        if first != -1:
            return text[:first + 1] + block + "\n" + text[first + 1:]
    return text.rstrip("\n") + "\n\n" + block


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a few minutes in all")
    parser.add_argument("--only", nargs="+", choices=list(SIZES), help="run only these benchmarks")
    parser.add_argument("--write-results", action="store_true",
                        help="write this run's figures into benchmarks/RESULTS.md")
    args = parser.parse_args()
    names = args.only or list(SIZES)
    results: dict[str, dict | None] = {}
    outputs: dict[str, str] = {}
    failed = []
    for name in names:
        code, out, data = run_one(name, args.quick)
        if name in ("ledger", "replay") and code == 0 and not data:
            data = table_rows(out)
        results[name], outputs[name] = data, out
        if code != 0 and not (name == "stream" and data):  # bench_stream exits 1 when over target; that is a figure
            failed.append(f"{name} (exit {code})")
    tables = {}
    for name in names:
        if name == "core" and results[name]:
            tables[name] = __import__("bench_evaluate").peers_table(results[name])
        elif name in JSON_OUTPUT and results[name]:
            module = __import__(f"bench_{name}")
            tables[name] = module.table(results[name])
        else:
            tables[name] = outputs[name].strip()
        print(f"\n### {name}\n\n{tables[name]}")
    print(f"\n### summary\n\n{summary_note(args.quick)}{summary(results)}")
    if failed:
        print(f"\nFAILED: {', '.join(failed)}", file=sys.stderr)
    if args.write_results:
        # The raw figures are kept beside RESULTS.md, so a partial run (--only) keeps the others' rows.
        merged = json.loads(RAW.read_text(encoding="utf-8")) if RAW.exists() else {}
        merged.update({k: v for k, v in results.items() if v})
        RAW.write_text(json.dumps(merged, indent=1) + "\n", encoding="utf-8")
        write_results(args, names, tables, summary(merged))
    return 1 if failed else 0


def write_results(args: argparse.Namespace, names: list[str], tables: dict[str, str], summary_text: str) -> None:
    command = "python3 benchmarks/run.py" + (" --quick" if args.quick else "") + \
        (f" --only {' '.join(args.only)}" if args.only else "") + " --write-results"
    machine = (f"{dt.date.today()}, Python {platform.python_version()}, {platform.machine()}, "
               f"{__import__('os').cpu_count()} CPUs")
    titles = {"evaluate": "### Evaluate (bench_evaluate.py)",
              "core": "### Decision core on the peers' policy (bench_evaluate.py --peers-policy)",
              "rows": "### Row checks (bench_rows.py)", "startup": "### Start-up (bench_startup.py)",
              "stream": "### Streaming initiatives from CSV (bench_stream.py)"}
    titles = {"evaluate": "### Evaluate (bench_evaluate.py)", "startup": "### Start-up (bench_startup.py)",
              "stream": "### Streaming initiatives from CSV (bench_stream.py)",
              "cli": "### Evaluate end to end through the CLI (bench_cli.py)"}
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    old: dict[str, str] = {}  # subsections of the previous write, kept for benchmarks not run this time
    notes = ""
    if SECTION in text:
        start = text.index(SECTION)
        end = text.find("\n## ", start + len(SECTION))
        for chunk in text[start:end if end != -1 else len(text)].split("\n### ")[1:]:
            title = "### " + chunk.split("\n", 1)[0]
            if title.startswith("### Reading"):
                notes = ("### " + chunk).strip()  # the hand-written reading after the tables is kept
            else:
                old[title] = ("### " + chunk).strip()
    parts = [f"Last command: `{command}` ({machine}); each table says which run produced it."]
    for name, title in titles.items():
        if name in names:
            size = " ".join(SIZES[name][1 if args.quick else 0])
            parts.append(f"{title}\n\n`{size}`, from `{command}`:\n\n{tables[name]}")
        elif title in old:
            parts.append(old[title])
    body = "\n\n".join(parts) + ("\n\n" + notes if notes else "")
    text = _replace_section(text, SECTION, body)
    text = _replace_section(text, SUMMARY, f"From the latest `--write-results` run of each benchmark (each table in "
                            f"[{SECTION[3:]}](#evaluation-startup-and-memory) names its command; the last was "
                            f"`{command}`, {machine}):\n\n{summary_text}", at_top=True)
    RESULTS.write_text(text, encoding="utf-8")
    print(f"\nwrote {RESULTS}", file=sys.stderr)


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    sys.exit(main())
