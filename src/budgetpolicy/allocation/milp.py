"""The optimal strategy's solve: exact, and fast because little is left to search.

:mod:`budgetpolicy.allocation.optimal` asks here for the best allocation of a
:class:`~budgetpolicy.allocation.formulation.Formulation` and gets whole units per candidate
and a :class:`SolveReport` (how the solve ended). HiGHS (``scipy.optimize``) does the search.

1. The LP relaxation (fast). Its reduced costs ``d`` say how much value any allocation loses
   by moving a candidate away from the LP's amount: for every allocation ``x``,
   ``value(LP) - value(x) >= sum_k |d_k| |x_k - lp_k|``, each term >= 0.
2. A feasible allocation rounded from it (fractions down, then topped up by rank), checked exactly.
3. Reduced-cost fixing: a candidate whose move would lose more than the gap between 1 and 2 is
   fixed at the LP's amount, or its range narrowed; and by exchange, within a group of
   candidates in the same rows, one is moved only after every strictly cheaper one, so most of a
   group is fixed too. No allocation at least as good as the rounded one is cut off, so every
   optimum survives; usually a few dozen candidates near the cut-off ratio are left.
4. HiGHS's branch and bound over what is left, first with whole units relaxed to continuous
   amounts (it then branches only on the all-or-nothing and minimum-viable choices); that answer
   is kept when it is in whole units anyway (then it is the whole-unit optimum), else the
   whole-unit program is solved. HiGHS's feasibility jump is off (a fixed 10-20 ms before every
   search, two thirds of a 36-candidate knapsack) unless a coefficient reaches ``_WIDE``.
5. Among equal optima, a second solve holds the value at the optimum and prefers better-ranked
   candidates (value per cost, then the policy's ``tie_break``, then id), as the greedy order does.
   It is not folded into the first solve as value + eps * rank: the rank weights are units times
   rank, so on the hard knapsack of the benchmark eps would have to be about 1e-9 of a quantum of
   value, below what HiGHS's tolerances resolve.
6. Every answer is rounded and checked in integers against every row (the tie-break's also for its
   value): near 2^42 an answer within HiGHS's tolerances can break a row by a unit once rounded; the
   rounded LP allocation then stands, reported as stopped (``gap_limit``), never as optimal.

Limits (``[allocation] time_limit`` and ``mip_gap``) are passed to HiGHS; when one stops the
search, the report says so and gives the relative gap between the allocation returned and the
best bound proven. HiGHS's own printing never reaches the terminal
(:mod:`budgetpolicy.allocation.quiet`). numpy and scipy are imported inside the functions (see
:mod:`budgetpolicy.allocation.optimal`).

The module is over 400 lines because the steps above share the program's bounds and kinds as they
tighten them, and read best as one sequence; the exact checks after rounding joined them in issue #17.
"""

from __future__ import annotations

import math
import time
import warnings
from decimal import Decimal
from typing import Any

from attrs import frozen

from budgetpolicy.allocation.formulation import (
    CONTINUOUS, INTEGER, SEMI_CONTINUOUS, SEMI_INTEGER, Formulation,
)
from budgetpolicy.allocation.quiet import solver_output_silenced

STATUS_OPTIMAL, STATUS_TIME_LIMIT, STATUS_GAP_LIMIT = "optimal", "time_limit", "gap_limit"
# Past this coefficient HiGHS's feasibility tolerances (1e-6 on a whole number) span thousands of units, and
# its answers can break a row once rounded (Todd's knapsacks, costs near 2^42); there the search keeps the
# settings those instances were tested with (feasibility jump on) rather than a new search path.
_WIDE = 2.0 ** 32
# Safety margin on reduced-cost fixing: the LP's duals are floats within HiGHS's tolerances (1e-7).
_FIX_MARGIN = 1e-6


@frozen
class SolveReport:
    """How the solve ended: ``status`` (optimal, time_limit or gap_limit) and ``gap``, the relative
    distance between the allocation returned and the best bound proven (0 when proven optimal)."""

    status: str
    gap: Decimal
    candidates_searched: int  # columns left to the branch and bound after fixing


@frozen
class Solution:
    """Units per item (rank order), the solver's credit columns (``None`` without them) and the report."""

    units: list[int]
    values: Any  # the solver's column values (y and r credits are read from it), or None
    report: SolveReport


class _Deadline:
    def __init__(self, seconds: float | None) -> None:
        self.end = None if seconds is None else time.monotonic() + seconds
        self.jump = False

    def options(self, gap: float) -> dict[str, Any]:
        # Feasibility jump (HiGHS >= 1.10) spends a fixed 10-20 ms of work before the search, whatever the size:
        # two thirds of a 36-candidate knapsack's solve; the rounded LP answer and HiGHS's other heuristics
        # find incumbents as good on these programs (benchmarks/RESULTS.md, fifth session). It stays on for
        # coefficients past _WIDE (see there).
        out: dict[str, Any] = {"mip_rel_gap": gap, "presolve": True, "mip_heuristic_run_feasibility_jump": self.jump}
        if self.end is not None:
            out["time_limit"] = max(self.end - time.monotonic(), 0.001)
        return out

    def lp_options(self) -> dict[str, Any]:
        # HiGHS's presolve spends seconds on these few-row LPs that the simplex solves in milliseconds.
        out: dict[str, Any] = {"presolve": False}
        if self.end is not None:
            out["time_limit"] = max(self.end - time.monotonic(), 0.001)
        return out


def feasible(form: Formulation) -> int:
    """The solver's status for the whole program (2: infeasible): a zero objective, so the first
    allocation found ends the search."""
    import numpy as np  # heavy: see the module docstring

    if form.size == 0:
        return 0
    zero = np.zeros(form.size)
    res = _milp(form, zero, True, list(form.lower), list(form.upper), list(form.integrality), _Deadline(None), 0.0)
    return int(res.status)


def solve(form: Formulation, time_limit: float | None = None, mip_gap: float = 0.0) -> Solution | None:
    """The best allocation (see the module docstring); None when there is nothing to decide.

    Raises nothing itself: an infeasible program or a missing answer is returned in ``report.status``
    as ``infeasible`` / ``failed:<message>`` for the caller to word."""
    if form.size == 0:
        return None
    import scipy.optimize  # noqa: F401  # heavy, imported once here: its second is not the solver's time
    deadline = _Deadline(time_limit)
    deadline.jump = any(abs(v) >= _WIDE for _, terms, _ in form.rows for _, v in terms)
    c, integral = form.objective()
    lower, upper, kinds = list(form.lower), list(form.upper), list(form.integrality)
    relaxed = _lp(form, c, deadline)
    searched = form.size
    incumbent = None
    if relaxed is not None and relaxed.status == 2:
        return _failed(form, "infeasible")
    if relaxed is not None and relaxed.status == 0 and not form.y and not form.r:
        incumbent = _rounded(form, relaxed.x)
        if incumbent is not None:
            searched = _fix(form, c, relaxed, incumbent, lower, upper, kinds)
    best = _exact_first(form, c, integral, lower, upper, kinds, deadline, mip_gap)
    if best is None or best.x is None:
        if incumbent is None:
            code = 2 if best is None else int(best.status)
            return _failed(form, "infeasible" if code == 2 else f"failed:{getattr(best, 'message', '')}")
        x, bound, status = incumbent, (relaxed.fun if relaxed is not None else None), STATUS_TIME_LIMIT
    else:
        x = [float(v) for v in best.x]
        bound = getattr(best, "mip_dual_bound", None)
        status = STATUS_OPTIMAL if best.status == 0 and (best.mip_gap or 0) <= 1e-9 else (
            STATUS_GAP_LIMIT if best.status == 0 else STATUS_TIME_LIMIT)
        if status == STATUS_OPTIMAL:
            if incumbent is not None:  # fix again against the optimum itself: a smaller gap fixes more
                lower, upper, kinds = list(form.lower), list(form.upper), list(form.integrality)
                _fix(form, c, relaxed, x, lower, upper, kinds)
            x = _prefer_rank(form, c, integral, lower, upper, kinds, deadline, x)
        elif incumbent is not None and float(c @ _array(incumbent)) < float(c @ _array(x)):
            x = incumbent  # stopped early with less than the rounded LP answer: keep the better one
        if incumbent is not None and not _whole(form, [float(round(v)) for v in x]):
            # Near 2^42 (Todd's knapsacks) an answer within HiGHS's tolerances can break a row by a unit once
            # rounded (and the tie-break solve, checked exactly, did not replace it): the rounded LP answer,
            # exact, stands instead, not claimed optimal.
            x, status = incumbent, STATUS_GAP_LIMIT if status == STATUS_OPTIMAL else status
    value = float(c @ _array(x))
    if relaxed is not None and relaxed.status == 0:  # the LP relaxation's value is a proven bound too
        bound = relaxed.fun if bound is None else max(bound, relaxed.fun)
    gap = 0.0 if status == STATUS_OPTIMAL or bound is None else abs(value - bound) / max(abs(value), 1e-12)
    units = [int(round(x[k])) * form.scale[k] for k in range(len(form.items))]
    report = SolveReport(status, Decimal(f"{gap:.6g}") + 0, searched)
    return Solution(units, x, report)


def _exact_first(form: Formulation, c: Any, integral: bool, lower: list[float], upper: list[float],
                 kinds: list[int], deadline: _Deadline, gap: float, extra: tuple[Any, float] | None = None,
                 objective: Any = None) -> Any:
    """The branch and bound with whole units relaxed to continuous amounts, kept when its answer is in
    whole units anyway (then it is the whole-unit optimum too: the relaxation's optimum is feasible);
    otherwise the whole-unit program itself.

    Pool, caps and floors rarely leave a fraction (a candidate's units are bounded by rows that mostly
    nest: the pool, a department, a kind), and the relaxed search is several times faster: HiGHS then
    branches only on the binary and the minimum-viable (semi-continuous) columns."""
    loose = [SEMI_CONTINUOUS if k == SEMI_INTEGER else CONTINUOUS if k == INTEGER and form.scale[i] == 1
             and i < len(form.items) else k for i, k in enumerate(kinds)]
    res = _milp(form, c, integral, lower, upper, loose, deadline, gap, extra, objective)
    if res is not None and res.x is not None and _whole(form, res.x):
        res.x = [float(round(v)) for v in res.x]
        return res
    if res is not None and res.status == 1:  # out of time: the relaxed answer is not an allocation
        res.x = None
        return res
    return _milp(form, c, integral, lower, upper, kinds, deadline, gap, extra, objective)


def _whole(form: Formulation, x: Any) -> bool:
    """Every column within 1e-6 of a whole number, and the rounded answer meets every row exactly."""
    if any(abs(v - round(v)) > 1e-6 for v in x):
        return False
    ints = [int(round(v)) for v in x]
    return all(sum(int(v) * ints[col] for col, v in terms) <= int(rhs) for _, terms, rhs in form.rows)


def _failed(form: Formulation, status: str) -> Solution:
    return Solution([], None, SolveReport(status, Decimal(0), form.size))


def _array(x: Any) -> Any:
    import numpy as np  # heavy: see the module docstring

    return np.asarray(x, dtype=float)


def _lp(form: Formulation, c: Any, deadline: _Deadline) -> Any:
    from scipy.optimize import linprog  # heavy: see the module docstring

    import numpy as np  # heavy: see the module docstring

    a, b = form.matrix()
    bounds = np.column_stack([np.zeros(form.size), np.array(form.upper, dtype=float)])
    with solver_output_silenced():
        return linprog(c, A_ub=a if a.shape[0] else None, b_ub=b if a.shape[0] else None,
                       bounds=bounds, method="highs", options=deadline.lp_options())


def _milp(form: Formulation, c: Any, integral: bool, lower: list[float], upper: list[float], kinds: list[int],
          deadline: _Deadline, gap: float, extra: tuple[Any, float] | None = None, objective: Any = None) -> Any:
    """One HiGHS branch and bound over the columns not fixed (``lower == upper``); None when none are left."""
    import numpy as np  # heavy: see the module docstring
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import vstack

    a, b = form.matrix()
    if extra is not None:
        a, b = vstack([a, extra[0].reshape(1, -1)]).tocsr(), np.append(b, extra[1])
    free = [k for k in range(form.size) if lower[k] != upper[k] or kinds[k] in (SEMI_INTEGER, SEMI_CONTINUOUS)]
    fixed = np.array([lower[k] if lower[k] == upper[k] else 0.0 for k in range(form.size)])
    if not free:
        return _Fixed(fixed)
    sub = a[:, free]
    rhs = b - a @ fixed
    obj = (c if objective is None else objective)[free]
    options = deadline.options(gap)
    integrality = np.array([kinds[k] for k in free])
    with warnings.catch_warnings():
        # scipy's milp passes HiGHS options it does not list itself verbatim, with a warning (and an older
        # HiGHS without feasibility jump ignores that option with another): both are expected here.
        warnings.filterwarnings("ignore", message="Unrecognized options")
        with solver_output_silenced():
            res = milp(obj, integrality=integrality, bounds=Bounds(np.array([lower[k] for k in free]),
                                                                   np.array([upper[k] for k in free])),
                       constraints=LinearConstraint(sub, -np.inf, rhs) if sub.shape[0] else None, options=options)
    if res.x is not None:
        full = fixed.copy()
        full[free] = res.x
        res.x = full
        if getattr(res, "mip_dual_bound", None) is not None:
            res.mip_dual_bound = float(res.mip_dual_bound) + float((c if objective is None else objective) @ fixed)
    return res


class _Fixed:
    """What :func:`_milp` gives when fixing left nothing to search: the fixed answer, proven optimal."""

    status, mip_gap, message = 0, 0.0, "every column fixed"

    def __init__(self, x: Any) -> None:
        self.x = x
        self.mip_dual_bound = None


def _rounded(form: Formulation, lp_x: Any) -> list[float] | None:
    """A feasible allocation near the LP's answer: fractions rounded down, then topped up by rank.

    Checked exactly in integers (every coefficient and right-hand side is whole); None when the
    rounding leaves a floor unmet that the top-up cannot repair."""
    n = form.size
    x = [0.0] * n
    for k in range(n):
        v = math.floor(float(lp_x[k]) + 1e-9)
        if form.integrality[k] == SEMI_INTEGER and v < form.lower[k]:
            v = 0
        x[k] = float(min(max(v, 0), form.upper[k]))
    rows = [(name, [(col, int(v)) for col, v in terms], int(rhs)) for name, terms, rhs in form.rows]
    slack = [rhs - sum(v * int(x[col]) for col, v in terms) for _, terms, rhs in rows]
    member: dict[int, list[tuple[int, int]]] = {}
    for r, (_, terms, _) in enumerate(rows):
        for col, v in terms:
            member.setdefault(col, []).append((r, v))
    # Short floors first (their rows have negative coefficients), then anything that adds value, by rank.
    for wanted in ([r for r, s in enumerate(slack) if s < 0], None):
        for k in range(len(form.items)):
            if wanted is not None and not any(r in wanted and slack[r] < 0 for r, _ in member.get(k, ())):
                continue
            _top_up(form, x, k, slack, member.get(k, ()))
    return x if all(s >= 0 for s in slack) else None


def _top_up(form: Formulation, x: list[float], k: int, slack: list[int], rows: Any) -> None:
    """Raise column ``k`` as far as every row with a positive coefficient allows."""
    room = int(form.upper[k]) - int(x[k])
    for r, v in rows:
        if v > 0:
            room = min(room, slack[r] // v)
    if room <= 0:
        return
    if form.integrality[k] == SEMI_INTEGER and x[k] == 0 and room < form.lower[k]:
        return
    x[k] += room
    for r, v in rows:
        slack[r] -= v * room


def _fix(form: Formulation, c: Any, lp: Any, incumbent: list[float], lower: list[float],
         upper: list[float], kinds: list[int]) -> int:
    """Reduced-cost fixing (see the module docstring): tightens ``lower``/``upper``/``kinds`` in place, returns
    how many columns are left free. Any allocation worth at least the incumbent satisfies
    ``sum_k d_k (x_k - lp_k) <= gap`` with every term >= 0, so a move costing more is impossible."""
    a, _ = form.matrix()
    y = lp.ineqlin.marginals if a.shape[0] else _array([])
    d = c - (a.T @ y if a.shape[0] else 0)
    z = float(lp.fun)
    gap = float(c @ _array(incumbent)) - z
    room = gap + _FIX_MARGIN * max(1.0, abs(z))
    for k in range(form.size):
        at, dk, semi = float(lp.x[k]), float(d[k]), kinds[k] == SEMI_INTEGER
        hi, lo = upper[k], lower[k]
        if dk > 0 and at <= 1e-9:  # at 0: any step up costs dk each
            reach = float(math.floor(room / dk))
            if dk * (lo if semi else 1.0) > room or (semi and reach < lo):
                lower[k] = upper[k] = 0.0
                kinds[k] = INTEGER
            else:
                upper[k] = min(hi, reach)
        elif dk < 0 and at >= hi - 1e-9:  # at its top: any step down costs -dk each
            if -dk > room:
                lower[k] = upper[k] = hi
                kinds[k] = INTEGER
            elif semi and -dk * hi > room:  # zero is out of reach: a plain integer above the minimum
                lower[k] = max(lo, hi - float(math.floor(room / -dk)))
                kinds[k] = INTEGER
            elif not semi:
                lower[k] = max(0.0, hi - float(math.floor(room / -dk)))
    _fix_by_group(form, lp.x, d, room, lower, upper, kinds)
    return sum(1 for k in range(form.size) if lower[k] != upper[k])


def _fix_by_group(form: Formulation, at: Any, d: Any, room: float, lower: list[float], upper: list[float],
                  kinds: list[int]) -> None:
    """Fixing by exchange: candidates in the same rows (same department, kind, floor, reserve) trade
    units one for one, so an optimum lowers one from its top only once every strictly cheaper one
    (smaller ``|d|``) of its group is at its least, and raises one from 0 only once every strictly
    cheaper one is full. A candidate whose cheaper group mates alone would cost more than the gap
    keeps the LP's amount. Leaves a few columns per group (near the cut-off) instead of thousands."""
    pattern: dict[int, list[tuple[int, float]]] = {}
    for r, (_, terms, _) in enumerate(form.rows):
        for col, v in terms:
            pattern.setdefault(col, []).append((r, v))
    groups: dict[tuple[Any, ...], list[tuple[float, int]]] = {}
    for k in range(len(form.items)):
        if kinds[k] != INTEGER or form.scale[k] != 1 or lower[k] == upper[k]:
            continue
        dk, xk = float(d[k]), float(at[k])
        if dk < 0 and xk >= upper[k] - 1e-9:
            side = "down"
        elif dk > 0 and xk <= 1e-9:
            side = "up"
        else:
            continue
        groups.setdefault((side, tuple(pattern.get(k, ()))), []).append((abs(dk), k))
    for (side, _), members in groups.items():
        members.sort()
        spent, i = 0.0, 0
        while i < len(members):
            j = i  # members i..j-1 share one |d|: none of them is strictly cheaper than another
            while j < len(members) and members[j][0] <= members[i][0] * (1 + 1e-12):
                j += 1
            for _, k in members[i:j]:
                if spent > room:
                    if side == "down":
                        lower[k] = upper[k]
                    else:
                        upper[k] = lower[k] = 0.0
            for cost, k in members[i:j]:
                spent += cost * (upper[k] - lower[k]) if lower[k] != upper[k] else 0.0
            i = j


def _prefer_rank(form: Formulation, c: Any, integral: bool, lower: list[float], upper: list[float],
                 kinds: list[int], deadline: _Deadline, x: list[float]) -> list[float]:
    """Among the optima, the one favouring better-ranked items (``x`` if that solve fails).

    The value is held at the optimum by one more row: exactly for an integral objective (half a
    quantum of slack), else to a relative 1e-9, the solver's float rounding."""
    import numpy as np  # heavy: see the module docstring

    n = len(form.items)
    if n < 2:
        return x
    optimum = float(c @ _array(x))
    slack = 0.5 if integral else 1e-9 * max(1.0, abs(optimum))
    rank = np.zeros(form.size)
    rank[:n] = -(n - np.arange(n)) / n * np.array(form.scale[:n], dtype=float)
    res = _exact_first(form, c, integral, lower, upper, kinds, deadline, 0.0, extra=(c, optimum + slack),
                       objective=rank)
    if res is None or res.x is None or res.status != 0:
        return x
    out = [float(round(v)) for v in res.x]
    # Within HiGHS's tolerances an answer can still break a row by a unit once rounded when coefficients
    # are near 2^42 (Todd's knapsacks): the first solve's answer stands then.
    if not _whole(form, out) or (integral and float(c @ _array(out)) > optimum + slack):
        return x
    return out
