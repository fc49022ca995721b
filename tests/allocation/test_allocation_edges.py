"""Allocation edges that mutation testing found unpinned (issue #18, item 7)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alloc_helpers import amounts, cand, pol
from budgetpolicy.allocation.greedy import greedy_allocate
from budgetpolicy.allocation.optimal import optimal_allocate
from budgetpolicy.allocation.result import _split
from budgetpolicy.model import Baseline, Caps


def test_the_first_candidate_of_a_kind_gets_its_whole_kind_cap():
    # The cap binds on the very first workshop: it gets all 10,000 of it, not a unit less.
    candidates = [cand("W1", 15000, "0.9", kind="workshop"), cand("W2", 5000, "0.1", kind="workshop"),
                  cand("T1", 5000, "0.1", kind="training")]
    result = greedy_allocate(candidates, pol(100000, caps=Caps(per_kind={"workshop": D(10000)})))
    assert amounts(result) == {"W1": D(10000), "W2": D(0), "T1": D(5000)}
    assert result.summary.by_kind["workshop"] == D(10000)


def test_the_first_candidate_of_a_department_gets_its_whole_department_cap():
    candidates = [cand("S1", 15000, "0.9", department="Sales"), cand("E1", 5000, "0.1", department="Eng")]
    result = greedy_allocate(candidates, pol(100000, caps=Caps(per_department={"Sales": D(12000)})))
    assert amounts(result) == {"S1": D(12000), "E1": D(5000)}


def test_per_priority_totals_with_amounts_finer_than_a_cent():
    # An odd unit (0.001) makes every amount a multiple of it; shares are split in that quantum.
    candidates = [cand("A", "10.001", "0.9", priorities=("p1", "p2")),
                  cand("B", "0.003", "0.8", priorities=("p1", "p2", "p3"))]
    result = greedy_allocate(candidates, pol("100", unit="0.001"))
    assert amounts(result) == {"A": D("10.001"), "B": D("0.003")}
    assert dict(result.summary.by_priority) == {"p1": D("5.002"), "p2": D("5.001"), "p3": D("0.001")}
    assert sum(result.summary.by_priority.values()) == result.summary.allocated


@given(units=st.integers(min_value=0, max_value=10**9), names=st.integers(min_value=1, max_value=7),
       quantum=st.sampled_from([D("0.01"), D("0.001"), D("1"), D("0.05")]),
       extra=st.sampled_from([D(0), D("0.0001"), D("0.00001")]))
def test_priority_shares_add_up_exactly_and_differ_by_at_most_a_quantum(units, names, quantum, extra):
    amount = units * quantum + extra
    shares = _split(amount, tuple(f"p{i}" for i in range(names)), quantum)
    values = [share for _, share in shares]
    assert sum(values) == amount
    rest = values[1:] or [values[0] - extra]
    assert all(v == rest[0] for v in rest)
    assert 0 <= values[0] - extra - rest[0] < quantum * names


def test_overlapping_baselines_take_the_solvers_split_when_crediting_by_rank_leaves_a_floor_short():
    # X is Sales and training: credited by rank it would fill sales-core and leave training-floor empty; only
    # the split the optimiser chose (X to training, Y to Sales) pays both floors, and that is what is reported.

    candidates = [cand("X", 100, 9, kind="training"), cand("Y", 100, 1, kind="coaching")]
    result = optimal_allocate(candidates, pol(200, baselines=(Baseline("sales-core", D(100), department="Sales"),
                                                              Baseline("training-floor", D(100), kind="training"))))
    assert {k: (f.amount, f.step, f.explanation) for k, f in result.fundings.items()} == {
        "X": (D(100), "baseline:training-floor", "funded in baseline training-floor"),
        "Y": (D(100), "baseline:sales-core", "funded in baseline sales-core")}
    assert dict(result.summary.baselines) == {"sales-core": D(100), "training-floor": D(100)}


def test_a_cap_that_leaves_exactly_the_next_unit_does_not_stop_a_candidate_the_pool_stops():

    candidates = [cand("A", 120, 100), cand("B", 50, 10)]  # the pool of 150 leaves B 30 of its 50
    room_of_one = optimal_allocate(candidates, pol(150, caps=Caps(per_department={"Sales": D(151)})))
    assert room_of_one.fundings["B"].explanation == (
        "partially funded (30 of 50) in the optimal split of the pool; funded by the optimiser at EV 200 per 1,000 "
        "(rank 2)")
    no_room = optimal_allocate(candidates, pol(150, caps=Caps(per_department={"Sales": D(150)})))
    assert no_room.fundings["B"].explanation == (
        "capped by department cap Sales (150): 30 of 50; funded by the optimiser at EV 200 per 1,000 (rank 2)")


@pytest.mark.parametrize(("costs", "values", "pool", "share"), [
    ((9, 5, 4), (5, 3, 1), 2, "0.5"),  # only the last, at its minimum of 2, fits the pool
    ((2, 3, 5, 7), (0, 0, 4, 8), 4, "0.6"),
    ((6, 9, 10, 5, 6), (4, 7, 5, 1, 3), 4, "0.75"),
    ((10, 8, 11, 2, 10, 4), (8, 8, 4, 9, 1, 3), 6, "0.6"),
])
def test_a_candidate_the_lp_leaves_at_zero_is_still_funded_at_its_minimum_when_that_is_best(costs, values, pool,
                                                                                          share):
    # Reduced-cost fixing may close a minimum-viable (semi-continuous) column at 0 only when even its minimum
    # would cost more than the gap; these small pools are best spent on one candidate's minimum.
    from test_differential import oracle, value

    candidates = [cand(f"c{i}", c, v) for i, (c, v) in enumerate(zip(costs, values))]
    policy = pol(pool, partial=True, tie_break=("score", "id"), min_viable_share=share)
    want = oracle(candidates, policy)
    got = tuple(int(optimal_allocate(candidates, policy).fundings[c.id].amount) for c in candidates)
    assert (got, value(candidates, got)) == (want, value(candidates, want))
    assert sum(got) > 0


def test_the_objective_is_exact_whatever_inexact_decimal_work_came_before():
    # The optimal strategy holds the value at its optimum exactly when the objective is in whole quanta. Its
    # check read the Inexact flag of a copy of the thread's context, so any earlier inexact division (scoring
    # does many) sent every later allocation down the float path: the result depended on what ran before.
    import decimal

    from budgetpolicy.allocation.formulation import Formulation
    from budgetpolicy.allocation.optimal import _floors
    from budgetpolicy.allocation.problem import prepare

    problem = prepare([cand("a", 100, 10), cand("b", 50, 4)], pol(120))
    with decimal.localcontext() as ctx:
        ctx.clear_flags()
        fresh = Formulation(problem, _floors(problem)).objective()
        decimal.Decimal(1) / decimal.Decimal(3)
        assert ctx.flags[decimal.Inexact]
        after = Formulation(problem, _floors(problem)).objective()
    assert (list(fresh[0]), fresh[1]) == (list(after[0]), after[1]) == ([-10.0, -8.0], True)
