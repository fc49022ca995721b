"""Review factors feed the next funding cycle; scale-up eligibility edges. Through the Python API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from pathlib import Path

import pytest
from review_helpers import alloc, decision, initiative, policy, reading

from budgetpolicy.api import evaluate, open_policy, read_initiatives
from budgetpolicy.model import ReallocationPolicy
from budgetpolicy.data.load import load_outcomes
from budgetpolicy.review.quarterly import review

ROOT = Path(__file__).resolve().parents[2]
AT = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def example():
    compiled = open_policy(str(ROOT / "policies" / "acme-2026.toml"))
    initiatives = read_initiatives(str(ROOT / "policies" / "acme-2026.initiatives.csv"), compiled.registry)
    outcomes = load_outcomes(str(ROOT / "policies" / "acme-2026.outcomes.csv"), compiled.registry).items
    plan = evaluate(compiled, initiatives, evaluated_at=AT).decisions
    return compiled, initiatives, review(compiled.policy, initiatives, plan, outcomes, "2026-Q3")


def test_factors_calibrate_the_next_cycle_and_decisions_show_raw_and_calibrated(example):
    compiled, initiatives, result = example
    sales = result.factors["Sales"]
    assert D("0.6") <= sales <= D("1.3") and sales != 1  # within the policy's bounds
    nxt = evaluate(compiled, initiatives, evaluated_at=AT, calibration=result.factors)
    d = nxt.decision("INI-001")
    assert (d.calibration["group"], d.calibration["factor"]) == ("Sales", sales)
    assert d.calibration["raw_forecast"] == {"win-rate": D("2.0")}
    assert d.calibration["calibrated_forecast"] == {"win-rate": D("2.0") * sales}
    forecast = next(f for f in result.forecasts if f.initiative_id == "INI-001")
    assert forecast.calibrated["win-rate"] == D("2.0") * sales


def test_example_positions_conserve_money(example):
    _, _, result = example
    planned = sum(p.planned for p in result.positions)
    assert sum(p.allocation for p in result.positions) == planned - result.totals.returned_to_pool


def test_proven_initiative_at_the_end_of_its_horizon_is_not_scaled():
    inits = [initiative("A1"), initiative("B2", horizon=1)]
    plan = [decision("A1", "10000"), decision("B2", "8000")]
    outcomes = [reading("A1", "2026-Q1", {"win-rate": "0"}, spend="0"),
                reading("B2", "2026-Q1", {"win-rate": "3"}, spend="0")]
    result = review(policy(reallocation=ReallocationPolicy(), allocation=alloc()), inits, plan, outcomes, "2026-Q1")
    assert result.scale_ups == ()
    # A1 releases its 10000 (realisation 0); B2's one-quarter horizon is over: completed, its 8000 released
    assert [(c.initiative_id, c.status) for c in result.completions] == [("B2", "completed")]
    assert result.summary.returned_to_pool == D("18000.00")


def test_scale_headroom_is_spent_across_quarters():
    inits = [initiative("A1"), initiative("B2"), initiative("C3")]
    plan = [decision("A1", "1000"), decision("C3", "1000"), decision("B2", "4000")]
    outcomes = [reading("A1", "2026-Q1", {"win-rate": "0"}), reading("B2", "2026-Q1", {"win-rate": "2"}),
                reading("C3", "2026-Q2", {"win-rate": "0"}), reading("B2", "2026-Q2", {"win-rate": "2"})]
    result = review(policy(reallocation=ReallocationPolicy(), allocation=alloc()), inits, plan, outcomes, "2026-Q2")
    # headroom 0.5 x 4000 = 2000: 1000 from A1 in Q1, the other 1000 from C3 in Q2, then none left
    assert [(m.initiative_id, m.amount) for m in result.history[0].reallocations] == [("B2", D("1000"))]
    assert [(s.headroom, s.granted) for s in result.scale_ups] == [(D("1000.00"), D("1000"))]
    assert result.positions[1].allocation == D("6000.00")
