"""The [rollout] stage gate (review/rollout.py): the gate's verdicts, the cost rule, a rollout in the plan
through a file review, and bad rollout input through the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal as D
from pathlib import Path

import pytest

import budgetpolicy
from budgetpolicy.model import Initiative, OutcomeReading, RolloutPolicy
from budgetpolicy.review.periods import parse_period
from budgetpolicy.review.realise import Realisation
from budgetpolicy.review.rollout import judge_pilot, scaled_cost

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "policies" / "acme-2026.toml"
INITIATIVES = ROOT / "policies" / "acme-2026.initiatives.csv"
OUTCOMES = str(ROOT / "policies" / "acme-2026.outcomes.csv")
GATE = '\n[rollout]\nmin_realisation = 0.75\nmin_quarters = 2\n'
ROLLOUT = ("INI-048,Mutation testing for every QA team,training,Engineering,QA Engineer,30000,USD,10,defect-rate,,,,"
           "0.5,0.6,2,Raise test effectiveness,workshop,kpi_tracking,CTO,,false,4,4,4,3,3,true,10,2026-Q4,,,,,,{pilot}")

PILOT = Initiative(id="P", title="pilot", kind="pilot", department="Eng", cost=D("10000"), headcount=3, pilot=True)
Q2, Q3 = parse_period("2026-Q2"), parse_period("2026-Q3")


def _measured(*values: str) -> dict[int, Realisation]:
    return {Q2 + i: Realisation("P", f"2026-Q{2 + i}", (), D(v)) for i, v in enumerate(values)}


def _reading(quarter: int, pre: str | None, post: str | None) -> OutcomeReading:
    return OutcomeReading("P", f"2026-Q{quarter - Q2 + 2}", pre_assessment=None if pre is None else D(pre),
                          post_assessment=None if post is None else D(post))


@pytest.mark.parametrize(("values", "gate", "status", "why"), [
    (("0.6", "0.8"), RolloutPolicy(min_realisation=D("0.75")), "passed", "latest realisation 0.8 >= 0.75"),
    (("0.9", "0.7"), RolloutPolicy(min_realisation=D("0.75")), "failed",
     "latest realisation 0.7 is below min_realisation 0.75"),
    (("0.9",), RolloutPolicy(min_realisation=D("0.75")), "unmeasured", "measured in 1 quarter(s), the gate needs 2"),
    (("1.2", "1.1"), RolloutPolicy(min_quarters=3), "unmeasured", "measured in 2 quarter(s), the gate needs 3"),
])
def test_the_gate_judges_the_latest_realisation_and_the_quarters_measured(values, gate, status, why):
    verdict = judge_pilot(PILOT, _measured(*values), {}, gate, Q3)
    assert verdict.status == status and verdict.reason.startswith(why)
    assert verdict.quarters_measured == len(values) and verdict.cost_per_head == D("3333.33")


def test_readings_after_the_quarter_reviewed_do_not_count():
    assert judge_pilot(PILOT, _measured("0.8", "0.8"), {}, None, Q2).status == "unmeasured"


@pytest.mark.parametrize(("readings", "status", "gain"), [
    ({Q2: _reading(Q2, "50", "58"), Q3: _reading(Q3, "50", "62")}, "passed", D("12")),
    ({Q2: _reading(Q2, "50", "70"), Q3: _reading(Q3, "50", "55")}, "failed", D("5")),  # the latest with both
    ({Q2: _reading(Q2, "50", "70"), Q3: _reading(Q3, None, "90")}, "passed", D("20")),
    ({Q3: _reading(Q3, "50", None)}, "unmeasured", None),
])
def test_the_learning_gain_is_post_minus_pre_of_the_latest_reading_with_both(readings, status, gain):
    gate = RolloutPolicy(min_realisation=D("0.5"), min_learning_gain=D("10"))
    verdict = judge_pilot(PILOT, _measured("0.8", "0.8"), readings, gate, Q3)
    assert (verdict.status, verdict.learning_gain) == (status, gain)


def test_a_rollout_costs_the_pilots_cost_per_head_times_its_headcount_or_its_own():
    rollout = Initiative(id="R", title="r", kind="training", department="Eng", cost=D("1"), headcount=2,
                         rollout_of="P")
    assert scaled_cost(rollout, PILOT, None) == D("6666.67")  # 10,000 / 3 x 2, half up to the cent
    assert scaled_cost(rollout, PILOT, RolloutPolicy(cost="own")) == D("1")


def test_half_a_cent_rounds_up_for_the_cost_per_head_and_the_scaled_cost():
    # 100.01 / 2 = 50.005: half up gives 50.01 where the context's half-even would give 50.00.
    pilot = Initiative(id="P", title="p", kind="pilot", department="Eng", cost=D("100.01"), headcount=2, pilot=True)
    rollout = Initiative(id="R", title="r", kind="training", department="Eng", cost=D("1"), rollout_of="P")
    assert scaled_cost(rollout, pilot, None) == D("50.01")
    assert judge_pilot(pilot, _measured("0.8", "0.8"), {}, None, Q3).cost_per_head == D("50.01")


def test_the_gate_passes_a_realisation_exactly_at_its_minimum_and_keeps_the_latest():
    verdict = judge_pilot(PILOT, _measured("0.5", "0.75"), {}, RolloutPolicy(min_realisation=D("0.75")), Q3)
    assert (verdict.pilot_id, verdict.period, verdict.status, verdict.realisation, verdict.quarters_measured) == (
        "P", "2026-Q3", "passed", D("0.75"), 2)
    assert verdict.reason == "latest realisation 0.75 >= 0.75, measured in 2 quarter(s), the gate needs 2"


def test_a_pilot_never_measured_is_unmeasured_with_no_latest():
    verdict = judge_pilot(PILOT, {}, {}, None, Q3)
    assert (verdict.status, verdict.realisation, verdict.quarters_measured, verdict.learning_gain) == (
        "unmeasured", None, 0, None)


def test_a_missing_learning_gain_says_which_readings_are_missing():
    gate = RolloutPolicy(min_realisation=D("0.5"), min_learning_gain=D("10"))
    verdict = judge_pilot(PILOT, _measured("0.8", "0.8"), {Q3: _reading(Q3, "50", None)}, gate, Q3)
    assert verdict.reason == "no reading gives both pre_assessment and post_assessment for its learning gain"


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    path = os.pathsep.join([str(Path(budgetpolicy.__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, "-m", "budgetpolicy", *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "BUDGETPOLICY_PLUGINS": "", "PYTHONPATH": path}, timeout=120)


def _files(tmp_path: Path, pilot: str, gate: str = GATE) -> tuple[str, str]:
    policy = tmp_path / "acme-rollout.toml"
    policy.write_text(POLICY.read_text(encoding="utf-8") + gate, encoding="utf-8")
    rows = INITIATIVES.read_text(encoding="utf-8").splitlines()
    lines = [rows[0] + ",rollout_of", *(r + "," for r in rows[1:]), ROLLOUT.format(pilot=pilot)]
    plan = tmp_path / "plan.csv"
    plan.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(policy), str(plan)


def test_a_rollout_in_the_plan_waits_for_its_pilot_then_is_ranked_at_the_scaled_cost(tmp_path):
    policy, plan = _files(tmp_path, "INI-039")
    done = _cli("review", "-P", policy, "-i", plan, "-O", OUTCOMES, "--period", "2026-Q3", "-f", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    q1, q2, q3 = (*result["history"], result)
    # The plan funded 15,000 of it (its own cost, 30,000, capped) before INI-039 was measured: Q1 releases it.
    (refused,) = q1["rollouts"]
    assert refused["verdict"] == "refused" and "pilot INI-039 unmeasured (measured in 0 quarter(s)" in refused["reason"]
    gate_release = [r for r in q1["releases"] if r["initiative_id"] == "INI-048"]
    assert [(r["cause"], r["amount"]) for r in gate_release] == [("rollout_gate", "15000")]
    assert [r["verdict"] for r in q2["rollouts"]] == ["waiting"]
    assert not [m for q in (q1, q2) for m in q["reallocations"] if m["initiative_id"] == "INI-048"]
    (eligible,) = q3["rollouts"]
    assert (eligible["verdict"], eligible["cost"]) == ("eligible", "20000")
    assert {p["pilot_id"]: p["status"] for p in q3["pilots"]}["INI-039"] == "passed"
    moves = [(m["kind"], m["amount"]) for m in q3["reallocations"] if m["initiative_id"] == "INI-048"]
    assert moves == [("next_ranked", "16500")]  # first in line; the Engineering cap leaves it 16,500 of 20,000
    for quarter in (q1, q2, q3):  # money conserved every quarter
        s = quarter["summary"]
        assert D(s["released"]) == D(s["redistributed"]) + D(s["returned_to_pool"])
    shown = _cli("review", "-P", policy, "-i", plan, "-O", OUTCOMES, "--period", "2026-Q3", cwd=tmp_path)
    assert "Pilots against the rollout gate" in shown.stdout and "Rollouts (USD)" in shown.stdout


@pytest.mark.parametrize(("pilot", "code", "words"), [
    ("INI-093", "BP460", "INI-048 is a rollout of 'INI-093', which is not an initiative (did you mean 'INI-039'?)"),
    ("INI-003", "BP461", "INI-048 is a rollout of INI-003, which is not a pilot"),
    ("INI-048", "BP461", "INI-048 is a rollout of INI-048, which is not a pilot"),
])
def test_evaluate_refuses_a_rollout_of_an_unknown_initiative_or_of_one_that_is_not_a_pilot(tmp_path, pilot, code,
                                                                                          words):
    policy, plan = _files(tmp_path, pilot)
    done = _cli("evaluate", "-P", policy, "-i", plan, "--ledger", "l.db", cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr and done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"{plan}: row 46: field 'rollout_of': {code} error: {words}"), line
    assert not (tmp_path / "l.db").exists()


def test_validate_warns_when_a_pilot_could_pass_while_its_money_is_released(tmp_path):
    policy, _ = _files(tmp_path, "INI-039", '\n[rollout]\nmin_realisation = 0.4\n')
    done = _cli("validate", policy, cwd=tmp_path)
    assert "BP260 warning: min_realisation 0.4 is below [reallocation] release_below 0.5" in done.stdout + done.stderr
    bad, _ = _files(tmp_path, "INI-039", '\n[rollout]\ncost = "half"\n')
    refused = _cli("validate", bad, cwd=tmp_path)
    assert refused.returncode == 1 and "rollout.cost" in refused.stdout + refused.stderr  # validate: 1 invalid
