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

Among several optimal allocations the policy's ``tie_break`` decides, as it does for greedy: a
second solve keeps the total value at the optimum (to a relative 1e-9, the solver's float
tolerance) and maximises ``sum_k (n - k) x_k / n`` over the items in rank order (value per cost,
then ``tie_break``, then id), so money goes to the better-ranked of equally valuable choices.

Only baselines are floors, so only they can make the problem infeasible; then
each limit is relaxed in turn and the error names the one that blocks the
baseline. ``with_duals=True`` also solves the LP relaxation and returns the
marginal value of the pool, the caps, the reserve and the baselines.
Floats exist only inside the solver; results are rounded to integers and
re-checked exactly before they become Decimals.

numpy and scipy are imported where the model is built and solved, not at the
top: they take about a second to import, and this module is imported whenever
the built-in strategies are registered (every command, ``validate`` included),
while most runs never solve anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from budgetpolicy.errors import AllocationError, Location
from budgetpolicy.model import AllocationPolicy, FrozenMap
from budgetpolicy.allocation.quiet import solver_output_silenced
from budgetpolicy.allocation.problem import (
    LIMIT_DEPARTMENT, LIMIT_KIND, LIMIT_POOL, Item, Problem, prepare,
)
from budgetpolicy.allocation.result import build_result
from budgetpolicy.formatting import money_compact

if TYPE_CHECKING:
    from numpy.typing import NDArray

# HiGHS settings: an exact optimum (gap 0) on the sizes policies have; the benchmark shows 10k is fine.
SOLVER_OPTIONS: dict[str, Any] = {"mip_rel_gap": 0.0, "presolve": True}


# One row of ``A v <= b``: its name, its (column, coefficient) terms and its right-hand side.
Row = tuple[str, list[tuple[int, float]], float]


class _Builder:
    """Columns (objective coefficient and upper bound; all integral) and named rows, added in turn."""

    def __init__(self) -> None:
        self.c: list[float] = []
        self.upper: list[float] = []
        self.rows: list[Row] = []

    def column(self, cost: float, upper: float) -> int:
        self.c.append(cost)
        self.upper.append(upper)
        return len(self.c) - 1

    def row(self, name: str, terms: list[tuple[int, float]], rhs: float) -> None:
        self.rows.append((name, terms, rhs))

    def arrays(self) -> tuple[NDArray[Any], NDArray[Any], NDArray[Any], Any, NDArray[Any]]:
        """``c``, the upper bounds, the integrality, ``A`` (sparse) and ``b``, as the solver takes them."""
        import numpy as np  # heavy: see the module docstring
        from scipy.sparse import coo_matrix

        rows = self.rows
        r_idx = [i for i, (_, terms, _) in enumerate(rows) for _ in terms]
        c_idx = [col for _, terms, _ in rows for col, _ in terms]
        vals = [v for _, terms, _ in rows for _, v in terms]
        a = coo_matrix((vals, (r_idx, c_idx)), shape=(len(rows), len(self.c))).tocsr()
        return (np.array(self.c), np.array(self.upper), np.array([1] * len(self.c)), a,
                np.array([rhs for _, _, rhs in rows]))


class _Model:
    """The MILP in ``A v <= b`` form with a name per row, so rows can be relaxed and reported.

    Columns, in order: ``x`` per item, then ``z``, ``y`` and ``r`` (see the module docstring);
    rows: minimum, baseline, credit, pool, reserve, general, department and kind caps. ``relax``
    names one limit to leave out, so that :func:`_infeasible` can find the one that blocks a floor.
    """

    def __init__(self, problem: Problem, floors: dict[int, int], relax: str | None = None) -> None:
        self.problem = problem
        self.items = [it for it in problem.ranked if it.target > 0]
        self.relax = relax
        m = _Builder()
        self.scale = self._add_x(m)
        self.z = self._add_minimum(m)
        self.y = self._add_baselines(m, floors)
        self.r = self._add_reserve(m)
        self._add_credit(m)
        self._add_pool(m)
        self._add_caps(m)
        self.names = [name for name, _, _ in m.rows]
        self.c, self.upper, self.integrality, self.A, self.b = m.arrays()

    def _top(self, it: Item) -> int:
        """The most units an item may take: its target, or its whole request when the cap is relaxed."""
        return it.requested if self.relax == "per_initiative" else it.target

    def _add_x(self, m: _Builder) -> float:
        """``x_k`` per item, worth value per cost; returns the scale that makes the best ratio 1."""
        # The solver minimises, and works best with coefficients near 1; _duals scales back.
        scale = max((float(it.value / it.cost) for it in self.items), default=1.0) or 1.0
        for it in self.items:
            m.column(-float(it.value / it.cost) / scale, float(self._top(it)))
        return scale

    def _add_minimum(self, m: _Builder) -> dict[int, int]:
        """``z_k`` (item -> column) where a minimum above one unit matters: ``low z <= x <= top z``."""
        z: dict[int, int] = {}
        if self.relax == "minimum":
            return z
        partial = self.problem.policy.partial
        for k, it in enumerate(self.items):
            top = self._top(it)
            low = min(it.minimum, top) if partial else top
            if low > 1:
                z[k] = col = m.column(0.0, 1.0)
                m.row("minimum", [(col, float(low)), (k, -1.0)], 0.0)
                m.row("minimum", [(k, 1.0), (col, -float(top))], 0.0)
        return z

    def _add_baselines(self, m: _Builder, floors: dict[int, int]) -> list[tuple[int, int, int]]:
        """``y_kb`` (item, baseline, column) for each floor enforced, and ``sum_k y_kb >= floor_b``."""
        y: list[tuple[int, int, int]] = []
        for b, floor in floors.items():
            terms = []
            for k, it in enumerate(self.items):
                if b in it.baselines:
                    col = m.column(0.0, m.upper[k])
                    y.append((k, b, col))
                    terms.append((col, -1.0))
            m.row(f"baseline:{b}", terms, -float(floor))  # a floor, negated to fit A v <= b
        return y

    def _add_reserve(self, m: _Builder) -> dict[int, int]:
        """``r_k`` (item -> column): reserve units, for the items of the reserve's kinds."""
        r: dict[int, int] = {}
        if self.problem.reserve > 0:
            for k, it in enumerate(self.items):
                if it.reserve_ok:
                    r[k] = m.column(0.0, m.upper[k])
        return r

    def _add_credit(self, m: _Builder) -> None:
        """``sum_b y_kb + r_k <= x_k``: only units an item got can be credited to a baseline or the reserve."""
        credit: dict[int, list[tuple[int, float]]] = {}
        for k, _, col in self.y:
            credit.setdefault(k, []).append((col, 1.0))
        for k, col in self.r.items():
            credit.setdefault(k, []).append((col, 1.0))
        for k, terms in credit.items():
            m.row("credit", [*terms, (k, -1.0)], 0.0)

    def _add_pool(self, m: _Builder) -> None:
        """The pool, the reserve, and the pool less the reserve while the reserve is held back."""
        problem, relax = self.problem, self.relax
        xs = [(k, 1.0) for k in range(len(self.items))]
        if relax != "pool":
            m.row("pool", xs, float(problem.pool))
        if self.r:
            m.row("reserve", [(c, 1.0) for c in self.r.values()], float(problem.reserve))
        p = problem.policy
        held = problem.reserve > 0 and p.reserve is not None and not p.reserve.release_unused
        if held and relax not in ("pool", "reserve"):
            m.row("general", [*xs, *((c, -1.0) for c in self.r.values())], float(problem.pool - problem.reserve))

    def _add_caps(self, m: _Builder) -> None:
        """One row per department cap and per kind cap that has members."""
        for label, caps, attr in (("department", self.problem.per_department, "department"),
                                  ("kind", self.problem.per_kind, "kind")):
            for name, cap in caps.items():
                if self.relax == f"{label}:{name}":
                    continue
                members = [(k, 1.0) for k, it in enumerate(self.items) if getattr(it, attr) == name]
                if members:
                    m.row(f"{label}:{name}", members, float(cap))

    def solve(self) -> Any:
        import numpy as np  # heavy: see the module docstring
        from scipy.optimize import Bounds, LinearConstraint, milp

        if self.c.size == 0:
            return None
        with solver_output_silenced():
            return milp(self.c, integrality=self.integrality, bounds=Bounds(0, self.upper),
                        constraints=LinearConstraint(self.A, -np.inf, self.b), options=dict(SOLVER_OPTIONS))

    def prefer_rank(self, best: Any) -> Any:
        """Among the optima of ``best``, the one favouring better-ranked items (``best`` if that fails).
        The value is held at the optimum by one more row; its slack absorbs the solver's float rounding."""
        import numpy as np  # heavy: see the module docstring
        from scipy.optimize import Bounds, LinearConstraint, milp
        from scipy.sparse import vstack

        n = len(self.items)
        if n < 2 or best is None or best.x is None:
            return best
        optimum = float(self.c @ best.x)
        slack = 1e-9 * max(1.0, abs(optimum))
        a = vstack([self.A, self.c.reshape(1, -1)]).tocsr()
        b = np.append(self.b, optimum + slack)
        # Rank k (0 = best) weighs (n - k) / n: every unit is worth something, earlier units more.
        rank = np.zeros(self.c.size)
        rank[:n] = -(n - np.arange(n)) / n
        with solver_output_silenced():
            res = milp(rank, integrality=self.integrality, bounds=Bounds(0, self.upper),
                       constraints=LinearConstraint(a, -np.inf, b), options=dict(SOLVER_OPTIONS))
        return res if res.x is not None and res.status == 0 else best


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
    res = model.prefer_rank(res)
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
    from scipy.optimize import linprog  # heavy: see the module docstring

    model = _Model(problem, floors)
    if model.c.size == 0:
        return FrozenMap()
    with solver_output_silenced():
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
