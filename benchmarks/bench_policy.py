"""Policy files at their bounds (issue #17 target 7): how long `budgetpolicy validate` takes to refuse
a hostile policy, against validating the bundled one, in the same run.

``python3 benchmarks/bench_policy.py [--runs N] [--json]``

Cases (each a whole `validate` process; CPU time of the child, so a loaded machine does not inflate it,
and wall time; the minimum of N runs):

* the bundled policy (the baseline a user waits for anyway);
* a 1 MB rule condition (refused: BP108 string over 64 KiB; before issue #17 it took 6.5 s because
  the TOML locator walked the line character by character);
* a 5,000-character condition (refused: BP305, expressions are at most 4,000 characters);
* a 10 MB policy (refused: BP106, the file is over 1 MiB; before, a 10 MB string was accepted after 27 s);
* a 60 KiB string of escapes (accepted: the locator's escape path, one pass).

Target: each refusal <= 0.5 s of CPU. Also the locator alone on the 1 MB file (in process).
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
POLICY = ROOT / "policies" / "acme-2026.toml"
TARGET_S = 0.5


def cases(text: str) -> dict[str, tuple[str, int]]:
    """name -> (policy text, expected exit code of validate)."""
    condition = re.search(r'condition = "([^"\n]*)"', text)
    assert condition is not None

    def with_condition(expr: str) -> str:
        return text[:condition.start()] + f'condition = "{expr}"' + text[condition.end():]

    return {
        "bundled policy (baseline)": (text, 0),
        "1 MB condition (BP108)": (with_condition(" or ".join(["cost > 1"] * 83_000)), 1),
        "5,000-character condition (BP305)": (with_condition(" or ".join(["cost > 1"] * 420)), 1),
        "10 MB policy file (BP106)": (text + ("# " + "x" * 98 + "\n") * 100_000, 1),
        "60 KiB string of escapes (accepted)": (text.replace("[metadata]", '[metadata]\nnote = "' + "\\n" * 30_000
                                                             + '"', 1), 0),
    }


def timed(path: Path, runs: int) -> tuple[float, float, int]:
    """(min CPU s, min wall s, exit code) of `budgetpolicy validate PATH`."""
    best_cpu = best_wall = float("inf")
    code = 0
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "budgetpolicy", "validate", str(path)], capture_output=True)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        best_cpu, best_wall, code = min(best_cpu, cpu), min(best_wall, wall), done.returncode
    return best_cpu, best_wall, code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    text = POLICY.read_text(encoding="utf-8")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, (body, expected) in cases(text).items():
            path = Path(tmp) / "policy.toml"
            path.write_text(body, encoding="utf-8")
            cpu, wall, code = timed(path, args.runs)
            rows.append({"case": name, "bytes": len(body.encode()), "cpu_s": cpu, "wall_s": wall, "exit": code,
                         "expected_exit": expected})
        from budgetpolicy.policy.locate import TomlLocator

        big = cases(text)["1 MB condition (BP108)"][0]
        started = time.perf_counter()
        TomlLocator(big)
        locator_s = time.perf_counter() - started
    result = {"rows": rows, "locator_1mb_s": locator_s, "runs": args.runs}
    print(json.dumps(result) if args.json else table(result))
    return 0 if all(r["exit"] == r["expected_exit"] for r in rows) else 1


def table(result: dict) -> str:
    base = result["rows"][0]["cpu_s"]
    lines = ["| case | size | CPU (min) | wall (min) | over the baseline | exit | refused <= 0.5 s CPU |",
             "|---|---:|---:|---:|---:|---:|---|"]
    for r in result["rows"]:
        refused = r["expected_exit"] != 0
        met = ("yes" if r["cpu_s"] <= TARGET_S else "**no**") if refused else "-"
        lines.append(f"| {r['case']} | {r['bytes']:,} B | {r['cpu_s']:.3f} s | {r['wall_s']:.3f} s | "
                     f"{r['cpu_s'] - base:+.3f} s | {r['exit']} | {met} |")
    lines.append(f"\nThe TOML locator alone on the 1 MB file: {result['locator_1mb_s'] * 1000:.1f} ms "
                 f"(min of 1; `--runs {result['runs']}` for the rest).")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
