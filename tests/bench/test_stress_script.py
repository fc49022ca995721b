"""benchmarks/stress.py at tiny sizes, so the script that measures reliability does not rot unseen.

(Here, not in tests/reliability: the mutation run copies tests/ without benchmarks/.)

The full sizes run outside CI (docs/reliability.md); here every part runs a few trials through the
real processes and CLI and must report no broken invariant and no internal error.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_part_runs_and_reports_clean(tmp_path):
    out = tmp_path / "stress.json"
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "stress.py"), "--trials", "3", "--examples", "60", "--rows", "8",
         "--writers", "3", "--decisions", "10",
         "--quick", "--json", str(out)],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    results = {r["part"]: r for r in json.loads(out.read_text())["results"]}
    assert sorted(results) == ["expressions", "kill-evaluate", "kill-review", "rows", "writers"]
    assert all(r["internal_errors"] == 0 and r["problems"] == [] for r in results.values())
    assert results["kill-evaluate"]["counts"]["trials run"] == 3
    assert results["kill-review"]["records_per_quarter"] == {"2026-Q1": 15, "2026-Q2": 28, "2026-Q3": 20}
    assert results["writers"]["counts"]["decisions recorded"] == 3 * 10
    assert results["expressions"]["counts"]["examples run"] == 60
    assert results["rows"]["counts"]["rows run"] == 8
    table = result.stdout.splitlines()
    assert table[2] == "| part | size | seconds | internal errors | invariants broken | outcomes |"
    assert len(table) == 4 + 5


def test_minutes_stops_a_part_and_says_so(tmp_path):
    out = tmp_path / "stress.json"
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "stress.py"), "--only", "rows", "--rows", "100000",
         "--minutes", "0.05", "--json", str(out)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    (rows,) = json.loads(out.read_text())["results"]
    assert rows["stopped_early"] is True and 0 < rows["counts"]["rows run"] < 100_000
    assert "(stopped early: see outcomes)" in result.stdout
