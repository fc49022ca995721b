"""The ``optimal`` allocation strategy: maximise total value with HiGHS (``scipy.optimize``).

Same inputs, rules and result type as the greedy strategy in
:mod:`budgetpolicy.allocation.greedy`. The problem is posed in whole units of
money (the policy's ``unit``), so the solver's integer answer converts back
to Decimal exactly and the pool can never be exceeded. The program and how
it is solved fast and exactly (one column per candidate; reduced-cost fixing
after the LP relaxation; a second solve for the ``tie_break`` among equal
optima) are in :mod:`budgetpolicy.allocation.milp`; this module turns the
answer into a result: who got what, which baseline or the reserve paid, which
limit stopped each candidate, and how the solve ended (``summary.solver``:
``status`` optimal / time_limit / gap_limit, and the relative ``gap``).

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
from typing import Any

from budgetpolicy.errors import AllocationError, Location
from budgetpolicy.model import AllocationPolicy, FrozenMap
from budgetpolicy.allocation.formulation import Formulation
from budgetpolicy.allocation.milp import STATUS_OPTIMAL, Solution, feasible, solve
from budgetpolicy.allocation.quiet import solver_output_silenced
from budgetpolicy.allocation.problem import LIMIT_DEPARTMENT, LIMIT_KIND, LIMIT_POOL, Item, Problem, prepare
from budgetpolicy.allocation.result import build_result
from budgetpolicy.formatting import money_compact


def optimal_allocate(candidates: Sequence[Any], policy: AllocationPolicy, with_duals: bool = False) -> Any:
    """Maximise total value under the pool, baselines, reserve, caps and minimum viable rules."""
    problem = prepare(candidates, policy)
    floors = _floors(problem)
    form = Formulation(problem, floors)
    limit = float(policy.time_limit) if policy.time_limit is not None else None
    solution = solve(form, limit, float(policy.mip_gap or 0))
    if solution is not None and solution.report.status == "infeasible":
        raise _infeasible(problem, floors)
    if solution is not None and solution.report.status.startswith("failed"):
        raise AllocationError(f"the solver found no allocation: {solution.report.status[7:]}",
                              Location(key="allocation.strategy"), hint="try strategy = \"greedy\"", code="BP626")
    x = [0] * len(form.items) if solution is None else solution.units
    _check_exact(problem, form, x)
    credits = _baseline_credits(problem, form, solution, x, floors)
    reserve_left = problem.reserve
    units: dict[str, tuple[Any, ...]] = {it.id: (0, 0, None, 0, None, 0) for it in problem.ranked}
    from_res: dict[int, int] = {}
    for k, it in enumerate(form.items):
        base = credits.get(k, {})
        # Credit the reserve greedily by rank: it is only an attribution once x is fixed.
        from_res[k] = min(x[k] - sum(base.values()), reserve_left) if it.reserve_ok else 0
        reserve_left -= from_res[k]
    left = _Left(problem, form, x, from_res)
    for k, it in enumerate(form.items):
        base = credits.get(k, {})
        limit_name, room = left.binding(it, x[k])
        units[it.id] = (x[k], sum(base.values()), min(base) if base else None, from_res[k], limit_name, room)
    used = [sum(c.get(b, 0) for c in credits.values()) for b in range(len(policy.baselines))]
    released = reserve_left if policy.reserve is not None and policy.reserve.release_unused else 0
    duals = _duals(problem, floors) if with_duals else None
    report = solution.report if solution is not None else None
    solver = FrozenMap({"status": report.status if report else STATUS_OPTIMAL,
                        "gap": report.gap if report else Decimal(0)})
    return build_result(problem, units, used, released, "optimal", duals, solver)


class _Left:
    """What the optimal allocation leaves of each limit, to name the one that stopped a candidate."""

    def __init__(self, problem: Problem, form: Formulation, x: list[int], from_res: dict[int, int]) -> None:
        self.problem = problem
        self.pool = problem.pool - sum(x)
        self.dept = {name: cap - v for name, cap in problem.per_department.items()
                     for v in [_totals(form, x, "department").get(name, 0)]}
        self.kind = {name: cap - v for name, cap in problem.per_kind.items()
                     for v in [_totals(form, x, "kind").get(name, 0)]}
        p = problem.policy
        held = problem.reserve > 0 and p.reserve is not None and not p.reserve.release_unused
        # Money outside the held reserve: the most a candidate the reserve may not pay could still take.
        self.general = problem.pool - problem.reserve - (sum(x) - sum(from_res.values())) if held else None

    def binding(self, it: Item, funded: int) -> tuple[str | None, int]:
        """``(limit, room)``: the cap or the pool that stops ``it`` taking more (None: not stopped by one)."""
        if funded >= it.target:
            return None, 0
        need = it.minimum if funded == 0 else 1
        caps = [(room, name) for room, name in ((self.dept.get(it.department), LIMIT_DEPARTMENT),
                                                (self.kind.get(it.kind), LIMIT_KIND)) if room is not None]
        short = [(room, name) for room, name in caps if room < need]
        if short:
            room, name = min(short)
            return name, max(room, 0)
        money = self.pool if self.general is None or it.reserve_ok else min(self.pool, self.general)
        if money < need or funded > 0:
            return LIMIT_POOL, max(money, 0)
        return None, max(money, 0)


def _floors(problem: Problem) -> dict[int, int]:
    # A floor cannot ask for more than its group requests in total: the rest goes to the ranking.
    out = {}
    for b, floor in enumerate(problem.baseline_floors):
        group = sum(it.target for it in problem.ranked if b in it.baselines)
        if min(floor, group) > 0:
            out[b] = min(floor, group)
    return out


def _totals(model: Formulation, x: list[int], attr: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for k, it in enumerate(model.items):
        out[getattr(it, attr)] = out.get(getattr(it, attr), 0) + x[k]
    return out


def _check_exact(problem: Problem, model: Formulation, x: list[int]) -> None:
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


def _baseline_credits(problem: Problem, model: Formulation, solution: Solution | None, x: list[int],
                      floors: dict[int, int]) -> dict[int, dict[int, int]]:
    """Units of each x credited to each baseline, up to the baseline amount.

    Credited in rank order, like the greedy strategy, so the attribution reads the
    same whatever split the solver happened to return; only when overlapping
    baselines make that fall short of a floor is the solver's own split used.
    """
    by_rank = _credit(problem, model, x, floors, None)
    if (solution is None or not model.y
            or all(sum(c.get(b, 0) for c in by_rank.values()) >= floors[b] for b in floors)):
        return by_rank
    split = {pair: int(round(solution.values[col])) for pair, col in model.y.items()}
    return _credit(problem, model, x, floors, split)


def _credit(problem: Problem, model: Formulation, x: list[int], floors: dict[int, int],
            solver: dict[tuple[int, int], int] | None) -> dict[int, dict[int, int]]:
    credits: dict[int, dict[int, int]] = {}
    left = {b: problem.baseline_floors[b] for b in floors}
    for k, b in model.pairs:
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
    # The reserve before the pool: leaving the pool out leaves out the reserve held back from it too, so
    # a floor that only the reserve blocks would otherwise be blamed on a pool larger than the floor.
    groups = ["reserve", "pool", "minimum", "per_initiative",
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
    return feasible(Formulation(problem, floors, relax))


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

    model = Formulation(problem, floors)
    if model.size == 0:
        return FrozenMap()
    a, b = model.matrix()
    # Per currency unit of value per cost (as the policy's value label reads), whatever the unit.
    scale = max((float(it.value / it.cost) for it in model.items), default=1.0) or 1.0
    c = [-float(v) / (scale * float(problem.unit)) for v in model.cost]
    with solver_output_silenced():
        res = linprog(c, A_ub=a, b_ub=b, bounds=list(zip([0] * model.size, model.upper)), method="highs")
    if res.status != 0:
        return FrozenMap()
    out: dict[str, Decimal] = {}
    for name, marginal in zip(model.names, res.ineqlin.marginals):
        if name == "credit":
            continue
        # The solver minimises -value / scale per currency unit, so the value gained per extra currency
        # unit of a limit is -marginal * scale; a floor is written negated (-sum <= -F).
        per_currency = -float(marginal) * scale
        if name.startswith("baseline:"):
            name = f"baseline:{problem.policy.baselines[int(name.split(':')[1])].id}"
            per_currency = -per_currency
        out[name] = Decimal(f"{per_currency:.10g}") + 0  # + 0 turns -0 into 0
    return FrozenMap(out)
