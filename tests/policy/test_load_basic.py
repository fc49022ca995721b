"""The loader turns the realistic fixture policy into exactly the expected objects."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from budgetpolicy.errors import Location
from budgetpolicy.model import KPI, Criterion, Priority, Rule
from budgetpolicy.pipeline.load import load_policy

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
