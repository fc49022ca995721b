"""`review --ledger` records what the review saw and decided, in the same verified chain as decisions."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
P = ROOT / "policies"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "budgetpolicy", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


def test_evaluate_then_review_into_one_ledger(tmp_path):
    """With the plan in the ledger, the review works from it: each quarter in order, recorded as its
    readings and a quarter record (docs/budget-year.md)."""
    ledger = str(tmp_path / "audit.db")
    common = ["-P", str(P / "acme-2026.toml"), "-i", str(P / "acme-2026.initiatives.csv")]
    assert run("evaluate", *common, "--ledger", ledger, "--evaluated-at", "2026-01-15T09:00:00+00:00",
               "--format", "csv").returncode == 0
    # The example readings spend on every pending bet from Q1: signed as `make demo` signs them, or the
    # reviews are refused (BP872).
    signoffs = {None: [("INI-009", "vp", "e1042"), ("INI-009", "finance", "e2210"), ("INI-001", "vp", "e1187"),
                       ("INI-002", "vp", "e1187"), ("INI-011", "vp", "e1187"), ("INI-021", "vp", "e1187")]}
    for quarter in (None, "2026-Q1", "2026-Q2", "2026-Q3"):
        if quarter is not None:
            result = run("review", "--outcomes", str(P / "acme-2026.outcomes.csv"), "--period", quarter,
                         "--ledger", ledger, "--evaluated-at", "2026-10-01T09:00:00+00:00")
            assert result.returncode == 0, result.stderr
            assert f"ledger: recorded {quarter}" in result.stderr
        for initiative, role, by in signoffs.get(quarter, ()):
            assert run("approve", ledger, initiative, "--role", role, "--by", by).returncode == 0
    assert run("ledger", "verify", ledger).returncode == 0
    shown = json.loads(run("ledger", "show", ledger, "--initiative", "INI-002", "--format", "json").stdout)
    assert [r["kind"] for r in shown] == ["decision", "signoff", "reading", "reading", "reading"]
    assert [r["period"] for r in shown[2:]] == ["2026-Q1", "2026-Q2", "2026-Q3"]
    (q3,) = json.loads(run("ledger", "show", ledger, "--kind", "quarter", "--period", "2026-Q3",
                           "--format", "json").stdout)
    assert q3["evaluated_at"] == "2026-10-01T09:00:00+00:00"
    completion = next(c for c in q3["payload"]["review"]["completions"] if c["initiative_id"] == "INI-002")
    assert (completion["status"], completion["criterion"]) == ("completed_below_target", "horizon-over")
    # The reading and quarter records do not disturb replay of the decisions.
    replay = run("replay", "--ledger", ledger)
    assert replay.returncode == 0, replay.stdout + replay.stderr
    assert "100" in replay.stdout


def test_review_into_a_ledger_without_a_plan_appends_review_records(tmp_path):
    ledger = str(tmp_path / "audit.db")
    common = ["-P", str(P / "acme-2026.toml"), "-i", str(P / "acme-2026.initiatives.csv")]
    result = run("review", *common, "--outcomes", str(P / "acme-2026.outcomes.csv"), "--period", "2026-Q3",
                 "--ledger", ledger, "--evaluated-at", "2026-10-01T09:00:00+00:00")
    assert result.returncode == 0, result.stderr
    assert "review record(s)" in result.stderr
    shown = json.loads(run("ledger", "show", ledger, "--initiative", "INI-002", "--format", "json").stdout)
    assert [r["kind"] for r in shown] == ["review"]
    review = shown[0]
    (completion,) = review["payload"]["review"]["completions"]
    assert (completion["status"], completion["criterion"]) == ("completed_below_target", "horizon-over")
    assert [o["period"] for o in review["payload"]["outcomes"]] == ["2026-Q1", "2026-Q2", "2026-Q3"]


def test_bad_what_if_leaves_the_ledger_untouched(tmp_path):
    ledger = tmp_path / "audit.db"
    result = run("evaluate", "-P", str(P / "acme-2026.toml"), "-i", str(P / "acme-2026.initiatives.csv"),
                 "--ledger", str(ledger), "--what-if-pool", "lots")
    assert result.returncode == 2 and "--what-if-pool 'lots' is not an amount" in result.stderr
    assert not ledger.exists()
