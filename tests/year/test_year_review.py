"""`review --ledger` with a recorded plan: the review reads the record, quarters go in order, a recorded
quarter is shown from its record, and positions after each quarter keep the pool whole."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from year_helpers import INITIATIVES, OUTCOMES, POLICY, QUARTERS, cli, one_line_error, sha256

import budgetpolicy as bp
from budgetpolicy.canonical import to_jsonable
from budgetpolicy.year.quarters import review_quarter

MOVES = ("releases", "sunsets", "completions", "summary", "totals", "positions")


def _review(ledger: Path, period: str, *extra: str, outcomes: str = OUTCOMES):
    return cli("review", "--ledger", str(ledger), "-O", outcomes, "--period", period,
               "--evaluated-at", "2026-10-01T09:00:00+00:00", *extra)


def _record_all(ledger: Path) -> None:
    for quarter in QUARTERS:
        done = _review(ledger, quarter)
        assert done.returncode == 0, done.stderr
        assert f"ledger: recorded {quarter}" in done.stderr


def test_quarter_by_quarter_from_the_ledger_equals_the_file_review(signed):
    # Signed as the demo signs it, the year moves the same money as a review from the files; only the
    # approval rules on the new amounts add what a file review cannot know: who must sign the extra money.
    compiled = bp.open_policy(POLICY)
    registry = compiled.registry
    initiatives = bp.read_initiatives(INITIATIVES, registry, attribute_types=compiled.policy.attributes)
    outcomes = bp.read_outcomes(OUTCOMES, registry)
    old = bp.run_review(compiled, initiatives, outcomes, "2026-Q3")
    for quarter in QUARTERS:
        done = bp.review_year(signed, outcomes, quarter, at=None)
        assert done.recorded is not None and done.result is not None
    result = done.result
    for part in MOVES:
        assert to_jsonable(getattr(result, part)) == to_jsonable(getattr(old, part)), part
    assert [q.period for q in result.history] == ["2026-Q1", "2026-Q2"]
    moved = [(m.initiative_id, m.kind, m.amount) for m in result.reallocations]
    assert moved == [(m.initiative_id, m.kind, m.amount) for m in old.reallocations]
    # INI-032's 40,000 crosses the VP rule (over 25,000): it awaits a VP; INI-044's 11,000 does not
    assert [(m.initiative_id, m.kind, m.amount, m.awaiting) for m in result.reallocations] == [
        ("INI-032", "next_ranked", 40000, ("vp",)), ("INI-044", "next_ranked", 11000, ())]
    assert all(not m.awaiting for m in old.reallocations)
    q2 = result.history[1].reallocations
    assert [(m.initiative_id, m.amount, m.awaiting) for m in q2] == [("INI-005", 17500, ())]


def test_q3_before_q2_names_the_missing_quarter_and_writes_nothing(signed):
    assert _review(signed, "2026-Q1").returncode == 0
    before = sha256(signed)
    line = one_line_error(_review(signed, "2026-Q3"), "BP860")
    assert "2026-Q3 cannot be reviewed yet: 2026-Q2 is not recorded" in line and str(signed) in line
    assert sha256(signed) == before


def test_nothing_recorded_names_the_first_quarter_with_readings(ledger):
    before = sha256(ledger)
    line = one_line_error(_review(ledger, "2026-Q2"), "BP860")
    assert "2026-Q1 is not recorded" in line
    assert sha256(ledger) == before


def test_a_recorded_quarter_is_shown_from_its_record_and_nothing_is_written(signed):
    _record_all(signed)
    before = sha256(signed)
    again = _review(signed, "2026-Q2", "-f", "json")
    assert again.returncode == 0, again.stderr
    # 45 plan records, 6 sign-offs, Q1's 14 readings and quarter, Q2's 27 readings
    assert "2026-Q2 is recorded (record 94" in again.stderr and "nothing recomputed or written" in again.stderr
    shown = json.loads(again.stdout)
    assert shown["record"] == 94 and shown["period"] == "2026-Q2"
    assert shown["review"]["summary"]["released"] == "17500.00"
    table = _review(signed, "2026-Q2")
    assert "as recorded at record 94" in table.stdout
    assert sha256(signed) == before


def test_editing_the_files_never_changes_the_plan_or_a_recorded_quarter(signed, tmp_path):
    ledger = signed
    assert _review(ledger, "2026-Q1").returncode == 0
    q1 = bp.review_year(ledger, OUTCOMES, "2026-Q1").recorded
    rows = Path(INITIATIVES).read_text(encoding="utf-8").splitlines()
    header, first = rows[0].split(","), rows[1].split(",")
    first[header.index("cost")] = "99999"  # a changed cost, and an initiative appended that starts in Q3
    extra = rows[2].split(",")
    extra[header.index("id")] = "INI-099"
    edited = tmp_path / "initiatives.csv"
    edited.write_text("\n".join([rows[0], ",".join(first), *rows[2:], ",".join(extra)]) + "\n", encoding="utf-8")
    changed = tmp_path / "outcomes.csv"
    lines = Path(OUTCOMES).read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace(",12000,", ",13000,")  # a Q1 reading that differs from the recorded one
    changed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    plan_before = bp.positions(ledger).initiatives
    q2 = cli("review", "--ledger", str(ledger), "-i", str(edited), "-O", str(changed), "--period", "2026-Q2")
    assert q2.returncode == 0, q2.stderr
    assert "differs from record" in q2.stderr and "the record wins" in q2.stderr
    again = bp.review_year(ledger, OUTCOMES, "2026-Q1").recorded
    assert again == q1
    after = bp.positions(ledger, "2026-Q1")
    assert [p.planned for p in after.initiatives] == [p.planned for p in plan_before]  # the cost edit: ignored
    assert after.initiative("INI-001").spent == 12000  # the recorded reading, not the edited file's
    # The appended initiative is a new request of Q2: its own event, never part of Q1 or the plan.
    year = bp.positions(ledger, "2026-Q2")
    assert "INI-099" not in [p.initiative_id for p in after.initiatives]
    assert year.initiative("INI-099").requested == "2026-Q2"
    assert "New requests" in q2.stdout and "INI-099" in q2.stdout


def test_dry_run_writes_nothing(signed):
    before = sha256(signed)
    done = _review(signed, "2026-Q1", "--dry-run")
    assert done.returncode == 0, done.stderr
    assert "Quarterly review 2026-Q1" in done.stdout and "nothing recorded" in done.stderr
    assert sha256(signed) == before


def test_a_policy_with_another_sha_is_refused(signed, tmp_path):
    other = tmp_path / "other.toml"
    other.write_text(Path(POLICY).read_text(encoding="utf-8").replace("pool = 480000", "pool = 480001"),
                     encoding="utf-8")
    before = sha256(signed)
    line = one_line_error(_review(signed, "2026-Q1", "-P", str(other)), "BP861")
    assert "a ledger written under another policy" in line
    assert sha256(signed) == before
    assert _review(signed, "2026-Q1", "-P", POLICY).returncode == 0  # the plan's own policy is accepted


def test_positions_after_each_quarter_keep_the_pool_whole(flagged):
    # Under a policy that flags spend, the year goes on unsigned; signing and refusing afterwards moves the
    # plan's money between allocated, earmarked and returned, and the pool stays whole in every quarter.
    ledger = flagged
    for quarter in QUARTERS:
        assert _review(ledger, quarter).returncode == 0
    bp.approve(ledger, "INI-009", role="vp", by="e1042")
    bp.refuse(ledger, "INI-001", role="vp", by="e1187", reason="no sales hires")
    for quarter in QUARTERS:
        p = bp.positions(ledger, quarter)
        pool = p.pool
        assert pool.allocated + pool.earmarked + pool.returned + pool.leftover == pool.pool
        assert sum(x.released for x in p.initiatives) == pool.released
        for x in p.initiatives:
            assert x.allocated + x.earmarked + x.returned == x.planned - x.released + x.received
    last = bp.positions(ledger, "2026-Q3")
    assert last.reviewed == QUARTERS and (last.pool.released, last.pool.received) == (68500, 68500)
    assert (last.pool.returned, last.pool.leftover) == (48000, 500)  # INI-001's refused 48,000
    assert bp.positions(ledger).pool == last.pool
    shown = cli("ledger", "positions", str(ledger), "--period", "2026-Q2")
    assert shown.returncode == 0 and "released 17,500 / received 17,500" in shown.stdout


def test_review_quarter_refuses_a_period_before_the_first_recorded(signed):
    _record_all(signed)
    with pytest.raises(bp.YearError, match="before 2026-Q1"):
        review_quarter(signed, (), "2025-Q4", at="2026-10-01T00:00:00+00:00")


def test_a_reading_for_an_unknown_initiative_is_one_line_and_writes_nothing(signed, tmp_path):
    outcomes = tmp_path / "q1.csv"
    lines = Path(OUTCOMES).read_text(encoding="utf-8").splitlines()
    outcomes.write_text("\n".join([lines[0], lines[1].replace("INI-001,", "INI-0001,", 1)]) + "\n", encoding="utf-8")
    before = sha256(signed)
    result = _review(signed, "2026-Q1", outcomes=str(outcomes))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"{outcomes}: row 2") and "INI-0001" in line and "INI-001" in line, line
    assert sha256(signed) == before


def test_a_review_from_the_ledger_shows_the_money_returns_the_files_review_shows(signed):
    # The same quarter from the ledger (plan, sign-offs, earlier quarters recorded) and from the files: the
    # realised money returns (docs/evidence.md) agree, and the table says them with the evidence sections.
    learning = str(Path(OUTCOMES).with_name("acme-2026.learning.csv"))
    kpis = str(Path(OUTCOMES).with_name("acme-2026.kpis.csv"))
    from_ledger = cli("review", "--ledger", str(signed), "-O", OUTCOMES, "-O", learning, "--period", "2026-Q1",
                          "--evaluated-at", "2026-04-02T09:00:00+00:00", "--dry-run", "-f", "json")
    assert from_ledger.returncode == 0, from_ledger.stderr
    from_files = cli("review", "-P", POLICY, "-i", INITIATIVES, "-O", OUTCOMES, "-O", learning, "--period",
                         "2026-Q1", "-f", "json")
    assert from_files.returncode == 0, from_files.stderr
    ledger_returns, file_returns = json.loads(from_ledger.stdout)["returns"], json.loads(from_files.stdout)["returns"]
    assert ledger_returns == file_returns
    assert ledger_returns["portfolio"] == {"bcr": "1.16", "benefit": "205800", "cost": "176832.5", "measured": 14,
                                           "roi": "16.38", "unmeasured": 14}
    table = cli("review", "--ledger", str(signed), "-O", OUTCOMES, "-O", learning, "--kpis", kpis, "--period",
                    "2026-Q1", "--evaluated-at", "2026-04-02T09:00:00+00:00", "--dry-run")
    assert table.returncode == 0, table.stderr
    assert "realised return up to 2026-Q1: 14 funded bets measured" in table.stdout
    assert "Effectiveness by format" in table.stdout
