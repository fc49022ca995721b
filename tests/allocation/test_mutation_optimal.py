"""Optimal allocation's shadow prices, pinned whole (issue #18, item 7: surviving mutants in _duals)."""

from __future__ import annotations

from decimal import Decimal as D

from alloc_helpers import amounts, cand, pol

from budgetpolicy.allocation.optimal import optimal_allocate
from budgetpolicy.model import Baseline, Caps

THREE = [cand("a", 100, 10), cand("b", 100, 5, department="Eng"), cand("c", 100, 1, kind="coaching")]


def _duals(result):
    return {name: str(value) for name, value in result.duals.items()}


def test_every_limit_has_its_shadow_price_and_a_slack_one_is_exactly_zero():
    # Eng's cap binds (0.05 - 0.01 per unit moved from c to b); the floor and the coaching cap are slack.
    result = optimal_allocate(THREE, pol(250, caps=Caps(per_department={"Eng": D(60)}, per_kind={"coaching": D(500)}),
                                         baselines=(Baseline(id="eng-floor", amount=D(50), department="Eng"),)),
                              with_duals=True)
    assert amounts(result) == {"a": D(100), "b": D(60), "c": D(90)}
    assert _duals(result) == {"baseline:eng-floor": "0", "pool": "0.01", "department:Eng": "0.04",
                              "kind:coaching": "0"}


def test_a_binding_floor_costs_what_it_moves_and_minimum_rows_are_not_limits():
    # The coaching floor of 95 takes 40 units from b (0.05 each) for c (0.01 each): one more unit of floor
    # costs 0.04; one more unit of pool goes to b. Minimum viable funding (30) adds rows that are not shown.
    result = optimal_allocate(THREE, pol(250, min_viable=30, caps=Caps(per_department={"Eng": D(60)}),
                                         baselines=(Baseline(id="c-floor", amount=D(95), kind="coaching"),)),
                              with_duals=True)
    assert amounts(result) == {"a": D(100), "b": D(55), "c": D(95)}
    assert _duals(result) == {"baseline:c-floor": "-0.04", "pool": "0.05", "department:Eng": "0"}


def test_one_fundable_candidate_has_duals_and_nothing_to_fund_has_none():
    one = optimal_allocate([cand("a", 100, 10)], pol(50), with_duals=True)
    assert amounts(one) == {"a": D(50)} and _duals(one) == {"pool": "0.1"}
    assert optimal_allocate([cand("z", 0, 1)], pol(10), with_duals=True).duals == {}


def test_the_relaxation_behind_the_duals_lets_a_minimum_go_unmet():
    # The MIP funds a fully and nothing of c (its 20 left is under c's minimum of 30); the LP relaxation
    # behind the duals may fund 20 of c, so one more unit of pool is worth c's 0.01, not a's 0.1.
    result = optimal_allocate([cand("a", 100, 10), cand("c", 100, 1)], pol(120, min_viable=30), with_duals=True)
    assert amounts(result) == {"a": D(100), "c": D(0)}
    assert _duals(result) == {"pool": "0.01"}


def test_candidates_worth_nothing_get_zero_shadow_prices_not_a_division_by_zero():
    # Every value per cost is 0: the duals' scale falls back to 1, and one more unit of any limit is worth 0.
    result = optimal_allocate([cand("a", 100, 0), cand("b", 50, 0, department="Eng")],
                              pol(120, caps=Caps(per_department={"Eng": D(30)})), with_duals=True)
    assert sum(amounts(result).values()) <= 120
    assert _duals(result) == {"pool": "0", "department:Eng": "0"}
