"""Spend reconciled: `review --ledger` checks each reading's spend against the position at the start of the
quarter; under [spend] on_mismatch = "error" refused together (exit 2, ledger unchanged), under "flag"
recorded with flags that positions show; burn rates per initiative and department."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from year_helpers import INITIATIVES, PLANNED_AT, POLICY, ROOT, cli, sha256

import budgetpolicy as bp
from budgetpolicy.audit.record import record_evaluation

HEADER = (ROOT / "policies" / "acme-2026.outcomes.csv").read_text().splitlines()[0]
COLUMNS = HEADER.split(",")


def _plan(tmp_path: Path, spend: str) -> Path:
    policy = tmp_path / "policy.toml"
    policy.write_text(Path(POLICY).read_text() + "\n[spend]\n" + spend + "\n")
    ledger = tmp_path / "audit.db"
    evaluation = bp.run_cycle(str(policy), INITIATIVES, evaluated_at=PLANNED_AT)
    record_evaluation(ledger, evaluation, evaluation.initiatives)
    return ledger


def _outcomes(tmp_path: Path, name: str, *rows: tuple[str, str, str]) -> Path:
    """An outcomes file: (initiative, quarter, spend to date) per row, the other columns empty."""
    lines = [HEADER]
    for iid, period, spend in rows:
        values = {"initiative_id": iid, "period": period, "spend_to_date": spend, "completion_rate": "0.1",
                  "finished": "false"}
        lines.append(",".join(values.get(c, "") for c in COLUMNS))
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def _review(ledger: Path, outcomes: Path, period: str):
    return cli("review", "--ledger", str(ledger), "-O", str(outcomes), "--period", period,
               "--evaluated-at", "2026-04-01T09:00:00+00:00")


def _refused(ledger: Path, outcomes: Path, period: str) -> list[str]:
    before = sha256(ledger)
    done = _review(ledger, outcomes, period)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert sha256(ledger) == before
    return done.stderr.splitlines()


@pytest.mark.parametrize(("iid", "spend", "code", "words"), [
    ("INI-003", "14000.01", "BP870", "INI-003 spent USD 14,000.01 by 2026-Q1, 0.01 above its allocation of 14,000"),
    ("INI-007", "25000", "BP871", "INI-007 spent USD 25,000 by 2026-Q1, but it is rejected ("),
    ("INI-009", "1000", "BP872", "INI-009 spent USD 1,000 by 2026-Q1, but it awaits the sign-off of vp, finance"),
    ("INI-006", "1000", "BP874", "INI-006 spent USD 1,000 by 2026-Q1, before its start quarter 2026-Q2"),
])
def test_each_check_refuses_the_review_with_one_line(tmp_path, iid, spend, code, words):
    ledger = _plan(tmp_path, "")
    outcomes = _outcomes(tmp_path, "q1.csv", (iid, "2026-Q1", spend))
    (line,) = _refused(ledger, outcomes, "2026-Q1")
    assert line.startswith(f"{outcomes}: row 2: {code} error: {words}"), line


def test_spend_on_a_refused_initiative(tmp_path):
    ledger = _plan(tmp_path, "")
    assert cli("refuse", str(ledger), "INI-001", "--role", "vp", "--by", "e1187", "--reason", "no",
               "--at", "2026-01-20T10:00:00+00:00").returncode == 0
    (line,) = _refused(ledger, _outcomes(tmp_path, "q1.csv", ("INI-001", "2026-Q1", "5000")), "2026-Q1")
    assert " BP873 error: INI-001 spent USD 5,000 by 2026-Q1, but vp refused it" in line


def test_spend_going_down(tmp_path):
    ledger = _plan(tmp_path, "")
    assert _review(ledger, _outcomes(tmp_path, "q1.csv", ("INI-003", "2026-Q1", "7000")), "2026-Q1").returncode == 0
    (line,) = _refused(ledger, _outcomes(tmp_path, "q2.csv", ("INI-003", "2026-Q2", "6000")), "2026-Q2")
    assert " BP875 error: INI-003 spent USD 6,000 by 2026-Q2, less than the 7,000 recorded by 2026-Q1" in line


def test_several_problems_are_reported_together(tmp_path):
    ledger = _plan(tmp_path, "")
    outcomes = _outcomes(tmp_path, "q1.csv", ("INI-009", "2026-Q1", "99000"), ("INI-007", "2026-Q1", "25000"),
                         ("INI-015", "2026-Q1", "30000"), ("INI-003", "2026-Q1", "7000"))
    lines = _refused(ledger, outcomes, "2026-Q1")
    codes = [line.split(": ")[2].split()[0] for line in lines]
    assert codes == ["BP872", "BP870", "BP871", "BP874", "BP871"], lines
    assert "INI-009 spent USD 99,000 by 2026-Q1, 47,000 above its allocation of 52,000" in lines[1]


def test_tolerance_boundary(tmp_path):
    ledger = _plan(tmp_path, "tolerance = 0.05")
    over = _outcomes(tmp_path, "over.csv", ("INI-003", "2026-Q1", "14700.01"))
    (line,) = _refused(ledger, over, "2026-Q1")
    assert " BP870 error: " in line and "tolerance 5%: up to 14,700" in line
    at = _outcomes(tmp_path, "at.csv", ("INI-003", "2026-Q1", "14700"))
    assert _review(ledger, at, "2026-Q1").returncode == 0


def test_flags_are_recorded_and_shown_by_positions(tmp_path):
    ledger = _plan(tmp_path, 'on_mismatch = "flag"')
    outcomes = _outcomes(tmp_path, "q1.csv", ("INI-009", "2026-Q1", "99000"), ("INI-007", "2026-Q1", "25000"),
                         ("INI-003", "2026-Q1", "7000"))
    done = _review(ledger, outcomes, "2026-Q1")
    assert done.returncode == 0, done.stderr
    flagged = [line for line in done.stderr.splitlines() if line.startswith("flagged: ")]
    assert len(flagged) == 3 and all(str(outcomes) in line for line in flagged)
    assert sorted(code for line in flagged for code in ("BP870", "BP871", "BP872") if code in line) == \
        ["BP870", "BP871", "BP872"]
    shown = cli("ledger", "positions", str(ledger), "--format", "json")
    data = {p["initiative_id"]: p for p in json.loads(shown.stdout)["initiatives"]}
    assert data["INI-009"]["flags"] == ["2026-Q1 BP872", "2026-Q1 BP870"]
    assert data["INI-007"]["flags"] == ["2026-Q1 BP871"]
    assert data["INI-003"]["flags"] == []
    table = cli("ledger", "positions", str(ledger)).stdout.splitlines()
    # Its row in the sign-offs table (the last one to name it); FLAGS is the last column, wrapped onto
    # the next line when it needs the width.
    at = max(i for i, r in enumerate(table) if r.startswith("INI-007"))
    flags = table[at].split("  ")[-1].strip()
    if not flags.endswith("BP871"):
        flags += " " + table[at + 1].strip()
    assert flags == "2026-Q1 BP871"


def test_burn_rates_per_initiative_and_department(tmp_path):
    ledger = _plan(tmp_path, "")
    outcomes = _outcomes(tmp_path, "q1.csv", ("INI-003", "2026-Q1", "7000"), ("INI-004", "2026-Q1", "2000"))
    assert _review(ledger, outcomes, "2026-Q1").returncode == 0
    positions = bp.positions(ledger)
    assert positions.initiative("INI-003").burn == Decimal("0.5000")  # 7,000 / 14,000
    assert positions.initiative("INI-004").burn == Decimal("0.3333")  # 2,000 / 6,000
    assert positions.initiative("INI-007").burn is None  # nothing allocated
    sales = next(d for d in positions.departments if d.department == "Sales")
    funded = sum((p.allocated for p in positions.initiatives
                  if p.initiative_id in {d.initiative_id for d in _sales(ledger)}), Decimal(0))
    assert sales.allocated == funded and sales.spent == Decimal(9000)
    assert sales.burn == (Decimal(9000) / funded).quantize(Decimal("0.0001"))


def _sales(ledger: Path):
    from budgetpolicy.audit.ledger import Ledger
    from budgetpolicy.year.events import read_year

    with Ledger(ledger, create=False, readonly=True) as reader:
        return [d for d in read_year(reader).plan.decisions if d.department == "Sales"]
