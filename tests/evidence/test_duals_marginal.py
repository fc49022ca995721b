"""Dual values of the pool and every cap (greedy: the cut-off bet; optimal: the LP relaxation) and
``evaluate --marginal`` (docs/evidence.md, "Dual values and the next dollar")."""

from __future__ import annotations

from decimal import Decimal

import pytest

from evidence_helpers import AT, INITIATIVES, POLICY, evaluate_json, policy_variant, run

D = Decimal


def test_the_pool_dual_of_the_bundled_example_is_its_cut_off_bet(capsys):
    doc = evaluate_json(capsys)
    duals = doc["evidence"]["duals"]
    # INI-005 (30,000 asked, expected value 0.033, benefit 0.55 x 1.0 point x 60,000 = 33,000 a year) is the
    # best-ranked bet the pool left out: 0.033 / 30,000 = 0.0000011 of expected value, 1.1 of money a unit.
    assert duals["pool"] == {"amount": "480000", "basis": "cut-off bet", "benefit": "1.1", "bet": "INI-005",
                             "limit": "pool", "value": "0.0000011"}
    assert set(duals) == {"pool", "per_initiative", "department:Engineering", "department:Sales", "kind:conference"}
    # No cap stopped a bet: each is worth nothing more.
    assert all(duals[k]["value"] == "0" and duals[k]["bet"] is None for k in duals if k != "pool")


def test_a_binding_cap_is_worth_its_cut_off_bet_less_the_pools(capsys, tmp_path):
    policy = policy_variant(tmp_path, "cap.toml", ("Sales = 180000", "Sales = 100000"))
    doc = evaluate_json(capsys, policy)
    duals, returns = doc["evidence"]["duals"], doc["evidence"]["returns"]
    sales = duals["department:Sales"]
    bet = sales["bet"]
    assert bet is not None
    decision = next(d for d in doc["decisions"] if d["initiative_id"] == bet)
    assert D(decision["funding"]["amount"]) < D(decision["funding"]["requested"])
    pool = duals["pool"]
    expected = max(D(returns[bet]["benefit"]) / D(decision["funding"]["requested"]) - D(pool["benefit"]), D(0))
    assert abs(D(sales["benefit"]) - expected) <= D("0.0001")
    assert D(sales["value"]) >= 0


def test_optimal_duals_come_from_the_lp_relaxation(capsys, tmp_path):
    policy = policy_variant(tmp_path, "opt.toml", ('strategy = "greedy"', 'strategy = "optimal"'))
    duals = evaluate_json(capsys, policy)["evidence"]["duals"]
    assert duals["pool"]["basis"] == "LP relaxation" and duals["pool"]["bet"] is None
    # The pool binds: one more unit is worth something, in expected value and in money.
    assert D(duals["pool"]["value"]) > 0 and D(duals["pool"]["benefit"]) > 0
    assert duals["per_initiative"]["basis"] == "cut-off bet"
    assert all(D(d["value"]) >= 0 for d in duals.values())


def test_marginal_says_what_the_next_amounts_buy(capsys):
    code, out, err = run(capsys, "evaluate", "-P", POLICY, "-i", INITIATIVES, "--evaluated-at", AT, "--marginal")
    assert code == 0, err
    tail = out[out.index("the next USD 1,000"):]
    assert tail == (
        "the next USD 1,000 would buy: expected value +0, benefit USD 0 a year\n"
        "  nothing: no bet is funded more (a minimum viable amount or the caps stop them)\n"
        "the next USD 10,000 would buy: expected value +0.011836, benefit USD 15,050.00 a year\n"
        "  INI-005: USD 0 -> 20,500 (expected value +0.02255, USD 22,550.00 a year)\n"
        "  INI-031: USD 10,000 -> 0 (expected value -0.010714, USD -7,500.00 a year)\n")


def test_marginal_amounts_in_json(capsys):
    doc = evaluate_json(capsys, POLICY, "--marginal", "25000")
    (step,) = doc["evidence"]["marginal"]
    assert step["amount"] == "25000"
    assert D(step["benefit"]) == sum(D(b["benefit"]) for b in step["bought"])


@pytest.mark.parametrize("value", ["abc", "0", "-5", "1000,x"])
def test_bad_marginal_is_one_line_exit_2_nothing_written(capsys, tmp_path, value):
    ledger = tmp_path / "l.db"
    code, out, err = run(capsys, "evaluate", "-P", POLICY, "-i", INITIATIVES, f"--marginal={value}", "--ledger", ledger)
    assert code == 2 and out == ""
    lines = [line for line in err.splitlines() if "error" in line]
    assert len(lines) == 1 and "--marginal" in lines[0] and "BP678" in lines[0], err
    assert not ledger.exists()
