"""Money value at plan time (docs/evidence.md, "Money value and ROI"): each formula against the numbers worked
by hand in the docs, the exact-decimal property, and bad input through the CLI."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from attrs import evolve
from hypothesis import given, settings
from hypothesis import strategies as st

from budgetpolicy.evidence.exact import CENT, PERCENT, RATIO, quotient, roi_percent, rounded
from budgetpolicy.evidence.value import benefit_years, forecast_return, portfolio_return
from budgetpolicy.model import EvidencePolicy, Initiative
from budgetpolicy.policy.load import load_policy

from evidence_helpers import INITIATIVES, POLICY, evaluate_json, policy_variant, run

D = Decimal


def test_the_bootcamp_forecast_return_is_the_worked_example():
    # INI-001: p 0.70, win rate +2.0 points (gap 5), 60,000 a point a year, 4 quarters, asks 48,000.
    policy = load_policy(str(POLICY))
    bootcamp = Initiative("INI-001", "Bootcamp", "training", "Sales", D(48000), priorities=("win-rate",),
                          forecast={"win-rate": D("2.0")}, probability=D("0.70"), horizon=4)
    r = forecast_return(policy, bootcamp, None)
    assert r is not None
    assert (r.benefit, r.bcr, r.roi) == (D("84000.00"), D("1.75"), D("75.00"))
    assert r.by_priority == {"win-rate": D("84000.00")}


def test_a_lift_counts_up_to_the_gap_and_a_negative_one_counts_nothing():
    policy = load_policy(str(POLICY))
    big = Initiative("X", "Big", "training", "Sales", D(10000), priorities=("win-rate", "csat"),
                     forecast={"win-rate": D(9), "csat": D(-2)}, probability=D(1))
    r = forecast_return(policy, big, None)
    assert r is not None
    assert r.benefit == D(5) * D(60000)  # the win-rate gap is 5 points; csat got worse: 0
    assert r.roi == D("2900.00")


def test_first_year_benefits_for_short_programmes_and_the_cap_for_long_ones():
    policy = load_policy(str(POLICY))
    assert benefit_years(policy, 4) == 1
    assert benefit_years(policy, 8) == 1  # max_benefit_years = 1 in the example
    two = evolve(policy, evidence=EvidencePolicy(max_benefit_years=D(2)))
    assert benefit_years(two, 6) == Fraction(3, 2)
    assert benefit_years(two, 12) == 2


def test_the_portfolio_and_every_funded_bet_in_the_evaluate_json(capsys):
    doc = evaluate_json(capsys)
    evidence = doc["evidence"]
    assert evidence["portfolio"] == {"bcr": "1.52", "benefit": "730850", "cost": "479500", "funded_count": 28,
                                     "per_thousand": "1524.19", "roi": "52.42"}
    assert evidence["returns"]["INI-001"]["roi"] == "75"
    funded = {d["initiative_id"]: d["funding"]["amount"] for d in doc["decisions"] if d["funding"]}
    # Every priced initiative has a return; the portfolio adds the funded ones' funded benefit.
    total = sum(D(r["funded_benefit"]) for r in evidence["returns"].values())
    assert total == D("730850")
    assert all(D(r["funded"]) == D(funded.get(i, "0")) for i, r in evidence["returns"].items())


def test_the_table_says_the_return_in_money(capsys):
    code, out, _ = run(capsys, "evaluate", "-P", POLICY, "-i", INITIATIVES, "--evaluated-at", "2026-01-15T09:00:00+00:00")
    assert code == 0
    assert ("forecast benefit of the 28 funded bets: USD 730,850.00 a year for USD 479,500 allocated: 1.52 per USD 1 "
            "(BCR), ROI 52.42%") in out
    assert "0.0000011" not in out  # the dual value reads in money, not as EV per unit


def test_no_value_per_unit_means_no_money_figures(capsys, tmp_path):
    text = POLICY.read_text(encoding="utf-8")
    plain = tmp_path / "plain.toml"
    lines = [line for line in text.splitlines() if not line.startswith(("value_per_unit", "value_unit"))]
    plain.write_text("\n".join(lines) + "\n", encoding="utf-8")
    evidence = evaluate_json(capsys, plain)["evidence"]
    assert evidence["returns"] == {} and evidence["portfolio"] is None
    assert evidence["duals"]["pool"]["benefit"] is None


@settings(max_examples=200, deadline=None)
@given(benefit=st.decimals(min_value=0, max_value=10**9, places=4, allow_nan=False, allow_infinity=False),
       cost=st.decimals(min_value=D("0.01"), max_value=10**9, places=2, allow_nan=False, allow_infinity=False))
def test_roi_figures_are_exact_decimals(benefit, cost):
    # Rounded once, half-even, from the exact fraction: what Fraction arithmetic gives, to the last digit.
    exact_bcr = Fraction(benefit) / Fraction(cost)
    bcr = quotient(benefit, cost, RATIO)
    roi = roi_percent(benefit, cost)
    assert isinstance(bcr, Decimal) and isinstance(roi, Decimal)
    assert bcr == Decimal(round(exact_bcr * 100)) / 100
    assert roi == Decimal(round((exact_bcr - 1) * 100 * 100)) / 100
    assert bcr.as_tuple().exponent == -2 and roi.as_tuple().exponent == -2
    assert abs(Fraction(roi) - (exact_bcr - 1) * 100) <= Fraction(1, 200)
    assert rounded(Fraction(benefit), CENT) == Decimal(round(Fraction(benefit) * 100)) / 100


def test_rounding_is_half_even_once():
    assert rounded(Fraction(1, 200), CENT) == D("0.00")  # 0.005 -> 0.00 (even)
    assert rounded(Fraction(3, 200), CENT) == D("0.02")  # 0.015 -> 0.02 (even)
    assert roi_percent(D(1), D(3)) == D("-66.67")
    assert quotient(D(1), D(0), PERCENT) is None


@pytest.mark.parametrize("replacement, expected", [
    (("value_unit = \"%\"", "value_unit = \"points\""),
     "priorities[0].value_unit: BP670 error: value_unit \"points\" is not the unit of priority 'win-rate''s KPI (\"%\")"),
    (("value_per_unit = 60000", "value_per_unit = -5"), "priorities[0].value_per_unit: BP671 error: value_per_unit -5 must be > 0"),
    (("attribution = 0.5", "attribution = 1.5"), "evidence.attribution: BP672 error: attribution 1.5 is outside 0..1"),
    (("confidence = 0.8", "confidence = -0.1"), "evidence.confidence: BP672 error: confidence -0.1 is outside 0..1"),
    (("hourly_cost = 65", "hourly_cost = -65"), "evidence.hourly_cost: BP673 error: hourly_cost -65 must be >= 0"),
    (("max_benefit_years = 1", "max_benefit_years = 0"), "evidence.max_benefit_years: BP674 error"),
    (("value_per_unit = 60000\n", ""), "priorities[0].value_unit: BP675 error"),
])
def test_bad_money_keys_are_one_located_line_and_exit_2(capsys, tmp_path, replacement, expected):
    policy = policy_variant(tmp_path, "bad.toml", replacement)
    ledger = tmp_path / "l.db"
    code, out, err = run(capsys, "evaluate", "-P", policy, "-i", INITIATIVES, "--ledger", ledger)
    assert code == 2 and out == ""
    lines = [line for line in err.splitlines() if " error: " in line]
    assert len(lines) == 1 and lines[0].startswith(f"{policy}:") and expected in lines[0], err
    assert "Traceback" not in err
    assert not ledger.exists()


def test_a_partly_priced_policy_is_a_warning(capsys, tmp_path):
    policy = policy_variant(tmp_path, "part.toml", ("value_per_unit = 60000\nvalue_unit = \"%\"\n", ""))
    code, out, err = run(capsys, "validate", policy)
    assert code == 0
    assert "BP676 warning: no value_per_unit on win-rate" in out + err
