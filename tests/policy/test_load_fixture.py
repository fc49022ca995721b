"""The loader turns the realistic fixture policy into exactly the expected objects."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from budgetpolicy.errors import Location
from budgetpolicy.model import (
    KPI, AllocationPolicy, Baseline, CalibrationPolicy, Caps, Criterion, Priority, ReallocationPolicy, Reserve,
    Rule, SunsetCriterion, SunsetPolicy,
)
from budgetpolicy.policy.load import load_policy, load_policy_text

FIXTURES = Path(__file__).parent / "fixtures"
ACME = FIXTURES / "acme.toml"


def test_header_fields_and_dates():
    policy = load_policy(ACME)
    assert policy.id == "acme-people-dev"
    assert policy.version == "2026.1"
    assert policy.effective_date == dt.date(2026, 1, 1)
    assert policy.effective_until == dt.date(2026, 12, 31)
    assert policy.currency == "USD"
    assert policy.plugins == ()
    assert policy.metadata["approved_by"] == ("CHRO", "CFO")
    assert dict(policy.attributes) == {"team_size": "number", "region": "string", "certified": "bool",
                                       "tags": "list<string>"}


def test_priorities_are_exact_decimals():
    policy = load_policy(ACME)
    assert policy.priorities[0] == Priority(
        id="support-resolution", name="First-call resolution", weight=Decimal("0.5"),
        sponsor="VP Customer Support",
        kpi=KPI(metric="first_call_resolution", unit="%", direction="higher",
                baseline=Decimal("62.5"), target=Decimal("70")))
    # A decimal string and a float both load exactly; 2.0 keeps its written precision.
    assert policy.priorities[1].weight == Decimal("0.3")
    assert str(policy.priorities[2].kpi.target) == "2.0"
    assert str(policy.priorities[2].kpi.baseline) == "3.4"


def test_rules_carry_locations():
    policy = load_policy(ACME)
    rule = policy.approval.rules[3]
    assert rule == Rule(id="vp-over-25k", condition="cost > 25000", effect="require", role="vp",
                        message="Over 25,000 needs a VP.")
    assert rule.location == Location(file=str(ACME), key="approval.rules[3]", line=103)
    assert policy.approval.rules[4].effective_from == dt.date(2026, 4, 1)
    assert policy.approval.rules[1].condition == "len(evaluation_plan) == 0\n"
    assert [r.location.line for r in policy.approval.rules] == [82, 88, 97, 103, 110]


def test_scoring_with_table_and_inline_params():
    scoring = load_policy(ACME).scoring
    assert scoring.weights == "strict" and scoring.precision == 4
    assert scoring.criteria == (
        Criterion(id="value", scorer="expected_value", weight=Decimal("0.4"),
                  description="Probability x impact x priority weight"),
        Criterion(id="feasibility", scorer="rating", weight=Decimal("0.35"),
                  params={"field": "feasibility", "scale": 5}),
        Criterion(id="transfer", scorer="rating", weight=Decimal("0.25"),
                  params={"field": "learning_transfer", "scale": 5}),
    )


def test_allocation_section():
    alloc = load_policy(ACME).allocation
    assert alloc == AllocationPolicy(
        pool=Decimal("1200000.00"), strategy="greedy", value="expected_value", unit=Decimal("0.01"),
        rounding="down", partial=True, min_viable=Decimal(5000), min_viable_share=Decimal("0.5"),
        tie_break=("score", "id"),
        baselines=(Baseline(id="support-floor", amount=Decimal(150000), department="Customer Support",
                            reason="Core support capabilities stay covered."),),
        reserve=Reserve(kinds=("stretch", "pilot"), share=Decimal("0.1"), include_pilots=True,
                        release_unused=True, reason="Room for experiments."),
        caps=Caps(per_initiative=Decimal(120000),
                  per_department={"Sales": Decimal(400000), "Customer Support": Decimal(450000)}),
    )
    assert str(alloc.pool) == "1200000.00"  # the written precision is kept


def test_review_sections():
    policy = load_policy(ACME)
    assert policy.calibration == CalibrationPolicy(group_by="department", lookback_quarters=4,
                                                   shrinkage=Decimal("0.5"), min_factor=Decimal("0.6"),
                                                   max_factor=Decimal("1.25"), normalise_ratings="zscore")
    assert policy.reallocation == ReallocationPolicy(
        release_below=Decimal("0.5"), release_share=Decimal("0.75"), release_finished_unspent=True,
        scale_above=Decimal("1.1"), scale_max_share=Decimal("0.25"),
        reason="Quarterly review moves money to proven bets.")
    assert policy.sunset == SunsetPolicy(criteria=(
        SunsetCriterion(id="low-realisation", kind="realisation_below", threshold=Decimal("0.3"), quarters=2,
                        reason="Realised lift under 30% of forecast for two quarters."),
        SunsetCriterion(id="unmeasured", kind="no_measurement", quarters=2),
    ))


def test_policy_tests_keep_records_and_exact_expectations():
    (case,) = load_policy(ACME).tests
    assert case.name == "big coaching programme needs VP"
    assert case.initiative["cost"] == "30000.00"  # records stay as written; the data stage converts them
    assert case.initiative["priorities"] == ("support-resolution",)
    assert dict(case.expect) == {"outcome": "pending_approval", "approvers": ("vp",),
                                 "reasons": ("vp-over-25k",), "score_min": Decimal("0.1"),
                                 "allocation_max": Decimal("30000.00")}
    assert case.location == Location(file=str(ACME), key="tests[0]", line=176)
    hash(case)  # frozen all the way down


def test_defaults_for_optional_sections():
    text = (FIXTURES / "acme.toml").read_text(encoding="utf-8")
    minimal = text.split("[allocation]")[0]
    policy = load_policy_text(minimal + "[allocation]\npool = 100\n[calibration]\n")
    assert policy.allocation == AllocationPolicy(pool=Decimal(100))
    assert policy.calibration == CalibrationPolicy()
    assert policy.reallocation is None and policy.sunset is None and policy.tests == ()
