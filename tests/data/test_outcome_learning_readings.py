"""The learning chain's readings as data: their ranges through the command line (one located line, exit 2,
nothing recorded), and the record format (readings without them keep their exact recorded bytes)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from decimal import Decimal as D
from pathlib import Path

import budgetpolicy
from budgetpolicy.data.load import outcome_to_record, record_to_outcome

ROOT = Path(__file__).resolve().parents[2]
PLAN = ("-P", str(ROOT / "policies" / "acme-2026.toml"), "-i", str(ROOT / "policies" / "acme-2026.initiatives.csv"))


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    path = os.pathsep.join([str(Path(budgetpolicy.__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "BUDGETPOLICY_PLUGINS": "", "PYTHONPATH": path}
    return subprocess.run([sys.executable, "-m", "budgetpolicy", *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120)


# Each bad value on a row of its own: one located line each, all reported at once.
BAD = [
    ("hours", "-3", "BP414", "must be >= 0, got -3"),
    ("participants", "-2", "BP414", "must be >= 0, got -2"),
    ("participants", "2.5", "BP413", "expected a whole number"),
    ("completion_rate", "1.5", "BP414", "must be <= 1, got 1.5"),
    ("completion_rate", "-0.1", "BP414", "must be >= 0, got -0.1"),
    ("pass_rate", "1.01", "BP414", "must be <= 1, got 1.01"),
    ("pass_rate", "-1", "BP414", "must be >= 0, got -1"),
    ("satisfaction", "5.5", "BP414", "must be <= 5, got 5.5"),
    ("satisfaction", "-0.5", "BP414", "must be >= 0, got -0.5"),
    ("relevance", "6", "BP414", "must be <= 5, got 6"),
    ("observation", "-1", "BP414", "must be >= 0, got -1"),
]
COLUMNS = ("hours", "participants", "completion_rate", "pass_rate", "satisfaction", "relevance", "observation")


def test_every_reading_out_of_range_is_one_located_line(tmp_path):
    path = tmp_path / "learning.csv"
    rows = ["initiative_id,period," + ",".join(COLUMNS), "INI-001,2026-Q1," + ",".join("1" for _ in COLUMNS)]
    for n, (column, value, _, _) in enumerate(BAD, start=2):
        rows.append(f"INI-{n:03d},2026-Q1," + ",".join(value if c == column else "" for c in COLUMNS))
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = cli("review", *PLAN, "-O", str(ROOT / "policies" / "acme-2026.outcomes.csv"), "-O", str(path),
                 "--period", "2026-Q1")
    assert result.returncode == 2 and result.stdout == "" and "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == len(BAD)
    for n, ((column, _, code, says), line) in enumerate(zip(BAD, lines), start=3):
        assert line.startswith(f"{path}: row {n}: field '{column}': {code} error: "), line
        assert says in line


def test_a_bad_reading_records_nothing_in_the_ledger(tmp_path):
    ledger = str(tmp_path / "year.db")
    made = cli("evaluate", *PLAN, "--evaluated-at", "2026-01-15T09:00:00+00:00", "--ledger", ledger, "-f", "csv")
    assert made.returncode == 0, made.stderr
    before = hashlib.sha256(Path(ledger).read_bytes()).hexdigest()
    path = tmp_path / "learning.json"
    path.write_text('[{"initiative_id": "INI-001", "period": "2026-Q1", "hours": 12},\n'
                    ' {"initiative_id": "INI-002", "period": "2026-Q1", "satisfaction": 7}]\n', encoding="utf-8")
    result = cli("review", "--ledger", ledger, "-O", str(path), "--period", "2026-Q1")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert f"{path}: record 2: field 'satisfaction': BP414 error: must be <= 5, got 7" in line
    assert hashlib.sha256(Path(ledger).read_bytes()).hexdigest() == before


def test_records_carry_the_new_readings_only_when_given():
    old = {"initiative_id": "INI-001", "period": "2026-Q1", "kpis": {"win-rate": "1.2"}, "pre_assessment": "54",
           "post_assessment": "63", "completion_rate": "0.42", "observation": "2.8", "spend_to_date": "12000",
           "finished": False}
    # A reading recorded before the learning chain's fields existed reads back to the same record.
    assert outcome_to_record(record_to_outcome(old)) == old
    new = record_to_outcome({**old, "satisfaction": "4.2", "relevance": 3.5, "pass_rate": "0.80", "hours": "96.5",
                             "participants": "12"})
    assert (new.satisfaction, new.relevance, new.pass_rate, new.hours, new.participants) == \
        (D("4.2"), D("3.5"), D("0.80"), D("96.5"), 12)
    assert outcome_to_record(new) == {**old, "satisfaction": "4.2", "relevance": "3.5", "pass_rate": "0.80",
                                      "hours": "96.5", "participants": 12}
