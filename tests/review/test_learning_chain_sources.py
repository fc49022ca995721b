"""`review -O` is repeatable: the readings of several sources are merged per initiative and quarter.

The bundled outcomes split by column into a learning-system file and a KPI file must review exactly
as the one file does (also recorded in a ledger, reading for reading); two sources disagreeing on a
field is one located line per field naming both files and rows, exit 2, nothing recorded; the same
value twice is fine; and the issue's case: an xAPI export alone leaves the bets it does not cover
unmeasured, and a KPI file beside it measures them.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import budgetpolicy

ROOT = Path(__file__).resolve().parents[2]
POLICY = str(ROOT / "policies" / "acme-2026.toml")
INITIATIVES = str(ROOT / "policies" / "acme-2026.initiatives.csv")
OUTCOMES = ROOT / "policies" / "acme-2026.outcomes.csv"
PLAN = ("-P", POLICY, "-i", INITIATIVES)
# The columns a learning system knows; the rest (KPIs, spend, finished) come from operations.
LEARNING = ("pre_assessment", "post_assessment", "completion_rate", "observation")
SIGNOFFS = (("INI-009", "vp", "e1042"), ("INI-009", "finance", "e2210"), ("INI-001", "vp", "e1187"),
            ("INI-002", "vp", "e1187"), ("INI-011", "vp", "e1187"), ("INI-021", "vp", "e1187"))


def cli(*args: str, cwd: Path = ROOT, plugins: str = "") -> subprocess.CompletedProcess[str]:
    path = os.pathsep.join([str(Path(budgetpolicy.__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "BUDGETPOLICY_PLUGINS": plugins, "PYTHONPATH": path, "COLUMNS": "100"}
    return subprocess.run([sys.executable, "-m", "budgetpolicy", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=300)


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def split(tmp_path: Path, columns: tuple[str, ...] = LEARNING) -> tuple[str, str]:
    """The bundled outcomes as two files: ``columns`` (learning) and every other column (operations);
    each keeps only the rows that give it a value."""
    with open(OUTCOMES, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    keys = ("initiative_id", "period")
    learning = [*keys, *columns]
    operations = [c for c in rows[0] if c not in columns]
    paths = []
    for name, wanted in (("learning.csv", learning), ("operations.csv", operations)):
        path = tmp_path / name
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, wanted, lineterminator="\n")
            writer.writeheader()
            for row in rows:
                if any(row[c] for c in wanted if c not in keys):
                    writer.writerow({c: row[c] for c in wanted})
        paths.append(str(path))
    return paths[0], paths[1]


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_two_sources_review_exactly_as_the_one_file(tmp_path):
    learning, operations = split(tmp_path)
    whole = ok(cli("review", *PLAN, "-O", str(OUTCOMES), "--period", "2026-Q3", "-f", "json"))
    merged = ok(cli("review", *PLAN, "-O", learning, "-O", operations, "--period", "2026-Q3", "-f", "json"))
    assert merged == whole
    # The order of the sources does not matter when they agree.
    swapped = ok(cli("review", *PLAN, "-O", operations, "-O", learning, "--period", "2026-Q3", "-f", "json"))
    assert swapped == whole
    # One source alone is not the same review: the merge really combined them.
    alone = ok(cli("review", *PLAN, "-O", operations, "--period", "2026-Q3", "-f", "json"))
    assert alone != whole


def _year(tmp_path: Path, name: str) -> str:
    ledger = str(tmp_path / name)
    ok(cli("evaluate", *PLAN, "--evaluated-at", "2026-01-15T09:00:00+00:00", "--ledger", ledger, "-f", "csv"))
    for initiative, role, by in SIGNOFFS:
        ok(cli("approve", ledger, initiative, "--role", role, "--by", by, "--at", "2026-01-20T10:00:00+00:00"))
    return ledger


def _readings(ledger: str) -> list[dict]:
    shown = json.loads(ok(cli("ledger", "show", ledger, "--kind", "reading", "--format", "json")))
    return [r["payload"]["reading"] for r in shown]


def test_the_ledger_records_the_merged_readings_and_replays_them(tmp_path):
    learning, operations = split(tmp_path)
    one, two = _year(tmp_path, "one.db"), _year(tmp_path, "two.db")
    for quarter in ("2026-Q1", "2026-Q2"):
        at = ("--evaluated-at", "2026-07-01T09:00:00+00:00")
        ok(cli("review", "--ledger", one, "-O", str(OUTCOMES), "--period", quarter, *at))
        ok(cli("review", "--ledger", two, "-O", learning, "-O", operations, "--period", quarter, *at))
    # The same readings, field for field (in the order the sources first give them).
    recorded = _readings(two)
    key = lambda r: (r["initiative_id"], r["period"])  # noqa: E731
    assert sorted(recorded, key=key) == sorted(_readings(one), key=key)
    ini001 = next(r for r in recorded if r["initiative_id"] == "INI-001" and r["period"] == "2026-Q1")
    # Both sources' fields in one recorded reading: the learning system's and the KPI file's.
    assert (ini001["completion_rate"], ini001["pre_assessment"], ini001["kpis"]["win-rate"],
            ini001["spend_to_date"]) == ("0.42", "54", "1.2", "12000")
    # Q3 reviewed from the ledger recomputes Q1 and Q2 from the recorded (merged) readings: they match.
    result = cli("review", "--ledger", two, "-O", learning, "-O", operations, "--period", "2026-Q3", "--dry-run")
    ok(result)
    assert "dry run: 2026-Q3 computed" in result.stderr
    ok(cli("ledger", "verify", two))
    # Replay computes each recorded quarter again from the ledger alone: the merged readings reproduce it.
    assert "2 quarter(s) reproduced" in ok(cli("replay", "--ledger", two))


def test_the_same_value_from_two_sources_is_fine(tmp_path):
    kpis = write(tmp_path / "kpis.csv", "initiative_id,period,kpi.win-rate,completion_rate,spend_to_date\n"
                                         "INI-001,2026-Q1,1.2,0.42,12000\n")
    lrs = write(tmp_path / "lrs.json", json.dumps([{"initiative_id": "INI-001", "period": "2026-Q1",
                                                    "completion_rate": "0.420", "satisfaction": 4.2}]))
    doc = json.loads(ok(cli("review", *PLAN, "-O", kpis, "-O", lrs, "--period", "2026-Q1", "-f", "json")))
    (realised,) = [r for r in doc["realisations"] if r["initiative_id"] == "INI-001"]
    assert realised["value"] is not None


def test_conflicting_sources_are_one_located_line_per_field_naming_both(tmp_path):
    kpis = write(tmp_path / "kpis.csv", "initiative_id,period,kpi.win-rate,completion_rate\n"
                                         "INI-002,2026-Q1,0.45,0.30\n"
                                         "INI-001,2026-Q1,1.2,0.42\n")
    lrs = write(tmp_path / "lrs.csv", "initiative_id,period,completion_rate,kpi.win-rate\n"
                                       "INI-001,2026-Q1,0.5,1.2\n")
    result = cli("review", *PLAN, "-O", kpis, "-O", lrs, "--period", "2026-Q1")
    assert result.returncode == 2 and result.stdout == "" and "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"{lrs}: row 2: field 'completion_rate': BP660 error: ")
    assert f"completion_rate of 'INI-001' in 2026-Q1 is 0.5 here but 0.42 in {kpis}: row 3" in line


def test_a_conflict_records_nothing_in_the_ledger(tmp_path):
    ledger = _year(tmp_path, "year.db")
    before = hashlib.sha256(Path(ledger).read_bytes()).hexdigest()
    other = write(tmp_path / "other.csv", "initiative_id,period,kpi.win-rate,kpi.csat\n"
                                           "INI-001,2026-Q1,1.5,0.1\n")
    result = cli("review", "--ledger", ledger, "-O", str(OUTCOMES), "-O", other, "--period", "2026-Q1")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "field 'kpi.win-rate': BP660 error: kpi.win-rate of 'INI-001' in 2026-Q1 is 1.5 " \
                                "here but 1.2 in " in lines[0] and f"{OUTCOMES}: row 2" in lines[0]
    assert hashlib.sha256(Path(ledger).read_bytes()).hexdigest() == before


@pytest.fixture(scope="module")
def xapi_sample() -> str:
    pytest.importorskip("budgetpolicy_xapi", reason="the xAPI plugin (plugins/budgetpolicy-xapi) is installed "
                                                   "by `make test`")
    import budgetpolicy_xapi

    return str(Path(budgetpolicy_xapi.__file__).with_name("samples") / "acme-lrs-export.json")


def _unmeasured(doc: dict) -> set[str]:
    quarters = [doc, *doc.get("history", [])]
    return {s["initiative_id"] for q in quarters for s in q.get("sunsets", []) if s["criterion"] == "unmeasured"}


def test_xapi_alone_sunsets_unmeasured_bets_that_a_kpi_file_measures(tmp_path, xapi_sample):
    """The issue's case: the LRS export knows completion and assessments of the courses it tracks; the
    other bets have no reading there and are sunset "unmeasured". The operations file gives their KPIs."""
    _, operations = split(tmp_path)
    xapi = f"xapi:{xapi_sample}"
    alone = json.loads(ok(cli("review", *PLAN, "-O", xapi, "--period", "2026-Q3", "-f", "json", plugins="xapi")))
    unmeasured = _unmeasured(alone)
    # The export covers INI-001 and INI-010 only: every other funded bet goes "unmeasured" by Q3.
    assert unmeasured == {"INI-002", "INI-008", "INI-009", "INI-013", "INI-021", "INI-025", "INI-006", "INI-011",
                          "INI-016", "INI-027", "INI-029", "INI-038"}
    both = json.loads(ok(cli("review", *PLAN, "-O", xapi, "-O", operations, "--period", "2026-Q3", "-f", "json",
                             plugins="xapi")))
    # Only INI-025 stays unmeasured: no source has a reading for it.
    assert _unmeasured(both) == {"INI-025"}
    # The LRS's completion and assessments and the KPI file's lifts sit in one reading: INI-001's Q1 holds
    # both (its realisation needs the KPI file, its chain's completion the export).
    chain = next(c for c in both["learning"] if (c["initiative_id"], c["period"]) == ("INI-001", "2026-Q1"))
    assert (chain["completion_rate"], chain["pre_assessment"], chain["realisation"]) == ("0.6", "48.6", "1.2")
    assert (chain["pass_rate"], chain["participants"]) == ("0.75", 5)


def test_a_later_check_names_the_source_row_a_merged_field_came_from(tmp_path):
    """Spend that falls (BP706) is named at the row of the source that gave it, not at the first
    source's row of the merged reading."""
    lms = write(tmp_path / "lms.csv", "initiative_id,period,completion_rate\nINI-001,2026-Q1,0.4\n"
                                       "INI-001,2026-Q2,0.7\n")
    ops = write(tmp_path / "ops.csv", "initiative_id,period,kpi.win-rate,spend_to_date\nINI-001,2026-Q1,1.2,12000\n"
                                       "INI-001,2026-Q2,1.8,9000\n")
    result = cli("review", *PLAN, "-O", lms, "-O", ops, "--period", "2026-Q2")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"{ops}: row 3: field 'spend_to_date': BP706 error: spend to date of 'INI-001' falls")
