"""Every BP625 the optimal strategy gives, pinned whole: message, place and fix.

An infeasible plan is the one error a governance team must act on by editing the policy, so each
names the baseline, the limit that blocks it (tried in a fixed order: reserve, pool, minimum,
per-initiative cap, department caps, kind caps), the key to edit and what to change.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from alloc_helpers import cand, pol
from budgetpolicy.allocation.optimal import optimal_allocate
from budgetpolicy.errors import AllocationError
from budgetpolicy.model import Baseline, Caps, Reserve


def refused(cands, policy):
    with pytest.raises(AllocationError) as err:
        optimal_allocate(cands, policy)
    (d,) = err.value.diagnostics
    return d.code, d.location.key, d.message, d.hint


def floor(amount, department="Sales", id="sales-core"):
    return Baseline(id, D(amount), department=department)


def test_the_pool_blocks_a_baseline():
    assert refused([cand("s", 100, 1)], pol(40, baselines=(floor(60),))) == (
        "BP625", "allocation.pool",
        "optimal allocation is infeasible: baseline 'sales-core' (60) cannot be met under the pool (40)",
        "lower the baseline or relax the pool (40)")


def test_the_reserve_held_back_blocks_a_baseline():
    """The pool (100) holds the floor (80); the reserve held back from it (50) does not. Leaving the
    pool out leaves out the reserve too, so the reserve is tried first, or the pool would be blamed."""
    policy = pol(100, baselines=(floor(80),), reserve=Reserve(amount=D(50), kinds=("stretch",),
                                                                include_pilots=False, release_unused=False))
    assert refused([cand("s", 100, 1), cand("t", 10, 1, kind="stretch", department="Eng")], policy) == (
        "BP625", "allocation.reserve",
        "optimal allocation is infeasible: baseline 'sales-core' (80) cannot be met under the reserve held back (50)",
        "lower the baseline or relax the reserve held back (50)")


def test_all_or_nothing_funding_blocks_a_baseline():
    policy = pol(1000, partial=False, baselines=(floor(50),), caps=Caps(per_kind={"training": D(55)}))
    assert refused([cand("s", 60, 1)], policy) == (
        "BP625", "allocation.partial",
        "optimal allocation is infeasible: baseline 'sales-core' (50) cannot be met under all-or-nothing "
        "funding (partial = false)",
        "lower the baseline or relax all-or-nothing funding (partial = false)")


def test_a_department_cap_whose_name_holds_a_colon_is_named_whole():
    policy = pol(1000, baselines=(floor(80, department="R:D", id="rd"),), caps=Caps(per_department={"R:D": D(50)}))
    assert refused([cand("x1", 60, 1, department="R:D"), cand("x2", 60, 1, department="R:D")], policy) == (
        "BP625", "allocation.caps.per_department.R:D",
        "optimal allocation is infeasible: baseline 'rd' (80) cannot be met under department cap R:D (50)",
        "lower the baseline or relax department cap R:D (50)")


def test_a_kind_cap_blocks_a_baseline():
    policy = pol(1000, baselines=(floor(80),), caps=Caps(per_kind={"training": D(50)}))
    assert refused([cand("s", 100, 1)], policy) == (
        "BP625", "allocation.caps.per_kind.training",
        "optimal allocation is infeasible: baseline 'sales-core' (80) cannot be met under kind cap training (50)",
        "lower the baseline or relax kind cap training (50)")


def test_baselines_that_fit_alone_but_not_together_are_named_together():
    """Two floors over one candidate each, both met alone, not together under the pool."""
    policy = pol(100, baselines=(floor(70), floor(70, department="Eng", id="eng-core")))
    assert refused([cand("s", 100, 1), cand("e", 100, 1, department="Eng")], policy) == (
        "BP625", "allocation.baselines",
        "optimal allocation is infeasible: baselines sales-core, eng-core cannot all be met together",
        "lower the baseline amounts or make their groups overlap less")


def test_with_a_reserve_held_back_the_pool_is_still_blamed_when_it_is_the_limit():
    policy = pol(40, baselines=(floor(60),), reserve=Reserve(amount=D(10), kinds=("stretch",),
                                                               include_pilots=False, release_unused=False))
    assert refused([cand("s", 100, 1), cand("t", 10, 1, kind="stretch", department="Eng")], policy)[:3] == (
        "BP625", "allocation.pool",
        "optimal allocation is infeasible: baseline 'sales-core' (60) cannot be met under the pool (40)")


@pytest.mark.parametrize("units, what", [
    ((60, 50), "the pool"),                 # 110 units of a pool of 100
    ((-1, 0), "an initiative's request"),   # below zero
    ((61, 0), "an initiative's request"),   # above a's request of 60
    ((30, 40), "a department cap"),         # Eng holds b only: 40 > its cap 35
    ((50, 20), "a kind cap"),               # coaching holds a only: 50 > its cap 45
])
def test_a_solver_answer_that_breaks_a_limit_after_rounding_is_refused_by_name(units, what):
    """The last guard between the solver's floats and the money: every limit re-checked in integers."""
    from budgetpolicy.allocation.formulation import Formulation
    from budgetpolicy.allocation.optimal import _check_exact, _floors
    from budgetpolicy.allocation.problem import prepare

    cands = [cand("a", 60, 9, kind="coaching"), cand("b", 50, 1, department="Eng")]
    problem = prepare(cands, pol(100, caps=Caps(per_department={"Eng": D(35)}, per_kind={"coaching": D(45)})))
    form = Formulation(problem, _floors(problem))
    x = [units[0] if it.id == "a" else units[1] for it in form.items]
    with pytest.raises(AllocationError) as err:
        _check_exact(problem, form, x)
    (d,) = err.value.diagnostics
    assert (d.code, d.location.key, d.message, d.hint) == (
        "BP626", "allocation.strategy", f"the solver's answer exceeds {what} after rounding to whole units",
        'use strategy = "greedy"')
    _check_exact(problem, form, [45 if it.id == "a" else 35 for it in form.items])  # at every limit: fine
