"""Milestones through ``budgetpolicy review`` on the bundled example: today's numbers with ``ramp = "none"``,
and bad milestone columns as one located line each (exit 2)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "policies" / "acme-2026.toml"
INITIATIVES = ROOT / "policies" / "acme-2026.initiatives.csv"
OUTCOMES = ROOT / "policies" / "acme-2026.outcomes.csv"
# The realisations of every quarter as `review --period 2026-Q3` printed them before milestones existed
# (tests/golden/house/review.json at that commit): every reading against the whole-horizon forecast.
WHOLE_HORIZON = Path(__file__).resolve().parent / "fixtures" / "acme-2026-whole-horizon-realisations.json"
WITH_MILESTONES = {"INI-001", "INI-009", "INI-038"}  # the bundled initiatives that declare milestones


def review(policy: Path, initiatives: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "budgetpolicy", "review", "-P", str(policy), "-i", str(initiatives),
                           "-O", str(OUTCOMES), *args], capture_output=True, text=True, cwd=ROOT, timeout=120)


def ramp_none(tmp_path: Path) -> Path:
    policy = tmp_path / "acme-2026.toml"
    policy.write_text(POLICY.read_text(encoding="utf-8") + '\n[milestones]\nramp = "none"\n', encoding="utf-8")
    return policy


def rewritten(tmp_path: Path, change) -> Path:
    """A copy of the bundled initiatives with ``change(header, rows)`` applied."""
    with open(INITIATIVES, newline="", encoding="utf-8") as fh:
        header, *rows = list(csv.reader(fh))
    header, rows = change(header, rows)
    out = tmp_path / "initiatives.csv"
    with open(out, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows([header, *rows])
    return out


def without_milestones(header, rows):
    keep = [i for i, name in enumerate(header) if not name.startswith("milestone.")]
    return [header[i] for i in keep], [[row[i] for i in keep] for row in rows]


def by_quarter(doc):
    quarters = {q["period"]: q["realisations"] for q in doc["history"]}
    quarters[doc["period"]] = doc["realisations"]
    return quarters


def as_before(realisation):
    """A realisation without what milestones added (each KPI's expected lift and where it comes from),
    its numbers as Decimals (output JSON now writes them without trailing zeros: "2.0" is "2")."""
    kpis = [{k: _number(v) for k, v in kpi.items() if k not in ("expected", "due")} for kpi in realisation["kpis"]]
    return {k: _number(v) for k, v in {**realisation, "kpis": kpis}.items()}


def _number(value):
    try:
        return Decimal(value) if isinstance(value, str) else value
    except ArithmeticError:
        return value


def test_ramp_none_without_declared_milestones_reproduces_todays_realisations(tmp_path):
    done = review(ramp_none(tmp_path), rewritten(tmp_path, without_milestones), "--period", "2026-Q3", "-f", "json")
    assert done.returncode == 0, done.stderr
    got = by_quarter(json.loads(done.stdout))
    want = json.loads(WHOLE_HORIZON.read_text(encoding="utf-8"))
    assert {q: [as_before(r) for r in rs] for q, rs in got.items()} == {q: [as_before(r) for r in rs]
                                                                        for q, rs in want.items()}
    kpis = [k for rs in got.values() for r in rs for k in r["kpis"] if k["ratio"] is not None]
    assert all(k["expected"] == k["forecast"] and k["due"] == "forecast" for k in kpis)


def test_ramp_none_keeps_the_declared_milestones(tmp_path):
    done = review(ramp_none(tmp_path), INITIATIVES, "--period", "2026-Q3", "-f", "json")
    assert done.returncode == 0, done.stderr
    got = by_quarter(json.loads(done.stdout))
    want = json.loads(WHOLE_HORIZON.read_text(encoding="utf-8"))
    differ = {r["initiative_id"] for q, rs in got.items() for r, old in zip(rs, want[q])
              if as_before(r) != as_before(old)}
    assert differ == WITH_MILESTONES


def _with_column(name: str, value: str, row: int = 0):
    def change(header, rows):
        rows = [[*r, value if i == row else ""] for i, r in enumerate(rows)]
        return [*header, name], rows
    return change


@pytest.mark.parametrize("column,value,code,says", [
    # Caught as the row is read, against the policy (before #18 the review found it: BP710).
    ("milestone.2026-Q2.win-rat", "1", "BP430",
     "'win-rat' in 'milestone.2026-Q2.win-rat' is not a priority of the policy (did you mean 'win-rate'?"),
    ("milestone.2026-Q5.win-rate", "1", "BP415", "'2026-Q5' is not a valid key for milestones"),
    ("milestone.2026-Q2.win-rate", "1,5", "BP420", '"1,5" uses \',\' as the decimal point (write 1.5)'),
    ("milestone.2026-Q2.csat", "1", "BP710", "milestone for 'csat', which 'INI-001' forecasts no lift for"),
])
def test_a_bad_milestone_column_is_one_located_line(tmp_path, column, value, code, says):
    if column == "milestone.2026-Q2.win-rate":  # the column exists: give INI-001 a bad value in it
        def change(header, rows):
            at = header.index(column)
            rows[0][at] = value
            return header, rows
    else:
        change = _with_column(column, value)
    initiatives = rewritten(tmp_path, change)
    done = review(POLICY, initiatives, "--period", "2026-Q3")
    assert done.returncode == 2, done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    (line,) = lines
    assert line.startswith(f"{initiatives}: row 2: field '{column}': {code} error: "), line
    assert says in line
