"""The review engine's sign-off gate (review.signoffs, review.reallocate): the approval rules run again on a
bet's new allocation, a role that signed before counts, and held bets receive nothing unless allowed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from attrs import evolve

import budgetpolicy as bp
from budgetpolicy.engine.compile import EvaluationContext
from budgetpolicy.review.reallocate import Gate, Position, Purse, grant, redistribute
from budgetpolicy.review.realise import Realisation
from budgetpolicy.review.signoffs import SignState, YearView
D = Decimal
ROOT = Path(__file__).resolve().parents[2]
POLICY = str(ROOT / "policies" / "acme-2026.toml")
INITIATIVES = str(ROOT / "policies" / "acme-2026.initiatives.csv")
PLANNED_AT = dt.datetime(2026, 1, 15, 9, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def example():
    compiled = bp.open_policy(POLICY)
    initiatives = bp.read_initiatives(INITIATIVES, compiled.registry, attribute_types=compiled.policy.attributes)
    context = EvaluationContext(evaluated_at=PLANNED_AT, explain=False)
    view = YearView({}, lambda i, amount: compiled.decide(evolve(i, cost=amount), context).required_approvers)
    return compiled.policy, {i.id: i for i in initiatives}, view


def _position(initiatives, iid: str, amount: int, **extra) -> Position:
    return Position(initiatives[iid], "active", D(amount), D(amount), 1, D("0.05"), D("0.5"), **extra)


def test_a_scale_up_past_the_finance_rule_awaits_finance_only_when_a_vp_signed(example):
    policy, initiatives, view = example
    ini001 = _position(initiatives, "INI-001", 48000)
    move = grant(ini001, D(8000), "scale_up", "proven", "2026-Q3", Gate(view, SignState({"INI-001": ("vp",)})),
                 policy.reallocation)
    assert (move.awaiting, move.allocation_after) == (("finance",), D(56000))
    assert "awaits the sign-off of finance (the approval rules on 56000)" in move.reason
    assert [(m.amount, m.awaiting, m.held) for m in ini001.pending] == [(D(8000), ("finance",), True)]


def test_a_scale_up_under_every_threshold_awaits_nothing_and_one_past_the_vp_rule_awaits_a_vp(example):
    policy, initiatives, view = example
    small = grant(_position(initiatives, "INI-016", 20000), D(5000), "scale_up", "proven", "2026-Q3",
                  Gate(view), policy.reallocation)
    assert small.awaiting == ()  # 25,000 is not over 25,000
    past = grant(_position(initiatives, "INI-016", 20000), D(5001), "scale_up", "proven", "2026-Q3",
                 Gate(view), policy.reallocation)
    assert past.awaiting == ("vp",)


@pytest.mark.parametrize("allow, receivers", [(False, ["INI-010"]), (True, ["INI-003", "INI-010"])])
def test_held_bets_receive_no_scale_up_unless_the_policy_allows(example, allow, receivers):
    policy, initiatives, view = example
    held = _position(initiatives, "INI-003", 14000, required=("vp",), plan_held=True)
    free = _position(initiatives, "INI-010", 12000)
    proven = {iid: Realisation(iid, "2026-Q1", (), D("1.5")) for iid in ("INI-003", "INI-010")}
    moves, _, returned = redistribute(D(20000), [held, free], proven, policy.reallocation, policy.allocation, 1,
                                      "2026-Q1", Gate(view, SignState(), allow), (), Purse(D(20000)))
    assert sorted(m.initiative_id for m in moves) == receivers
    assert sum(m.amount for m in moves) + returned == 20000
    if allow:  # the held bet's extra money awaits the role its plan decision still awaits
        assert next(m for m in moves if m.initiative_id == "INI-003").awaiting == ("vp",)
