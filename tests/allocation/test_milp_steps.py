"""The optimal strategy's solve, step by step (budgetpolicy.allocation.milp's module docstring).

The differential tests check the answer; these check what each step promises on its own, on seeded
instances of 40-120 candidates with a pool, department and kind caps and minimum viable amounts:

* the rounded LP answer meets every row exactly and cannot be raised anywhere (it is topped up);
* reduced-cost fixing never cuts off the optimum, and fixes every column the docstring's bound
  says it may (a step costing more than the gap between the LP and the rounded answer), so that
  only candidates near the cut-off are left to the branch and bound;
* a time limit that stops the search returns the best allocation found, reported as stopped with
  a gap, never as optimal.
"""

from __future__ import annotations

import math
import random
from decimal import Decimal as D

import pytest

from alloc_helpers import cand, pol
from budgetpolicy.allocation import milp
from budgetpolicy.allocation.formulation import INTEGER, SEMI_INTEGER, Formulation
from budgetpolicy.allocation.optimal import _floors, optimal_allocate
from budgetpolicy.allocation.problem import prepare
from budgetpolicy.model import Caps

SEEDS = range(12)


def instance(seed, n=None):
    rng = random.Random(seed)
    n = n or rng.randrange(40, 121)
    ratios = [rng.randrange(2, 9) for _ in range(4)]
    cands = [cand(f"c{i:03d}", (cost := rng.randrange(2, 40)), cost * rng.choice(ratios) + rng.randrange(0, 3),
                  score=D(rng.randrange(0, 5)) / 4, department=rng.choice(["Sales", "Eng", "Ops"]),
                  kind=rng.choice(["training", "coaching"]))
             for i in range(n)]
    total = sum(int(c.cost) for c in cands)
    kw = {"partial": seed % 3 != 0, "tie_break": ("score", "id"),
          "caps": Caps(per_department={"Eng": D(total // 5)}, per_kind={"coaching": D(total // 4)})}
    if seed % 3 == 1:
        kw["min_viable_share"] = "0.5"
    return cands, pol(total // 3, **kw)


def formulation(cands, policy):
    problem = prepare(cands, policy)
    return Formulation(problem, _floors(problem))


def exact_rows_hold(form, x):
    ints = [int(round(v)) for v in x]
    return all(sum(int(v) * ints[col] for col, v in terms) <= int(rhs) for _, terms, rhs in form.rows)


def lp(form):
    c, _ = form.objective()
    res = milp._lp(form, c, milp._Deadline(None))
    assert res.status == 0
    return c, res


def reduced_costs_and_room(form, c, res, rounded):
    """The LP's reduced costs d and the gap to the rounded answer (with the solver's float margin): a step
    away from the LP's amount costs |d_k|, and no optimum moves by more than ``room`` in total."""
    a, _ = form.matrix()
    room = float(c @ milp._array(rounded)) - res.fun + 1e-6 * max(1.0, abs(res.fun))
    return c - a.T @ res.ineqlin.marginals, room


@pytest.mark.parametrize("seed", SEEDS)
def test_the_rounded_lp_answer_meets_every_row_and_cannot_be_raised(seed):
    form = formulation(*instance(seed))
    c, res = lp(form)
    x = milp._rounded(form, res.x)
    assert x is not None and exact_rows_hold(form, x)
    for k in range(len(form.items)):
        low = math.floor(float(res.x[k]) + 1e-9)
        if form.integrality[k] != SEMI_INTEGER or low >= form.lower[k]:
            assert x[k] >= min(low, form.upper[k])  # rounding down, then only up
        if x[k] < form.upper[k]:  # topped up: one step more (or the minimum, from 0) breaks a row
            step = form.lower[k] if form.integrality[k] == SEMI_INTEGER and x[k] == 0 else 1
            raised = list(x)
            raised[k] += step
            assert not exact_rows_hold(form, raised), (k, x[k], form.upper[k])
    assert float(c @ milp._array(x)) >= res.fun - 1e-6  # c is minimised: never better than the LP bound


@pytest.mark.parametrize("seed", SEEDS)
def test_fixing_keeps_the_optimum_and_fixes_what_the_reduced_costs_allow(seed):
    cands, policy = instance(seed)
    form = formulation(cands, policy)
    c, res = lp(form)
    rounded = milp._rounded(form, res.x)
    best = milp.solve(form)
    assert best.report.status == "optimal"
    optimum = [v / form.scale[k] for k, v in enumerate(best.units)]
    lower, upper, kinds = list(form.lower), list(form.upper), list(form.integrality)
    left = milp._fix(form, c, res, rounded, lower, upper, kinds)
    assert left == sum(1 for k in range(form.size) if lower[k] != upper[k])
    assert left == best.report.candidates_searched
    # Sound: the optimum is inside every narrowed range (a column still semi-integer may also be 0).
    for k in range(len(form.items)):
        inside = lower[k] - 1e-9 <= optimum[k] <= upper[k] + 1e-9
        assert inside or (kinds[k] == SEMI_INTEGER and optimum[k] == 0), (k, lower[k], optimum[k], upper[k])
    # Strong: the bound of the module docstring, restated. A step away from the LP's amount costs
    # |d_k| each; when one step costs more than the gap, the column is fixed at the LP's amount.
    d, room = reduced_costs_and_room(form, c, res, rounded)
    fixed_at_zero = fixed_at_top = 0
    for k in range(len(form.items)):
        at, dk, semi = float(res.x[k]), float(d[k]), form.integrality[k] == SEMI_INTEGER
        if dk > 0 and at <= 1e-9 and dk * (form.lower[k] if semi else 1) > room:
            assert lower[k] == upper[k] == 0 and kinds[k] == INTEGER, k
            fixed_at_zero += 1
        elif dk > 0 and at <= 1e-9:
            assert upper[k] <= max(math.floor(room / dk), 0), (k, upper[k], room / dk)
        if dk < 0 and at >= form.upper[k] - 1e-9:
            if -dk > room:
                assert lower[k] == upper[k] == form.upper[k] and kinds[k] == INTEGER, k
                fixed_at_top += 1
            elif not semi:
                assert lower[k] >= form.upper[k] - math.floor(room / -dk), (k, lower[k])
            elif -dk * form.upper[k] > room:
                assert kinds[k] == INTEGER and lower[k] >= form.lower[k], k  # zero is out of reach
    if policy.partial:  # near the cut-off only
        assert fixed_at_zero + fixed_at_top >= len(form.items) // 2 and left <= len(form.items) // 3
    else:  # whole requests: rounding loses more, so the gap is wider and fewer are fixed
        assert fixed_at_zero and left < len(form.items)


def test_fixing_by_exchange_fixes_the_dearer_members_of_a_group():
    """Thirty candidates of one department and kind left at 0 by the LP (the pool goes to better
    ratios elsewhere), with growing reduced costs: an optimum raises a dearer one only after every
    cheaper one is full, so once the cheaper ones alone would cost more than the gap, the dearer
    ones are fixed at 0 whatever their own reduced cost; so are those whose own step costs too much."""
    cands = [cand(f"a{i:02d}", 10, 100, department="Ops", kind="workshop") for i in range(5)]
    cands += [cand(f"b{i:02d}", 10, 90 - i, department="Eng", kind="coaching") for i in range(30)]
    policy = pol(55, partial=True, min_viable_share="0.5")
    form = formulation(cands, policy)
    ids = [it.id for it in form.items]
    c, res = lp(form)
    rounded = milp._rounded(form, res.x)
    by_id = dict(zip(ids, rounded))
    assert [by_id[f"a{i:02d}"] for i in range(5)] == [10.0] * 5 and by_id["b00"] == 5.0
    lower, upper, kinds = list(form.lower), list(form.upper), list(form.integrality)
    d, room = reduced_costs_and_room(form, c, res, rounded)
    left = milp._fix(form, c, res, rounded, lower, upper, kinds)
    bs = [k for k, i in enumerate(ids) if i.startswith("b") and i != "b00"]
    assert all(lower[k] == upper[k] == 0 for k in bs if float(d[k]) * form.lower[k] > room)
    assert left <= 2
    result = optimal_allocate(cands, policy)
    assert {k: int(f.amount) for k, f in result.fundings.items() if f.amount} == {
        **{f"a{i:02d}": 10 for i in range(5)}, "b00": 5}


def test_a_group_of_partial_requests_is_solved_by_fixing_alone_to_the_greedy_optimum():
    """One row (the pool), forty partial requests of distinct value per cost: the LP fills the best
    and cuts one; rounding loses nothing, so fixing leaves at most that one, and the answer is the
    fractional-knapsack optimum greedy also reaches."""
    rng = random.Random(5)
    cands = [cand(f"k{i:02d}", (cost := rng.randrange(5, 15)), cost * 3 + i, department="Eng", kind="coaching")
             for i in range(40)]
    policy = pol(sum(int(c.cost) for c in cands) // 2, partial=True)
    result = milp.solve(formulation(cands, policy))
    assert result.report.status == "optimal" and result.report.candidates_searched <= 1
    from budgetpolicy.allocation.greedy import greedy_allocate
    greedy = greedy_allocate(cands, policy)
    best = optimal_allocate(cands, policy)
    assert {k: f.amount for k, f in best.fundings.items()} == {k: f.amount for k, f in greedy.fundings.items()}
    assert sum(f.amount for f in best.fundings.values()) == policy.pool


def test_a_time_limit_that_stops_the_search_keeps_a_feasible_answer_and_reports_the_gap():
    """Strongly correlated all-or-nothing requests (value = cost + constant) are hard for branch and
    bound; with a time limit of a millisecond the search stops before proving anything."""
    rng = random.Random(11)
    cands = [cand(f"h{i:02d}", (cost := rng.randrange(10_000, 100_000)), cost + 100_000) for i in range(60)]
    policy = pol(sum(int(c.cost) for c in cands) // 2, partial=False, time_limit="0.001")
    result = optimal_allocate(cands, policy)
    solver = result.summary.solver
    assert solver["status"] == "time_limit"
    assert solver["gap"] > 0
    funded = [c for c in cands if result.fundings[c.id].amount > 0]
    assert funded and all(result.fundings[c.id].amount == c.cost for c in funded)
    assert sum(c.cost for c in funded) <= policy.pool


def test_a_solve_with_nothing_to_decide_returns_no_solution():
    """A request below one unit of money rounds to nothing: no column, no solve."""
    form = formulation([cand("z", 4, 5)], pol(100, unit=10, partial=True))
    assert form.size == 0 and milp.solve(form) is None
