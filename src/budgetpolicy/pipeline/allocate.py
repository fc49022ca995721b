"""The allocation stage: split the fixed pool among approved initiatives.

Runs after approval (:mod:`budgetpolicy.pipeline.compile` builds one
:class:`Candidate` per approved or pending initiative) and before the
narrative. :func:`allocate` picks the strategy named by ``[allocation]
strategy`` from the plugin registry (built-ins: ``greedy`` here, ``optimal``
in :mod:`budgetpolicy.pipeline.optimal`), runs it and checks that the result
never exceeds the pool. Every candidate gets a :class:`~budgetpolicy.model.Funding`
(amount 0 when unfunded) with the step that funded it and a plain-English
explanation; :class:`AllocationSummary` gives the totals. Rules and wording:
``docs/allocation.md``.

Greedy order: the reserve is set aside; baselines are funded first from the
rest, to matching candidates by rank; then the reserve funds its kinds by
rank; unused reserve is released (if the policy says so); then every
candidate, in rank order, takes what the pool, its caps and its minimum
viable amount allow. Amounts are whole multiples of the unit throughout.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from attrs import field, frozen

from budgetpolicy.errors import AllocationError, Location
from budgetpolicy.model import AllocationPolicy, FrozenMap, Funding, frozen_map
from budgetpolicy.pipeline._allocation_checks import allocation_diagnostics
from budgetpolicy.pipeline._allocation_prep import (
    CENT, LIMIT_DEPARTMENT, LIMIT_KIND, LIMIT_POOL, LIMIT_RESERVE, Item, Problem, explain, prepare,
)

if TYPE_CHECKING:
    from budgetpolicy.plugins import Registry

__all__ = ["Candidate", "AllocationResult", "AllocationSummary", "allocate", "greedy_allocate",
           "allocation_diagnostics", "build_result"]

UNLINKED = "(no priority)"


@frozen
class Candidate:
    """An initiative eligible for funding, as the allocator sees it."""

    id: str
    cost: Decimal  # requested amount
    value: Decimal  # expected value (or score); partial funding scales it linearly
    score: Decimal
    kind: str
    department: str
    role: str | None = None
    pilot: bool = False
    priorities: tuple[str, ...] = ()


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


@frozen
class AllocationResult:
    fundings: FrozenMap  # candidate id -> Funding, for every candidate
    summary: AllocationSummary
    strategy: str
    # candidate id -> {"baseline:<id>" | "reserve" | "rank": amount}: where each amount came from.
    sources: FrozenMap = field(factory=FrozenMap, converter=frozen_map)
    # Optional LP-relaxation marginal values (optimal strategy, with_duals=True).
    duals: FrozenMap = field(factory=FrozenMap, converter=frozen_map)


def allocate(candidates: Sequence[Candidate], policy: AllocationPolicy,
             registry: "Registry | None" = None) -> AllocationResult:
    """Allocate with the strategy the policy names; raises AllocationError."""
    name = policy.strategy
    if registry is None and name in ("greedy", "optimal"):
        fn: Any = greedy_allocate if name == "greedy" else _optimal()
    else:
        if registry is None:
            from budgetpolicy.plugins import Registry

            registry = Registry.build()
        if name not in registry.allocators:
            known = ", ".join(sorted(registry.allocators)) or "none"
            raise AllocationError(f"unknown allocation strategy '{name}'", Location(key="allocation.strategy"),
                                  hint=f"registered strategies: {known}", code="BP605")
        fn = registry.allocators[name].obj
    result = fn(candidates, policy)
    _check_result(result, candidates, policy, name)
    return result


def _optimal() -> Any:
    from budgetpolicy.pipeline.optimal import optimal_allocate

    return optimal_allocate


def _check_result(result: Any, candidates: Sequence[Candidate], policy: AllocationPolicy, name: str) -> None:
    # A plugin strategy is trusted with nothing: the pool and completeness are checked here.
    if not isinstance(result, AllocationResult):
        raise AllocationError(f"strategy '{name}' returned {type(result).__name__}, not an AllocationResult",
                              Location(key="allocation.strategy"), code="BP624")
    missing = [c.id for c in candidates if c.id not in result.fundings]
    total = sum((f.amount for f in result.fundings.values()), Decimal(0))
    if missing or total > policy.pool or any(f.amount < 0 for f in result.fundings.values()):
        what = f"no funding for {', '.join(missing[:3])}" if missing else f"allocated {total} of a pool of {policy.pool}"
        raise AllocationError(f"strategy '{name}' broke the allocation contract: {what}",
                              Location(key="allocation.strategy"),
                              hint="a strategy funds every candidate (0 when unfunded) and never exceeds the pool",
                              code="BP624")


# -- greedy -------------------------------------------------------------------


class _State:
    """Units given so far, per candidate, department, kind and source."""

    def __init__(self, problem: Problem) -> None:
        self.p = problem
        n = len(problem.ranked)
        self.funded = [0] * n  # by rank position - 1
        self.from_baseline = [0] * n
        self.baseline_of: list[int | None] = [None] * n
        self.from_reserve = [0] * n
        self.dept: dict[str, int] = {}
        self.kind: dict[str, int] = {}
        self.general = problem.pool - problem.reserve
        self.reserve = problem.reserve
        self.limit: list[str | None] = [None] * n
        self.room_seen = [0] * n

    def room(self, item: Item, money_left: int, money_limit: str) -> tuple[int, str]:
        """Most units ``item`` may still take, and which limit sets it."""
        room, limit = money_left, money_limit
        want = item.target - self.funded[item.rank - 1]
        if want <= room:
            room, limit = want, ""
        dept_cap = self.p.per_department.get(item.department)
        if dept_cap is not None and dept_cap - self.dept.get(item.department, 0) < room:
            room, limit = dept_cap - self.dept.get(item.department, 0), LIMIT_DEPARTMENT
        kind_cap = self.p.per_kind.get(item.kind)
        if kind_cap is not None and kind_cap - self.kind.get(item.kind, 0) < room:
            room, limit = kind_cap - self.kind.get(item.kind, 0), LIMIT_KIND
        return max(room, 0), limit

    def give(self, item: Item, units: int) -> None:
        self.funded[item.rank - 1] += units
        self.dept[item.department] = self.dept.get(item.department, 0) + units
        self.kind[item.kind] = self.kind.get(item.kind, 0) + units

    def need(self, item: Item) -> int:
        # Once an item holds its minimum, any further unit is a valid top-up.
        return item.minimum if self.funded[item.rank - 1] == 0 else 1


def greedy_allocate(candidates: Sequence[Candidate], policy: AllocationPolicy) -> AllocationResult:
    """Baselines, then reserve, then everyone by value per cost (see the module docstring)."""
    problem = prepare(candidates, policy)
    s = _State(problem)
    baseline_used = [0] * len(policy.baselines)
    for b, floor in enumerate(problem.baseline_floors):
        remaining = floor
        for item in problem.ranked:
            if remaining <= 0:
                break
            pos = item.rank - 1
            if b not in item.baselines or s.funded[pos] > 0 or item.target == 0:
                continue
            room, _ = s.room(item, s.general, LIMIT_POOL)
            need = s.need(item)
            if room < need:
                continue
            # Fill the floor; an all-or-nothing or minimum-viable overshoot comes from the general pool.
            grant = min(max(min(item.target, remaining), need), room)
            credit = min(grant, remaining)
            s.give(item, grant)
            s.general -= grant
            s.from_baseline[pos], s.baseline_of[pos] = credit, b
            remaining -= credit
        baseline_used[b] = floor - remaining
    for item in problem.ranked:
        if not item.reserve_ok or s.reserve == 0:
            continue
        pos = item.rank - 1
        room, _ = s.room(item, s.reserve, LIMIT_RESERVE)
        if room == 0 or room < s.need(item):
            continue
        s.give(item, room)
        s.reserve -= room
        s.from_reserve[pos] += room
    released = 0
    if policy.reserve is not None and policy.reserve.release_unused:
        released, s.general, s.reserve = s.reserve, s.general + s.reserve, 0
    for item in problem.ranked:
        pos = item.rank - 1
        if s.funded[pos] >= item.target:
            continue
        room, limit = s.room(item, s.general, LIMIT_POOL)
        s.limit[pos], s.room_seen[pos] = limit, room
        if room < s.need(item):
            continue
        s.give(item, room)
        s.general -= room
    units = {item.id: (s.funded[item.rank - 1], s.from_baseline[item.rank - 1], s.baseline_of[item.rank - 1],
                       s.from_reserve[item.rank - 1], s.limit[item.rank - 1], s.room_seen[item.rank - 1])
             for item in problem.ranked}
    return build_result(problem, candidates, units, baseline_used, released, "greedy")


def build_result(problem: Problem, candidates: Sequence[Candidate], units: dict[str, tuple[Any, ...]],
                 baseline_used: Sequence[int], released: int, strategy: str,
                 duals: FrozenMap | None = None) -> AllocationResult:
    """Fundings, sources and the summary from per-candidate units.

    ``units[id] = (funded, from_baseline, baseline_index, from_reserve, limit, room)``, all in units.
    Fundings are listed in the caller's candidate order.
    """
    policy = problem.policy
    by_id = {item.id: item for item in problem.ranked}
    fundings: dict[str, Funding] = {}
    sources: dict[str, FrozenMap] = {}
    dept: dict[str, Decimal] = {}
    kind: dict[str, Decimal] = {}
    prio: dict[str, Decimal] = {}
    reserve_used = 0
    funded_count = 0
    quantum = CENT if problem.unit % CENT == 0 else problem.unit
    for c in candidates:
        item = by_id[c.id]
        funded, from_base, base_index, from_res, limit, room = units[c.id]
        reserve_used += from_res
        if from_base:
            step = f"baseline:{policy.baselines[base_index].id}"
        elif from_res:
            step = "reserve"
        elif funded or item.target == 0:
            step = "rank"
        else:
            step = "unfunded"
        amount = problem.amount(funded)
        funded_count += step != "unfunded"
        text = explain(problem, item, funded, step, limit, room, optimal=strategy == "optimal")
        fundings[c.id] = Funding(amount=amount, requested=c.cost, step=step, rank=item.rank, explanation=text)
        split = {}
        if from_base:
            split[step] = problem.amount(from_base)
        if from_res:
            split["reserve"] = problem.amount(from_res)
        if funded - from_base - from_res:
            split["rank"] = problem.amount(funded - from_base - from_res)
        sources[c.id] = FrozenMap(split)
        if amount:
            dept[c.department] = dept.get(c.department, Decimal(0)) + amount
            kind[c.kind] = kind.get(c.kind, Decimal(0)) + amount
            for name, share in _split(amount, tuple(c.priorities) or (UNLINKED,), quantum):
                prio[name] = prio.get(name, Decimal(0)) + share
    allocated = sum((f.amount for f in fundings.values()), Decimal(0))
    summary = AllocationSummary(
        pool=policy.pool, allocated=allocated, leftover=policy.pool - allocated,
        reserve_amount=problem.amount(problem.reserve), reserve_used=problem.amount(reserve_used),
        reserve_released=problem.amount(released),
        baselines=FrozenMap({b.id: problem.amount(u) for b, u in zip(policy.baselines, baseline_used)}),
        by_department=FrozenMap(sorted(dept.items())), by_kind=FrozenMap(sorted(kind.items())),
        by_priority=FrozenMap(sorted(prio.items())),
        funded_count=funded_count, unfunded_count=len(candidates) - funded_count,
    )
    return AllocationResult(FrozenMap(fundings), summary, strategy, FrozenMap(sources), duals or FrozenMap())


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


# Limits re-exported for strategies living in other modules.
LIMITS = (LIMIT_POOL, LIMIT_RESERVE, LIMIT_DEPARTMENT, LIMIT_KIND)
