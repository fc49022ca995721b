"""The optimal selection: the highest total score within every capacity, solved with HiGHS.

One binary variable per option; one row per assignment (seats), per mentor (mentees), per person
(load, in load units, and concurrent assignments). The objective is the options' scores in score units
times (options + 1), plus 1 per pick: the total score comes first, and among selections of equal total
the one that places more people wins (a zero-score candidate who fits is still placed, as greedy would
place them). Every coefficient is a whole number well below 2**53, and the MIP gap is 0, so the
optimum is exact. The result is checked against the capacities before it is returned.

numpy and scipy load only when a selection is solved (they take about a second to import); the
solver's own printing is silenced at the file-descriptor level, as the allocation's is.
"""

from __future__ import annotations

from typing import Any

from budgetpolicy.allocation.quiet import solver_output_silenced
from budgetpolicy.errors import AllocationError, Location
from budgetpolicy.stretch.problem import Problem, feasible

SOLVER_OPTIONS: dict[str, Any] = {"mip_rel_gap": 0.0, "presolve": True}


def optimal(problem: Problem) -> tuple[int, ...]:
    """The indexes of the options an optimal selection takes."""
    if not problem.options:
        return ()
    import numpy as np  # heavy: see the module docstring
    from scipy.optimize import Bounds, LinearConstraint, milp

    n = len(problem.options)
    c = np.array([-(o.units * (n + 1) + 1) for o in problem.options], dtype=float)
    rows, bounds = _rows(problem)
    matrix = np.zeros((len(rows), n))
    for r, terms in enumerate(rows):
        for k, coefficient in terms:
            matrix[r, k] = coefficient
    with solver_output_silenced():
        result = milp(c, integrality=np.ones(n), bounds=Bounds(0, 1),
                      constraints=LinearConstraint(matrix, -np.inf, np.array(bounds, dtype=float)),
                      options=dict(SOLVER_OPTIONS))
    if result.x is None:
        raise AllocationError(f"the solver found no stretch selection: {result.message}",
                              Location(key="stretch.strategy"), hint="try --strategy greedy", code="BP640")
    chosen = tuple(k for k in range(n) if result.x[k] > 0.5)
    if not feasible(problem, chosen):  # never expected: a solver fault must not become a selection
        raise AllocationError("the solver's stretch selection exceeds a capacity", Location(key="stretch.strategy"),
                              hint="try --strategy greedy, and report this", code="BP640")
    return chosen


def _rows(problem: Problem) -> tuple[list[list[tuple[int, int]]], list[int]]:
    """``A x <= b`` as (rows of (option, coefficient) terms, right-hand sides)."""
    groups: dict[tuple[str, str], list[tuple[int, int]]] = {}
    limits: dict[tuple[str, str], int] = {}
    for o in problem.options:
        c = o.candidate
        for key, coefficient, limit in ((("seats", c.assignment), 1, problem.seats[c.assignment]),
                                        (("mentor", c.mentor), 1, problem.mentors[c.mentor]),
                                        (("load", c.person), o.load, problem.load[c.person]),
                                        (("concurrent", c.person), 1, problem.concurrent[c.person])):
            groups.setdefault(key, []).append((o.index, coefficient))
            limits[key] = limit
    keys = sorted(groups)
    return [groups[k] for k in keys], [limits[k] for k in keys]
