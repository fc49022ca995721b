"""The optimal strategy's mixed-integer program: one small column per candidate, a few rows.

:mod:`budgetpolicy.allocation.milp` solves it; :mod:`budgetpolicy.allocation.optimal` reads the answer.
Everything is in whole units of money (the policy's ``unit``), so the answer converts back exactly:

* a candidate funded all-or-nothing (``minimum == target``) is one **binary** column worth its
  whole target, so the solver branches on "fund it or not" rather than on thousands of units;
* a candidate with a minimum viable amount above one unit is one **semi-integer** column:
  0, or any whole number of units between its minimum and its target;
* any other candidate is one integer column ``0..target``;
* rows: the pool, each department and kind cap and, when no candidate counts toward two of them,
  one row per baseline floor (``sum >= floor``, the floor bounded by what its group requests) and,
  for a reserve held back, ``sum of the candidates the reserve may not pay <= pool - reserve``
  (equivalent to crediting units to the reserve when no candidate counts toward both). Only when
  groups overlap does the model add the per-candidate credit columns ``y`` (units credited to a
  baseline) and ``r`` (units paid by the reserve) with ``sum_b y + r <= x``: an exact flow model of
  who pays what.

The objective is each column's value (value per cost times the units it stands for). When every
column's value is an exact decimal with a common quantum (all-or-nothing requests in whole units:
the knapsack case), it is written in integers of that quantum, so the solver proves the optimum
exactly: it stops only when its bound is within one quantum of the allocation found.
"""

from __future__ import annotations

from decimal import Decimal, Inexact, localcontext
from typing import Any

from budgetpolicy.allocation.problem import Item, Problem

# HiGHS integrality codes (scipy.optimize.milp): continuous, integer, semi-continuous, semi-integer.
CONTINUOUS, INTEGER, SEMI_CONTINUOUS, SEMI_INTEGER = 0, 1, 2, 3


class Formulation:
    """The program in ``A v <= b`` form, a name per row (so a limit can be left out and the duals named).

    Columns: one per item (rank order), then ``y`` and ``r`` credit columns when groups overlap.
    ``scale[k]`` is the units one step of column ``k`` stands for (the target of a binary column, else 1).
    ``relax`` names one limit to leave out (``pool``, ``reserve``, ``minimum``, ``per_initiative``,
    ``department:<name>``, ``kind:<name>``): the infeasibility report asks which one blocks a floor.
    """

    def __init__(self, problem: Problem, floors: dict[int, int], relax: str | None = None) -> None:
        self.problem, self.floors, self.relax = problem, floors, relax
        # A candidate whose target rounds to 0 has nothing to decide.
        self.items: tuple[Item, ...] = tuple(it for it in problem.ranked if it.target > 0)
        self.cost: list[Decimal] = []  # exact value of one step of each column
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.integrality: list[int] = []
        self.scale: list[int] = []
        self.rows: list[tuple[str, list[tuple[int, float]], float]] = []
        self._add_items()
        held = self._held()
        sinks = [set(k for k, it in enumerate(self.items) if b in it.baselines) for b in floors]
        if held:
            sinks.append(set(k for k, it in enumerate(self.items) if it.reserve_ok))
        overlap = sum(len(s) for s in sinks) != len(set().union(*sinks)) if sinks else False
        self.pairs = [(k, b) for b in floors for k, it in enumerate(self.items) if b in it.baselines]
        self.y: dict[tuple[int, int], int] = {}  # (item, baseline) -> credit column, when groups overlap
        self.r: dict[int, int] = {}
        if overlap:
            self._add_credit_columns(held)
        else:
            self._add_aggregate_rows(held)
        self._add_pool_and_caps()
        self.names = [name for name, _, _ in self.rows]

    def _top(self, it: Item) -> int:
        return it.requested if self.relax == "per_initiative" else it.target

    def _add_column(self, value: Decimal, lower: int, upper: int, integrality: int, scale: int) -> int:
        self.cost.append(value)
        self.lower.append(float(lower))
        self.upper.append(float(upper))
        self.integrality.append(integrality)
        self.scale.append(scale)
        return len(self.cost) - 1

    def _add_items(self) -> None:
        problem = self.problem
        partial = problem.policy.partial
        with localcontext(problem.context) as ctx:
            for it in self.items:
                top = self._top(it)
                low = 0 if self.relax == "minimum" else (min(it.minimum, top) if partial else top)
                per_unit = Decimal(0) if it.cost == 0 else ctx.divide(it.value * problem.unit, it.cost)
                if top > 1 and low == top:
                    # value x (funded / cost) in one division: exactly the value when the whole request is funded
                    whole = Decimal(0) if it.cost == 0 else ctx.divide(it.value * problem.unit * top, it.cost)
                    self._add_column(whole, 0, 1, INTEGER, top)
                elif low > 1:
                    self._add_column(per_unit, low, top, SEMI_INTEGER, 1)
                else:
                    self._add_column(per_unit, 0, top, INTEGER, 1)

    def _held(self) -> bool:
        p = self.problem
        return (p.reserve > 0 and p.policy.reserve is not None and not p.policy.reserve.release_unused
                and self.relax not in ("pool", "reserve"))

    def _members(self, keep: Any) -> list[tuple[int, float]]:
        return [(k, float(self.scale[k])) for k, it in enumerate(self.items) if keep(it)]

    def _add_aggregate_rows(self, held: bool) -> None:
        """No candidate counts toward two floors (or a floor and the held reserve): plain sums do."""
        for b, floor in self.floors.items():
            self.rows.append((f"baseline:{b}", [(k, -v) for k, v in self._members(lambda it: b in it.baselines)],
                              -float(floor)))  # a floor, negated to fit A v <= b
        if held:
            p = self.problem
            self.rows.append(("general", self._members(lambda it: not it.reserve_ok), float(p.pool - p.reserve)))

    def _add_credit_columns(self, held: bool) -> None:
        """Overlapping groups: who pays each unit is part of the model (``sum_b y_kb + r_k <= x_k``)."""
        for k, b in self.pairs:
            self.y[(k, b)] = self._add_column(Decimal(0), 0, int(self.upper[k]) * self.scale[k], INTEGER, 1)
        if self.problem.reserve > 0:
            for k, it in enumerate(self.items):
                if it.reserve_ok:
                    self.r[k] = self._add_column(Decimal(0), 0, int(self.upper[k]) * self.scale[k], INTEGER, 1)
        for b, floor in self.floors.items():
            self.rows.append((f"baseline:{b}", [(col, -1.0) for (_, bb), col in self.y.items() if bb == b],
                              -float(floor)))
        credit: dict[int, list[tuple[int, float]]] = {}
        for (k, _), col in self.y.items():
            credit.setdefault(k, []).append((col, 1.0))
        for k, col in self.r.items():
            credit.setdefault(k, []).append((col, 1.0))
        for k, terms in credit.items():
            self.rows.append(("credit", [*terms, (k, -float(self.scale[k]))], 0.0))
        if self.r:
            self.rows.append(("reserve", [(c, 1.0) for c in self.r.values()], float(self.problem.reserve)))
        if held:
            p = self.problem
            self.rows.append(("general", [*self._members(lambda it: True), *((c, -1.0) for c in self.r.values())],
                              float(p.pool - p.reserve)))

    def _add_pool_and_caps(self) -> None:
        if self.relax != "pool":
            self.rows.append(("pool", self._members(lambda it: True), float(self.problem.pool)))
        for label, caps in (("department", self.problem.per_department), ("kind", self.problem.per_kind)):
            for name, cap in caps.items():
                if self.relax == f"{label}:{name}":
                    continue
                members = self._members(lambda it: getattr(it, label) == name)
                if members:
                    self.rows.append((f"{label}:{name}", members, float(cap)))

    @property
    def size(self) -> int:
        return len(self.cost)

    def objective(self) -> tuple[Any, bool]:
        """The costs to minimise (minus each column's value) and whether they are exact integers.

        Integers of the values' common quantum when every column's value is an exact decimal and
        every total fits a double exactly; otherwise floats scaled so the largest is 1."""
        import numpy as np  # heavy: see the module docstring

        values = self.cost
        exponents = [v.as_tuple().exponent for v in values if v]
        if exponents and all(isinstance(e, int) for e in exponents):
            quantum = min(e for e in exponents if isinstance(e, int))
            with localcontext() as ctx:
                ctx.prec = 60
                ctx.clear_flags()  # a copy of the thread's context brings its flags: only these steps count
                ints = [int(v.scaleb(-quantum, ctx)) for v in values]
                exact = all(ctx.multiply(Decimal(i), Decimal(1).scaleb(quantum)) == v for i, v in zip(ints, values))
            reach = sum(abs(i) * u for i, u in zip(ints, self.upper))
            if exact and reach < 2 ** 52 and not ctx.flags[Inexact]:
                return -np.array(ints, dtype=float), True
        floats = np.array([float(v) for v in values])
        top = float(floats.max()) if floats.size and floats.max() > 0 else 1.0
        return -floats / top, False

    def matrix(self) -> tuple[Any, Any]:
        """``A`` (sparse, rows by columns) and ``b``."""
        import numpy as np  # heavy: see the module docstring
        from scipy.sparse import coo_matrix

        r_idx = [i for i, (_, terms, _) in enumerate(self.rows) for _ in terms]
        c_idx = [col for _, terms, _ in self.rows for col, _ in terms]
        vals = [v for _, terms, _ in self.rows for _, v in terms]
        a = coo_matrix((vals, (r_idx, c_idx)), shape=(len(self.rows), self.size)).tocsr()
        return a, np.array([rhs for _, _, rhs in self.rows], dtype=float)
