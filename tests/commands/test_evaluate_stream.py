"""``budgetpolicy evaluate`` as a user runs it, after the streaming writers (issue 17, target 1): every
format through the CLI, --output written whole or not at all, bad input refused with nothing written,
the input read once whether or not a ledger is kept."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import budgetpolicy

ROOT = Path(__file__).resolve().parents[2]
POLICY = str(ROOT / "policies" / "acme-2026.toml")
INITIATIVES = ROOT / "policies" / "acme-2026.initiatives.csv"
AT = "2026-01-15T09:00:00+00:00"
PLAN = ("-P", POLICY, "-i", str(INITIATIVES), "--evaluated-at", AT)


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    src = str(Path(budgetpolicy.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "budgetpolicy", *args], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=300)


def test_json_and_jsonl_through_the_cli(tmp_path):
    out = tmp_path / "eval.json"
    to_file = cli("evaluate", *PLAN, "-f", "json", "-o", str(out))
    # Nothing on stderr but the example's gap warnings (BP677: its funded forecasts overclaim each KPI's gap).
    assert to_file.returncode == 0 and to_file.stdout == ""
    assert [line for line in to_file.stderr.splitlines() if " BP677 warning: " not in line] == []
    to_stdout = cli("evaluate", *PLAN, "-f", "json")
    assert out.read_text(encoding="utf-8") == to_stdout.stdout
    assert out.read_text(encoding="utf-8") == (ROOT / "tests" / "golden" / "house" / "eval.json").read_text(
        encoding="utf-8").replace("2026-01-15T09:00:00+00:00", AT)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["eval.json"]  # no temporary file left behind
    doc = json.loads(to_stdout.stdout)
    lines = cli("evaluate", *PLAN, "-f", "jsonl").stdout.splitlines()
    *decisions, summary = [json.loads(line) for line in lines]
    assert decisions == doc["decisions"]
    assert summary == {"summary": {"policy": doc["policy"], "evaluated_at": doc["evaluated_at"], "as_of": doc["as_of"],
                                   "allocation": doc["allocation"], "decisions": 44,
                                   "outcomes": {"approved": 23, "deferred": 7, "pending_approval": 5, "rejected": 9}}}


def test_bad_input_writes_nothing(tmp_path):
    bad = tmp_path / "bad.csv"
    text = INITIATIVES.read_text(encoding="utf-8").splitlines()
    header, first = text[0].split(","), text[1].split(",")
    first[header.index("cost")] = "lots"
    bad.write_text("\n".join([text[0], ",".join(first), *text[2:]]) + "\n", encoding="utf-8")
    out = tmp_path / "out.json"
    done = cli("evaluate", "-P", POLICY, "-i", str(bad), "-f", "json", "-o", str(out))
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1 and "bad.csv" in done.stderr and "cost" in done.stderr
    assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == [bad]  # neither the file nor its temporary copy
    skipped = cli("evaluate", "-P", POLICY, "-i", str(bad), "-f", "csv", "-o", str(out), "--skip-invalid",
                  "--evaluated-at", AT)
    assert skipped.returncode == 0 and "skipped:" in skipped.stderr and "1 invalid row(s) skipped" in skipped.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert len(rows) == 43 and first[0] not in {r["id"] for r in rows}
    what_if = cli("evaluate", *PLAN, "-f", "json", "-o", str(out), "--what-if-pool", "lots")
    assert what_if.returncode == 2 and "--what-if-pool" in what_if.stderr
    assert out.read_text(encoding="utf-8").startswith("id,outcome")  # the earlier file stays as it was


def test_with_or_without_a_ledger_the_output_is_the_same(tmp_path):
    ledger = tmp_path / "ledger.db"
    plain = cli("evaluate", *PLAN, "-f", "csv")
    kept = cli("evaluate", *PLAN, "-f", "csv", "--ledger", str(ledger))
    assert kept.returncode == 0 and kept.stdout == plain.stdout
    assert f"ledger: appended 44 decision(s) to {ledger}" in kept.stderr
    replayed = cli("replay", "--ledger", str(ledger))
    assert "44 of 44 reproduced (100%)" in replayed.stdout


def test_a_generated_portfolio_through_csv_and_jsonl(tmp_path):
    header = ("id,title,kind,department,role,cost,currency,priorities,forecast.win-rate,probability,horizon,"
              "evaluation_plan,rating.feasibility,rating.alignment,rating.transfer,rating.risk,rating.sustainability")
    rows = [f"G-{n:05d},Generated {n},{('training', 'coaching', 'workshop')[n % 3]},Sales,Manager,{1000 + 37 * n},"
            f"USD,win-rate,{1 + n % 40},0.{10 + n % 85:02d},4,{'pre_post_assessment' if n % 7 else ''},"
            f"{1 + n % 5},{1 + n % 4},3,2,4" for n in range(2000)]
    source = tmp_path / "generated.csv"
    source.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    done = cli("evaluate", "-P", POLICY, "-i", str(source), "-f", "csv", "--evaluated-at", AT)
    assert done.returncode == 0, done.stderr
    read = list(csv.DictReader(io.StringIO(done.stdout)))
    assert [r["id"] for r in read] == [f"G-{n:05d}" for n in range(2000)]
    assert all(r["outcome"] == "rejected" for n, r in enumerate(read) if n % 7 == 0)  # no evaluation plan
    small = tmp_path / "small.csv"
    small.write_text("\n".join([header, *rows[:60]]) + "\n", encoding="utf-8")
    lines = cli("evaluate", "-P", POLICY, "-i", str(small), "-f", "jsonl", "--evaluated-at", AT).stdout.splitlines()
    *decisions, summary = [json.loads(line) for line in lines]
    assert [d["initiative_id"] for d in decisions] == [f"G-{n:05d}" for n in range(60)]
    assert summary["summary"]["decisions"] == 60
