"""Golden cases: tests/cases/<name>/ holds a policy, initiatives and hand-computed expected decisions."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from budgetpolicy.api import evaluate, open_policy

CASES = sorted(p for p in (Path(__file__).resolve().parents[1] / "cases").iterdir() if p.is_dir())


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden_case(case: Path):
    expected = json.loads((case / "expected.json").read_text())
    expected.pop("_how", None)
    evaluation = evaluate(open_policy(str(case / "policy.toml")), str(case / "initiatives.csv"),
                          evaluated_at=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
    assert sorted(d.initiative_id for d in evaluation.decisions) == sorted(expected)
    for decision in evaluation.decisions:
        want = expected[decision.initiative_id]
        got = {
            "outcome": decision.outcome,
            "expected_value": decision.expected_value,
            "score": decision.score,
            "approvers": list(decision.required_approvers),
            "flags": list(decision.flags),
        }
        assert got["outcome"] == want["outcome"], decision.initiative_id
        assert got["expected_value"] == Decimal(want["expected_value"]), decision.initiative_id
        assert got["score"] == Decimal(want["score"]), decision.initiative_id
        assert got["approvers"] == want["approvers"] and got["flags"] == want["flags"]
        if "reasons" in want:
            assert [r.code for r in decision.reasons] == want["reasons"]
        if "allocation" in want:
            assert decision.allocation == Decimal(want["allocation"]), decision.initiative_id
