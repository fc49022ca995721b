"""The ``optimal`` allocation strategy: maximise total value with HiGHS (``scipy.optimize.milp``).

Same inputs, rules and result type as the greedy strategy in
:mod:`budgetpolicy.allocation.greedy`. The problem is posed in whole units of
money (the policy's ``unit``), so the solver's integer answer converts back
to Decimal exactly and the pool can never be exceeded:

* ``x_i`` integer units given to candidate ``i``, ``0 <= x_i <= target_i``;
  value ``value_i * x_i * unit / cost_i`` (linear in the funded share);
* ``z_i`` binary, only where needed: ``minimum_i * z_i <= x_i <= target_i * z_i``
  (minimum viable funding; ``minimum = target`` when partial funding is off);
* ``y_ib`` units of ``x_i`` credited to baseline ``b`` (``sum_i y_ib >= floor_b``,
  the floor bounded by what the group requests), ``r_i`` units from the reserve,
  ``sum_b y_ib + r_i <= x_i``;
* ``sum x <= pool``; ``sum r <= reserve``; when the reserve is not released,
  ``sum x - sum r <= pool - reserve``; department and kind caps.

Only baselines are floors, so only they can make the problem infeasible; then
each limit is relaxed in turn and the error names the one that blocks the
baseline. ``with_duals=True`` also solves the LP relaxation and returns the
marginal value of the pool, the caps, the reserve and the baselines.
Floats exist only inside the solver; results are rounded to integers and
re-checked exactly before they become Decimals.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse import coo_matrix

from budgetpolicy.errors import AllocationError, Location
from budgetpolicy.model import AllocationPolicy, FrozenMap
from budgetpolicy.allocation.problem import (
    LIMIT_DEPARTMENT, LIMIT_KIND, LIMIT_POOL, Problem, prepare,
)
from budgetpolicy.allocation.result import build_result
from budgetpolicy.formatting import money_compact

# HiGHS settings: an exact optimum (gap 0) on the sizes policies have; the benchmark shows 10k is fine.
SOLVER_OPTIONS: dict[str, Any] = {"mip_rel_gap": 0.0, "presolve": True}


class _Model:
    """The MILP in ``A v <= b`` form with a name per row, so rows can be relaxed and reported."""

    def __init__(self, problem: Problem, floors: dict[int, int], relax: str | None = None) -> None:
        self.problem = problem
        items = [it for it in problem.ranked if it.target > 0]
        self.items = items
        p = problem.policy
        per_init_relaxed = relax == "per_initiative"
        minimum_relaxed = relax == "minimum"
        n = len(items)
        cols_c: list[float] = []
        upper: list[float] = []
        integral: list[int] = []
        # x columns
        scale = max((float(it.value / it.cost) for it in items), default=1.0) or 1.0
        for it in items:
            cols_c.append(-float(it.value / it.cost) / scale)
            upper.append(float(it.requested if per_init_relaxed else it.target))
            integral.append(1)
        self.scale = scale
        rows: list[tuple[str, list[tuple[int, float]], float]] = []
        # z columns where a minimum above one unit matters
        self.z: dict[int, int] = {}
        for k, it in enumerate(items):
            top = it.requested if per_init_relaxed else it.target
            low = min(it.minimum, top) if p.partial else top
            if low > 1 and not minimum_relaxed:
                col = len(cols_c)
                self.z[k] = col
                cols_c.append(0.0)
                upper.append(1.0)
                integral.append(1)
                rows.append(("minimum", [(col, float(low)), (k, -1.0)], 0.0))
                rows.append(("minimum", [(k, 1.0), (col, -float(top))], 0.0))
        # y columns for the baselines being enforced
        self.y: list[tuple[int, int, int]] = []  # (item k, baseline b, column)
        credit: dict[int, list[tuple[int, float]]] = {}
        for b, floor in floors.items():
            terms = []
            for k, it in enumerate(items):
                if b in it.baselines:
                    col = len(cols_c)
                    self.y.append((k, b, col))
                    cols_c.append(0.0)
                    upper.append(float(upper[k]))
                    integral.append(1)
                    terms.append((col, -1.0))
                    credit.setdefault(k, []).append((col, 1.0))
            rows.append((f"baseline:{b}", terms, -float(floor)))
        # r columns: reserve money, only for reserve kinds
        self.r: dict[int, int] = {}
        if problem.reserve > 0:
            for k, it in enumerate(items):
                if it.reserve_ok:
                    col = len(cols_c)
                    self.r[k] = col
                    cols_c.append(0.0)
                    upper.append(float(upper[k]))
                    integral.append(1)
                    credit.setdefault(k, []).append((col, 1.0))
        for k, terms in credit.items():
            rows.append(("credit", [*terms, (k, -1.0)], 0.0))
        xs = [(k, 1.0) for k in range(n)]
        if relax != "pool":
            rows.append(("pool", xs, float(problem.pool)))
        if self.r:
            rows.append(("reserve", [(c, 1.0) for c in self.r.values()], float(problem.reserve)))
        held = problem.reserve > 0 and p.reserve is not None and not p.reserve.release_unused
        if held and relax not in ("pool", "reserve"):
            rows.append(("general", [*xs, *((c, -1.0) for c in self.r.values())],
                         float(problem.pool - problem.reserve)))
        for label, caps, attr in (("department", problem.per_department, "department"),
                                  ("kind", problem.per_kind, "kind")):
            for name, cap in caps.items():
                if relax == f"{label}:{name}":
                    continue
                members = [(k, 1.0) for k, it in enumerate(items) if getattr(it, attr) == name]
                if members:
                    rows.append((f"{label}:{name}", members, float(cap)))
        self.c = np.array(cols_c)
        self.upper = np.array(upper)
        self.integrality = np.array(integral)
        self.names = [name for name, _, _ in rows]
        r_idx = [i for i, (_, terms, _) in enumerate(rows) for _ in terms]
        c_idx = [col for _, terms, _ in rows for col, _ in terms]
        vals = [v for _, terms, _ in rows for _, v in terms]
        self.A = coo_matrix((vals, (r_idx, c_idx)), shape=(len(rows), len(cols_c))).tocsr()
        self.b = np.array([rhs for _, _, rhs in rows])

    def solve(self) -> Any:
        if self.c.size == 0:
            return None
        return milp(self.c, integrality=self.integrality, bounds=Bounds(0, self.upper),
                    constraints=LinearConstraint(self.A, -np.inf, self.b), options=dict(SOLVER_OPTIONS))


def optimal_allocate(candidates: Sequence[Any], policy: AllocationPolicy, with_duals: bool = False) -> Any:
    """Maximise total value under the pool, baselines, reserve, caps and minimum viable rules."""
    problem = prepare(candidates, policy)
    floors = _floors(problem)
    model = _Model(problem, floors)
    res = model.solve()
    if res is not None and res.status == 2:
        raise _infeasible(problem, floors)
    if res is not None and res.x is None:
        raise AllocationError(f"the solver found no allocation: {res.message}", Location(key="allocation.strategy"),
                              hint="try strategy = \"greedy\"", code="BP626")
    x = [0] * len(model.items) if res is None else [int(round(v)) for v in res.x[:len(model.items)]]
    _check_exact(problem, model, x)
    credits = _baseline_credits(problem, model, res, x, floors)
    reserve_left = problem.reserve
    units: dict[str, tuple[Any, ...]] = {it.id: (0, 0, None, 0, LIMIT_POOL, 0) for it in problem.ranked}
    dept = _totals(model, x, "department")
    kind = _totals(model, x, "kind")
    for k, it in enumerate(model.items):
        base = credits.get(k, {})
        from_base = sum(base.values())
        # Credit the reserve greedily by rank: it is only an attribution once x is fixed.
        from_res = min(x[k] - from_base, reserve_left) if it.reserve_ok else 0
        reserve_left -= from_res
        limit = LIMIT_POOL
        if problem.per_department.get(it.department) == dept.get(it.department):
            limit = LIMIT_DEPARTMENT
        elif problem.per_kind.get(it.kind) == kind.get(it.kind):
            limit = LIMIT_KIND
        first = min(base) if base else None
        units[it.id] = (x[k], from_base, first, from_res, limit, 0)
    used = [sum(c.get(b, 0) for c in credits.values()) for b in range(len(policy.baselines))]
    released = reserve_left if policy.reserve is not None and policy.reserve.release_unused else 0
    duals = _duals(problem, floors) if with_duals else None
    return build_result(problem, candidates, units, used, released, "optimal", duals)


def _floors(problem: Problem) -> dict[int, int]:
    # A floor cannot ask for more than its group requests in total: the rest goes to the ranking.
    out = {}
    for b, floor in enumerate(problem.baseline_floors):
        group = sum(it.target for it in problem.ranked if b in it.baselines)
        if min(floor, group) > 0:
            out[b] = min(floor, group)
    return out


def _totals(model: _Model, x: list[int], attr: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for k, it in enumerate(model.items):
        out[getattr(it, attr)] = out.get(getattr(it, attr), 0) + x[k]
    return out


def _check_exact(problem: Problem, model: _Model, x: list[int]) -> None:
    # The solver works in floats; its rounded answer must satisfy every limit exactly.
    bad = None
    if sum(x) > problem.pool:
        bad = "the pool"
    elif any(v < 0 or v > it.target for v, it in zip(x, model.items)):
        bad = "an initiative's request"
    else:
        for attr, caps in (("department", problem.per_department), ("kind", problem.per_kind)):
            totals = _totals(model, x, attr)
            if any(totals.get(name, 0) > cap for name, cap in caps.items()):
                bad = f"a {attr} cap"
    if bad:
        raise AllocationError(f"the solver's answer exceeds {bad} after rounding to whole units",
                              Location(key="allocation.strategy"), hint="use strategy = \"greedy\"", code="BP626")


def _baseline_credits(problem: Problem, model: _Model, res: Any, x: list[int],
                      floors: dict[int, int]) -> dict[int, dict[int, int]]:
    """Units of each x credited to each baseline, up to the baseline amount.

    Credited in rank order, like the greedy strategy, so the attribution reads the
    same whatever split the solver happened to return; only when overlapping
    baselines make that fall short of a floor is the solver's own split used.
    """
    by_rank = _credit(problem, model, x, floors, None)
    if res is None or all(sum(c.get(b, 0) for c in by_rank.values()) >= floors[b] for b in floors):
        return by_rank
    return _credit(problem, model, x, floors, {(k, b): int(round(res.x[col])) for k, b, col in model.y})


def _credit(problem: Problem, model: _Model, x: list[int], floors: dict[int, int],
            solver: dict[tuple[int, int], int] | None) -> dict[int, dict[int, int]]:
    credits: dict[int, dict[int, int]] = {}
    left = {b: problem.baseline_floors[b] for b in floors}
    for k, b, _ in model.y:
        room = x[k] - sum(credits.get(k, {}).values())
        take = min(left[b], room if solver is None else min(room, solver[(k, b)]))
        if take > 0:
            credits.setdefault(k, {})[b] = take
            left[b] -= take
    return credits


def _infeasible(problem: Problem, floors: dict[int, int]) -> AllocationError:
    """Name the baseline that cannot be met and the limit whose relaxation would allow it."""
    policy = problem.policy
    culprit = next((b for b in floors if _status(problem, {b: floors[b]}) == 2), None)
    if culprit is None:
        names = ", ".join(policy.baselines[b].id for b in floors)
        return AllocationError(f"optimal allocation is infeasible: baselines {names} cannot all be met together",
                               Location(key="allocation.baselines"),
                               hint="lower the baseline amounts or make their groups overlap less", code="BP625")
    base = policy.baselines[culprit]
    groups = ["pool", "reserve", "minimum", "per_initiative",
              *(f"department:{d}" for d in sorted(problem.per_department)),
              *(f"kind:{k}" for k in sorted(problem.per_kind))]
    blocker = next((g for g in groups if _status(problem, {culprit: floors[culprit]}, g) != 2), None)
    what = f"baseline '{base.id}' ({money_compact(problem.amount(floors[culprit]))})"
    key, because = f"allocation.baselines[{culprit}].amount", "the combined limits"
    if blocker is not None:
        key, because = _describe(problem, blocker)
    return AllocationError(f"optimal allocation is infeasible: {what} cannot be met under {because}",
                           Location(key=key), hint=f"lower the baseline or relax {because}", code="BP625")


def _status(problem: Problem, floors: dict[int, int], relax: str | None = None) -> int:
    res = _Model(problem, floors, relax).solve()
    return 0 if res is None else int(res.status)


def _describe(problem: Problem, group: str) -> tuple[str, str]:
    p = problem.policy
    if group == "pool":
        return "allocation.pool", f"the pool ({money_compact(p.pool)})"
    if group == "reserve":
        return "allocation.reserve", f"the reserve held back ({money_compact(problem.amount(problem.reserve))})"
    if group == "minimum":
        if not p.partial:
            return "allocation.partial", "all-or-nothing funding (partial = false)"
        return "allocation.min_viable", "the minimum viable funding"
    if group == "per_initiative":
        cap = p.caps.per_initiative or Decimal(0)
        return "allocation.caps.per_initiative", f"the per-initiative cap ({money_compact(cap)})"
    label, name = group.split(":", 1)
    amount = (p.caps.per_department if label == "department" else p.caps.per_kind)[name]
    return f"allocation.caps.per_{label}.{name}", f"{label} cap {name} ({money_compact(amount)})"


def _duals(problem: Problem, floors: dict[int, int]) -> FrozenMap:
    """Marginal total value per extra currency unit of each limit, from the LP relaxation (approximate)."""
    model = _Model(problem, floors)
    if model.c.size == 0:
        return FrozenMap()
    res = linprog(model.c, A_ub=model.A, b_ub=model.b, bounds=list(zip([0] * model.c.size, model.upper)),
                  method="highs")
    if res.status != 0:
        return FrozenMap()
    out: dict[str, Decimal] = {}
    for name, marginal in zip(model.names, res.ineqlin.marginals):
        if name in ("minimum", "credit"):
            continue
        # The solver minimises -value / (scale * unit) per unit of money, so the value gained per
        # extra currency unit of a limit is -marginal * scale; a floor is written negated (-sum y <= -F).
        per_currency = -float(marginal) * model.scale
        if name.startswith("baseline:"):
            name = f"baseline:{problem.policy.baselines[int(name.split(':')[1])].id}"
            per_currency = -per_currency
        out[name] = Decimal(f"{per_currency:.10g}") + 0  # + 0 turns -0 into 0
    return FrozenMap(out)
