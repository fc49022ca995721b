"""Pilots that earn their rollout, in the budget year: `review --ledger --initiatives` with rollout requests.

The example pilot INI-039 (16,000 for 8 participants: 2,000 a head) realises 0.6000 in 2026-Q2 and 0.8000
in 2026-Q3. Under the gate these tests use (min_realisation 0.75, min_quarters 2) it is unmeasured at Q2
(one quarter) and passes at Q3; under min_realisation 0.9 it fails at Q3.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from year_helpers import (INITIATIVES, OUTCOMES, PLAN_SIGNOFFS, POLICY, cli, copied, one_line_error, record_plan,
                          sha256, sign)

import budgetpolicy as bp
from budgetpolicy.audit.ledger import Ledger
from budgetpolicy.year.events import read_year
from budgetpolicy.year.positions import positions
from budgetpolicy.year.replay import replay_year

GATE = '\n[rollout]\nmin_realisation = 0.75\nmin_quarters = 2\ncost = "per_head"\n'
HEADER = Path(INITIATIVES).read_text(encoding="utf-8").splitlines()[0] + ",rollout_of"
# A rollout request of INI-039: its own cost (1) is replaced by 2,000 a head x headcount.
ROW = ("{id},Mutation testing for every QA team,training,Engineering,QA Engineer,1,USD,{heads},defect-rate,,,,0.5,"
       "0.6,2,Raise test effectiveness,workshop,kpi_tracking,CTO,,false,4,4,4,3,3,true,{heads},2026-Q4,,,,,,{pilot}")


def requests_file(directory: Path, *rows: tuple[str, int, str]) -> str:
    path = directory / "rollouts.csv"
    lines = [HEADER]
    lines += [ROW.format(id=i, heads=heads, pilot=pilot) for i, heads, pilot in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def _year(directory: Path, gate: str, through: tuple[str, ...]) -> Path:
    """The example plan under the bundled policy plus ``gate``, signed as `make demo` signs it, with the
    quarters ``through`` recorded."""
    policy = directory / "acme-rollout.toml"
    policy.write_text(Path(POLICY).read_text(encoding="utf-8") + gate, encoding="utf-8")
    path = record_plan(directory / "audit.db", str(policy))
    sign(path, PLAN_SIGNOFFS)
    for quarter in through:
        bp.review_year(path, OUTCOMES, quarter, at=None)
    return path


@pytest.fixture(scope="module")
def after_q2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _year(tmp_path_factory.mktemp("gate"), GATE, ("2026-Q1", "2026-Q2"))


@pytest.fixture(scope="module")
def strict_after_q2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _year(tmp_path_factory.mktemp("strict"), GATE.replace("0.75", "0.9"), ("2026-Q1", "2026-Q2"))


@pytest.fixture(scope="module")
def after_q1(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _year(tmp_path_factory.mktemp("early"), GATE, ("2026-Q1",))


def test_a_passed_pilot_is_listed_and_its_rollout_is_decided_and_funded_at_the_scaled_cost(after_q2, tmp_path):
    ledger = copied(after_q2, tmp_path / "audit.db")
    done = bp.review_year(ledger, OUTCOMES, "2026-Q3", initiatives=requests_file(tmp_path, ("INI-048", 10, "INI-039")))
    result = done.result
    (gate,) = result.pilots
    assert (gate.pilot_id, gate.status, gate.quarters_measured, gate.realisation, gate.cost_per_head) == (
        "INI-039", "passed", 2, Decimal("0.8000"), Decimal("2000.00"))
    (rollout,) = result.rollouts
    assert (rollout.initiative_id, rollout.verdict, rollout.cost) == ("INI-048", "eligible", Decimal("20000.00"))
    assert "20,000.00 = 16,000 / 8 participants of INI-039 x 10" in rollout.reason
    # 20,000 is under every threshold: approved, and funded in full from the quarter's released 51,000 (it
    # ranks in the waiting line beside the plan's deferred bets)
    (request,) = result.requests
    assert (request.outcome, request.required_approvers, request.funded) == ("approved", (), Decimal("20000"))
    (move,) = [m for m in result.reallocations if m.initiative_id == "INI-048"]
    assert (move.kind, move.amount, move.awaiting) == ("request", Decimal("20000"), ())
    with Ledger(ledger, create=False, readonly=True) as opened:
        year = read_year(opened)
    recorded = year.request("INI-048")
    assert recorded is not None and recorded.input["cost"] == "20000.00" and recorded.input["rollout_of"] == "INI-039"
    assert year.quarters[-1].review["rollouts"][0]["verdict"] == "eligible"
    # Money is conserved: positions assert allocated + earmarked + returned + leftover = pool.
    pool = positions(year).pool
    assert pool.allocated + pool.earmarked + pool.returned + pool.leftover == pool.pool == Decimal(480000)
    assert positions(year).initiative("INI-048").allocated == Decimal("20000")
    report = replay_year(ledger)
    assert report is not None and report.ok and report.quarters == 3 and report.requests == 1


def test_a_rollout_scaled_past_25000_goes_through_the_vp_rule(after_q2, tmp_path):
    ledger = copied(after_q2, tmp_path / "audit.db")
    done = bp.review_year(ledger, OUTCOMES, "2026-Q3", dry_run=True,
                          initiatives=requests_file(tmp_path, ("INI-048", 14, "INI-039")))
    (request,) = done.result.requests
    assert request.outcome == "pending_approval" and request.required_approvers == ("vp",)
    assert done.result.rollouts[0].cost == Decimal("28000.00")
    # Its own cost (1) would pass every rule: the decision is on the scaled 28,000. It receives 24,000 of it,
    # which awaits the VP its pending decision requires (a partial grant keeps the decision's roles).
    (move,) = [m for m in done.result.reallocations if m.initiative_id == "INI-048"]
    assert (move.amount, move.awaiting) == (Decimal("24000"), ("vp",))
    assert sha256(ledger) == sha256(after_q2)


def test_a_rollout_of_a_failed_pilot_is_refused_with_the_reason_and_recorded(strict_after_q2, tmp_path):
    ledger = copied(strict_after_q2, tmp_path / "audit.db")
    done = bp.review_year(ledger, OUTCOMES, "2026-Q3", initiatives=requests_file(tmp_path, ("INI-048", 10, "INI-039")))
    (gate,) = done.result.pilots
    assert gate.status == "failed" and gate.reason == "latest realisation 0.8000 is below min_realisation 0.9"
    (rollout,) = done.result.rollouts
    assert rollout.verdict == "refused" and "pilot INI-039 failed" in rollout.reason
    (request,) = done.result.requests
    assert request.funded == 0 and request.reason == rollout.reason
    assert not [m for m in done.result.reallocations if m.initiative_id == "INI-048"]
    with Ledger(ledger, create=False, readonly=True) as opened:
        year = read_year(opened)
    assert year.quarters[-1].review["rollouts"][0]["verdict"] == "refused"
    assert positions(year).initiative("INI-048").allocated == 0


def test_a_rollout_of_an_unmeasured_pilot_is_refused_in_the_table(after_q1, tmp_path):
    ledger = copied(after_q1, tmp_path / "audit.db")
    shown = cli("review", "--ledger", str(ledger), "-O", OUTCOMES, "--period", "2026-Q2", "--dry-run",
                "-i", requests_file(tmp_path, ("INI-048", 10, "INI-039")))
    assert shown.returncode == 0, shown.stderr
    assert "Pilots against the rollout gate" in shown.stdout
    # the table wraps its WHY column to the width: the row's text, read with its wrapped lines
    rows = shown.stdout.split("\nINI-")
    row = " ".join(next(r for r in rows if r.startswith("048") and "refused" in r).split())
    assert "refused: pilot INI-039 unmeasured (measured in 1 quarter(s), the gate needs 2)" in row


@pytest.mark.parametrize(("pilot", "code", "words"), [
    ("INI-093", "BP460", "INI-048 is a rollout of 'INI-093', which is not an initiative"),
    ("INI-003", "BP461", "INI-048 is a rollout of INI-003, which is not a pilot"),
])
def test_a_rollout_request_of_an_unknown_or_not_a_pilot_is_one_located_line(after_q2, tmp_path, pilot, code, words):
    ledger = copied(after_q2, tmp_path / "audit.db")
    before = sha256(ledger)
    path = requests_file(tmp_path, ("INI-048", 10, pilot))
    line = one_line_error(cli("review", "--ledger", str(ledger), "-O", OUTCOMES, "--period", "2026-Q3", "-i", path),
                          code)
    assert line.startswith(f"{path}: row 2: field 'rollout_of': {code} error: {words}")
    assert sha256(ledger) == before
