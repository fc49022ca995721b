"""The ``greedy`` allocation strategy (the default): fund by rank, value per cost first.

Takes the candidates and the policy's ``[allocation]``, gives an
:class:`~budgetpolicy.allocation.result.AllocationResult`; the stage entry
(:func:`budgetpolicy.allocation.allocate.allocate`) picks it by name and checks
its result like any strategy's. It reads the problem's integer columns
(:mod:`budgetpolicy.allocation.problem`) and writes what each candidate got
into an :class:`~budgetpolicy.allocation.result.Outcome`.

Greedy order: the reserve is set aside; baselines are funded first from the
rest, to matching candidates by rank; then the reserve funds its kinds by
rank; unused reserve is released (if the policy says so); then every
candidate, in rank order, takes what the pool, its caps and its minimum
viable amount allow. Amounts are whole multiples of the unit throughout.
Rules and wording: ``docs/allocation.md``.
"""

from __future__ import annotations

from collections.abc import Sequence

from budgetpolicy.model import AllocationPolicy
from budgetpolicy.allocation.problem import (
    LIMIT_BASELINE, LIMIT_DEPARTMENT, LIMIT_KIND, LIMIT_POOL, LIMIT_RESERVE, LIMITS, Candidate, Problem, prepare,
)
from budgetpolicy.allocation.result import AllocationResult, Outcome, finish


class _State:
    """Units given so far, per department, kind and source; per candidate in an :class:`Outcome`."""

    def __init__(self, problem: Problem) -> None:
        self.p = problem
        self.out = Outcome(len(problem), problem.wide)
        self.funded = self.out.funded  # by rank position
        self.dept: dict[str, int] = {}
        self.kind: dict[str, int] = {}
        self.general = problem.pool - problem.reserve
        self.reserve = problem.reserve

    def room(self, pos: int, c: Candidate, money_left: int, money_limit: str) -> tuple[int, str]:
        """Most units the candidate at ``pos`` may still take, and which limit sets it."""
        room, limit = money_left, money_limit
        want = self.p.target[pos] - self.funded[pos]
        if want <= room:
            room, limit = want, ""
        dept_cap = self.p.per_department.get(c.department)
        if dept_cap is not None and dept_cap - self.dept.get(c.department, 0) < room:
            room, limit = dept_cap - self.dept.get(c.department, 0), LIMIT_DEPARTMENT
        kind_cap = self.p.per_kind.get(c.kind)
        if kind_cap is not None and kind_cap - self.kind.get(c.kind, 0) < room:
            room, limit = kind_cap - self.kind.get(c.kind, 0), LIMIT_KIND
        return max(room, 0), limit

    def blocking_cap(self, pos: int, c: Candidate, need: int) -> tuple[int, str] | None:
        """The department or kind cap whose room is below ``need`` (the tighter one), or None: a cap
        that would stop the candidate however much money were left, so it is what binds."""
        found: tuple[int, str] | None = None
        for cap, used, limit in ((self.p.per_department.get(c.department), self.dept.get(c.department, 0),
                                  LIMIT_DEPARTMENT),
                                 (self.p.per_kind.get(c.kind), self.kind.get(c.kind, 0), LIMIT_KIND)):
            if cap is not None and cap - used < need and (found is None or cap - used < found[0]):
                found = (max(cap - used, 0), limit)
        return found

    def stopped_by(self, pos: int, c: Candidate, last_funded: list[int]) -> tuple[int, str, int]:
        """``(room, limit, need)`` in the ranked pass: what the candidate may take from the general pool and
        the limit that sets it; a short cap over a short pool, and a baseline that funded lower-ranked
        candidates first over the pool."""
        room, limit = self.room(pos, c, self.general, LIMIT_POOL)
        need = self.need(pos)
        if room < need and limit == LIMIT_POOL:
            # The pool is short, but if a cap is short too, the cap is what binds (more money would not help).
            blocked = self.blocking_cap(pos, c, need)
            if blocked is not None:
                room, limit = blocked
        if limit == LIMIT_POOL:
            before = next((b for b, last in enumerate(last_funded) if last > pos), None)
            if before is not None:
                limit = f"{LIMIT_BASELINE}:{before}"
        return room, limit, need

    def give(self, pos: int, c: Candidate, units: int) -> None:
        self.funded[pos] += units
        self.dept[c.department] = self.dept.get(c.department, 0) + units
        self.kind[c.kind] = self.kind.get(c.kind, 0) + units

    def need(self, pos: int) -> int:
        # Once a candidate holds its minimum, any further unit is a valid top-up.
        return self.p.minimum[pos] if self.funded[pos] == 0 else 1


def greedy_allocate(candidates: Sequence[Candidate], policy: AllocationPolicy) -> AllocationResult:
    """Baselines, then reserve, then everyone by value per cost (see the module docstring)."""
    problem = prepare(candidates, policy)
    s = _State(problem)
    out, funded, target = s.out, s.funded, problem.target
    ranked = range(len(problem))
    baseline_used = [0] * len(policy.baselines)
    # The lowest-ranked position each baseline funded: money it took there was set aside ahead of
    # better-ranked candidates, so for those the baseline, not the ranking, is why the pool ran short.
    last_funded = [-1] * len(policy.baselines)
    for b, floor in enumerate(problem.baseline_floors):
        remaining = floor
        for pos in ranked:
            if remaining <= 0:
                break
            if funded[pos] > 0 or target[pos] == 0 or b not in problem.baselines_of(pos):
                continue
            c = problem.candidate(pos)
            room, _ = s.room(pos, c, s.general, LIMIT_POOL)
            need = s.need(pos)
            if room < need:
                continue
            # Fill the floor; an all-or-nothing or minimum-viable overshoot comes from the general pool.
            grant = min(max(min(target[pos], remaining), need), room)
            credit = min(grant, remaining)
            s.give(pos, c, grant)
            s.general -= grant
            out.from_base[pos], out.base_of[pos] = credit, b
            last_funded[b] = pos
            remaining -= credit
        baseline_used[b] = floor - remaining
    reserve_ok = problem.reserve_ok
    for pos in ranked:
        if not reserve_ok[pos] or s.reserve == 0:
            continue
        c = problem.candidate(pos)
        room, _ = s.room(pos, c, s.reserve, LIMIT_RESERVE)
        if room == 0 or room < s.need(pos):
            continue
        s.give(pos, c, room)
        s.reserve -= room
        out.from_res[pos] += room
    released = 0
    if policy.reserve is not None and policy.reserve.release_unused:
        released, s.general, s.reserve = s.reserve, s.general + s.reserve, 0
    codes = {limit: out.code(limit) for limit in LIMITS + ("",)}
    for pos in ranked:
        if funded[pos] >= target[pos]:
            continue
        c = problem.candidate(pos)
        room, limit, need = s.stopped_by(pos, c, last_funded)
        out.limit[pos], out.room[pos] = codes[limit] if limit in codes else out.code(limit), room
        if room < need:
            continue
        s.give(pos, c, room)
        s.general -= room
    return finish(problem, out, baseline_used, released, "greedy")
