"""The allocation result: the values every strategy gives back, and their assembly.

A strategy records what each candidate got, in units, in an :class:`Outcome` (the greedy
strategy writes it as it goes; the optimal one, and plugins, pass per-candidate units to
:func:`build_result`); :func:`finish` turns that into an :class:`AllocationResult`: a
:class:`~budgetpolicy.model.Funding` per candidate (amount 0 when unfunded) with the step that
funded it and its explanation (:mod:`budgetpolicy.allocation.wording`), where each amount came
from, and the :class:`AllocationSummary` totals.

Memory: a streamed portfolio can hold 500,000 candidates, so the allocator
keeps per candidate only a few integers in arrays (the problem's columns in
:mod:`budgetpolicy.allocation.problem`, the :class:`Outcome`), about
100 bytes, and the result's ``fundings`` and ``sources`` are read-only
mappings (:class:`PerCandidate`) that build each Funding, explanation
included, when it is asked for: equal to what an eager dict would hold.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, ItemsView, Iterator, Mapping, Sequence, ValuesView
from decimal import Decimal, localcontext
from typing import Any

from attrs import field, frozen

from budgetpolicy.model import ADDED_LATER, FrozenMap, Funding, frozen_map
from budgetpolicy.allocation.problem import CENT, Problem, int_column, zeros
from budgetpolicy.allocation.wording import explain

UNLINKED = "(no priority)"


@frozen
class AllocationSummary:
    pool: Decimal
    allocated: Decimal
    leftover: Decimal  # pool - allocated, including the cents rounding left behind
    reserve_amount: Decimal
    reserve_used: Decimal
    reserve_released: Decimal
    baselines: FrozenMap  # baseline id -> amount credited to it
    by_department: FrozenMap
    by_kind: FrozenMap
    by_priority: FrozenMap
    funded_count: int
    unfunded_count: int
    # How a solver's search ended (optimal strategy): {"status": "optimal" | "time_limit" | "gap_limit",
    # "gap": relative gap to the proven bound}; empty (and left out of JSON) for the greedy strategy.
    solver: FrozenMap = field(factory=FrozenMap, converter=frozen_map, metadata=ADDED_LATER)


@frozen
class AllocationResult:
    fundings: FrozenMap  # candidate id -> Funding, for every candidate (built-in strategies: a PerCandidate)
    summary: AllocationSummary
    strategy: str
    # candidate id -> {"baseline:<id>" | "reserve" | "rank": amount}: where each amount came from.
    sources: FrozenMap = field(factory=FrozenMap, converter=frozen_map)
    # Optional LP-relaxation marginal values (optimal strategy, with_duals=True).
    duals: FrozenMap = field(factory=FrozenMap, converter=frozen_map)


class Outcome:
    """What each candidate got, in units, as columns indexed by rank position.

    ``funded``, ``from_base`` (units credited to a baseline), ``base_of`` (that baseline's
    index, -1 for none), ``from_res`` (units from the reserve), ``limit`` (a code into
    ``limits``: the limit that stopped it, None when it was never stopped) and ``room`` (the
    units it could still have taken then). A few bytes per candidate instead of a dict entry,
    a tuple and a handful of ints: the result keeps these and builds each Funding on demand.
    """

    __slots__ = ("funded", "from_base", "base_of", "from_res", "limit", "room", "limits")

    def __init__(self, n: int, wide: bool = False) -> None:
        self.funded = zeros(n, wide)
        self.from_base = zeros(n, wide)
        self.base_of = array("q", [-1]) * n
        self.from_res = zeros(n, wide)
        self.limit = array("H", bytes(2 * n))  # 0: None
        self.room = zeros(n, wide)
        self.limits: list[str | None] = [None]

    def code(self, limit: str | None) -> int:
        """The code of ``limit`` in ``limits`` (added on first use)."""
        try:
            return self.limits.index(limit)
        except ValueError:
            self.limits.append(limit)
            return len(self.limits) - 1

    @classmethod
    def from_units(cls, problem: Problem, units: Mapping[str, tuple[Any, ...]]) -> "Outcome":
        """From ``units[id] = (funded, from_baseline, baseline_index, from_reserve, limit, room)``."""
        out = cls(0)
        cols: list[list[Any]] = [[], [], [], [], []]
        for pos in range(len(problem)):
            funded, from_base, base_index, from_res, limit, room = units[problem.candidate(pos).id]
            for col, value in zip(cols, (funded, from_base, -1 if base_index is None else base_index,
                                         from_res, room)):
                col.append(value)
            out.limit.append(out.code(limit))
        out.funded, out.from_base, out.base_of, out.from_res, out.room = (int_column(c) for c in cols)
        return out

    def step(self, problem: Problem, pos: int) -> str:
        if self.from_base[pos]:
            return f"baseline:{problem.policy.baselines[self.base_of[pos]].id}"
        if self.from_res[pos]:
            return "reserve"
        return "rank" if self.funded[pos] or problem.target[pos] == 0 else "unfunded"


class _Explained:
    """Builds the Funding and the sources of one candidate (by rank position) on demand."""

    __slots__ = ("problem", "out", "strategy")

    def __init__(self, problem: Problem, out: Outcome, strategy: str) -> None:
        self.problem, self.out, self.strategy = problem, out, strategy

    def funding(self, pos: int) -> Funding:
        problem, out = self.problem, self.out
        with localcontext(problem.context):  # the context the allocation ran in, whatever the caller's now
            funded, step = out.funded[pos], out.step(problem, pos)
            text = explain(problem, problem.item(pos), funded, step, out.limits[out.limit[pos]], out.room[pos],
                           optimal=self.strategy == "optimal")
            return Funding(amount=problem.amount(funded), requested=problem.candidate(pos).cost, step=step,
                           rank=pos + 1, explanation=text)

    def sources(self, pos: int) -> FrozenMap:
        problem, out = self.problem, self.out
        funded, from_base, from_res = out.funded[pos], out.from_base[pos], out.from_res[pos]
        split = {}
        with localcontext(problem.context):
            if from_base:
                split[out.step(problem, pos)] = problem.amount(from_base)
            if from_res:
                split["reserve"] = problem.amount(from_res)
            if funded - from_base - from_res:
                split["rank"] = problem.amount(funded - from_base - from_res)
        return FrozenMap(split)


class PerCandidate(FrozenMap):
    """A read-only mapping candidate id -> value, each value built when asked for.

    ``AllocationResult.fundings`` and ``.sources`` of the built-in strategies: keys in the
    caller's candidate order, values equal (``==``) to the eagerly built ones, lookups by id in
    O(log n) on the problem's id index. Nothing per candidate is kept but the compact columns
    of the :class:`~budgetpolicy.allocation.problem.Problem` and the :class:`Outcome`,
    so a result for 500,000 candidates costs tens of MB, not hundreds. Each access builds a new
    (equal) object. Pickling and copying give a plain FrozenMap.
    """

    __slots__ = ("_problem", "_out", "_make")

    def __init__(self, problem: Problem, out: Outcome, make: Callable[[int], Any]) -> None:
        self._problem, self._out, self._make, self._hash = problem, out, make, None

    def _pos(self, key: Any) -> int:
        index = self._problem.index_of(key)
        return -1 if index < 0 else self._problem.position[index]

    def __getitem__(self, key: str) -> Any:
        pos = self._pos(key)
        if pos < 0:
            raise KeyError(key)
        return self._make(pos)

    def get(self, key: str, default: Any = None) -> Any:
        pos = self._pos(key)
        return default if pos < 0 else self._make(pos)

    def __contains__(self, key: object) -> bool:
        return self._pos(key) >= 0

    def __iter__(self) -> Iterator[str]:
        return (c.id for c in self._problem.candidates)

    def __len__(self) -> int:
        return len(self._problem.candidates)

    def iter_values(self) -> Iterator[Any]:
        make, position = self._make, self._problem.position
        return (make(position[index]) for index in range(len(position)))

    def iter_items(self) -> Iterator[tuple[str, Any]]:
        make, position = self._make, self._problem.position
        return ((c.id, make(position[index])) for index, c in enumerate(self._problem.candidates))

    def values(self) -> ValuesView[Any]:
        return _Values(self)

    def items(self) -> ItemsView[str, Any]:
        return _Items(self)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.iter_items())

    @property
    def _data(self) -> dict[str, Any]:  # type: ignore[override]  # for any FrozenMap method not overridden
        return self.as_dict()

    @property
    def outcome(self) -> tuple[Problem, Outcome]:
        """The problem and the per-candidate units these values are built from (counterfactuals read
        the greedy run's trace from them instead of allocating again)."""
        return self._problem, self._out

    def covers(self, candidates: Sequence[Any]) -> bool:
        """True when built over these very candidates, in this order (so each has a value)."""
        mine = self._problem.candidates
        return len(mine) == len(candidates) and all(a is b for a, b in zip(mine, candidates))

    def total(self) -> Decimal:
        """The sum of the funded amounts (read from the outcome, no value built)."""
        return self._problem.amount(sum(self._out.funded))

    def has_negative(self) -> bool:
        return any(units < 0 for units in self._out.funded)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return self.as_dict() == dict(other.items())
        return NotImplemented

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(FrozenMap(self.as_dict()))
        return self._hash

    def __repr__(self) -> str:
        return f"FrozenMap({self.as_dict()!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenMap, (self.as_dict(),))


class _Values(ValuesView):  # type: ignore[type-arg]
    _mapping: PerCandidate

    def __iter__(self) -> Iterator[Any]:
        return self._mapping.iter_values()


class _Items(ItemsView):  # type: ignore[type-arg]
    _mapping: PerCandidate

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        return self._mapping.iter_items()


def build_result(problem: Problem, units: Mapping[str, tuple[Any, ...]], baseline_used: Sequence[int],
                 released: int, strategy: str, duals: FrozenMap | None = None,
                 solver: FrozenMap | None = None) -> AllocationResult:
    """Fundings, sources and the summary from per-candidate units.

    ``units[id] = (funded, from_baseline, baseline_index, from_reserve, limit, room)``, all in units,
    for every candidate ``problem`` was prepared with. Fundings are listed in the caller's candidate order.
    """
    return finish(problem, Outcome.from_units(problem, units), baseline_used, released, strategy, duals, solver)


def finish(problem: Problem, out: Outcome, baseline_used: Sequence[int], released: int, strategy: str,
           duals: FrozenMap | None = None, solver: FrozenMap | None = None) -> AllocationResult:
    """The result over ``out``: fundings and sources built on demand, the summary now."""
    explained = _Explained(problem, out, strategy)
    with localcontext(problem.context):
        summary = _summary(problem, out, baseline_used, released, solver or FrozenMap())
    return AllocationResult(PerCandidate(problem, out, explained.funding), summary, strategy,
                            PerCandidate(problem, out, explained.sources), duals or FrozenMap())


def _summary(problem: Problem, out: Outcome, baseline_used: Sequence[int], released: int,
             solver: FrozenMap) -> AllocationSummary:
    policy, funded, n = problem.policy, out.funded, len(problem)
    cands, order = problem.candidates, problem.order
    dept: dict[str, Decimal] = {}
    kind: dict[str, Decimal] = {}
    prio: dict[str, Decimal] = {}
    quantum = CENT if problem.unit % CENT == 0 else problem.unit
    allocated = Decimal(0)
    # Totals over the funded candidates, in the caller's order (as the amounts would be added up one by one).
    for index in sorted(order[pos] for pos in range(n) if funded[pos]):
        c = cands[index]
        amount = problem.amount(funded[problem.position[index]])
        allocated += amount
        dept[c.department] = dept.get(c.department, Decimal(0)) + amount
        kind[c.kind] = kind.get(c.kind, Decimal(0)) + amount
        for name, share in _split(amount, tuple(c.priorities) or (UNLINKED,), quantum):
            prio[name] = prio.get(name, Decimal(0)) + share
    if any(not f for f in funded):
        allocated += problem.amount(0)  # adding zeros changes nothing but the exponent (0 vs 0.00)
    from_base, from_res, target = out.from_base, out.from_res, problem.target
    funded_count = sum(1 for pos in range(n) if funded[pos] or from_base[pos] or from_res[pos] or target[pos] == 0)
    return AllocationSummary(
        pool=policy.pool, allocated=allocated, leftover=policy.pool - allocated,
        reserve_amount=problem.amount(problem.reserve), reserve_used=problem.amount(sum(from_res)),
        reserve_released=problem.amount(released),
        baselines=FrozenMap({b.id: problem.amount(u) for b, u in zip(policy.baselines, baseline_used)}),
        by_department=FrozenMap(dict(sorted(dept.items()))), by_kind=FrozenMap(dict(sorted(kind.items()))),
        by_priority=FrozenMap(dict(sorted(prio.items()))),
        funded_count=funded_count, unfunded_count=n - funded_count, solver=solver,
    )


def _split(amount: Decimal, names: tuple[str, ...], quantum: Decimal) -> list[tuple[str, Decimal]]:
    """Equal shares in whole quanta (cents); the remainder goes to the first name so totals add up."""
    units = int(amount / quantum)
    each, rest = divmod(units, len(names))
    out = [(name, each * quantum) for name in names]
    out[0] = (names[0], (each + rest) * quantum)
    # An amount finer than the quantum (possible only with an odd unit) stays whole on the first name.
    extra = amount - units * quantum
    if extra:
        out[0] = (names[0], out[0][1] + extra)
    return out
