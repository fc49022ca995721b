"""Funding thresholds read from the greedy allocation's own run: the cut-off and the pool's remainder.

Used by :mod:`.counterfactual` for deferred decisions under the ``greedy`` strategy. The evaluation's
allocation result keeps, per candidate in rank order, what it got in each phase and, for every candidate
the main phase reached, the room it had and the limit that set it
(:class:`~budgetpolicy.allocation.result.Outcome`). From that one run, :class:`GreedyTrace` rebuilds the
state the main phase had in front of every rank position: the general pool left, and what each
department and kind had used. An unfunded candidate changed nothing, so that is also the state it would
meet at any other place in the order, and two questions have exact answers without allocating again:

- **Value** (the cut-off): raising a candidate's value only moves it up the main phase's order (when it
  takes no part in the baseline or reserve phases). The room it would find falls as its place falls (less
  pool left, more used under each cap), so there is a last place where it is still funded; the least value
  is the least one (on the value's grid) that ranks it ahead of the candidate at that place.
- **Pool** (the remainder): when nothing ranked ahead of it was stopped by the pool, and neither the
  baseline nor the reserve phase was short of money (so extra pool changes neither), every unit of extra
  pool reaches it untouched: it needs its minimum less what was left in front of it; or, when a cap leaves
  it less room than its minimum, no pool does.

Anything else (a candidate in a baseline or the reserve, a pool cut short ahead of it) has no answer here
(``None``) and the caller re-allocates, or says the threshold was not computed.
"""

from __future__ import annotations

from bisect import bisect_left
from decimal import ROUND_CEILING, Decimal, localcontext

from attrs import evolve, field, frozen

from budgetpolicy.allocation.problem import LIMIT_POOL, Problem, floor_units, rank_key
from budgetpolicy.allocation.result import AllocationResult, Outcome, PerCandidate

# How many grid steps the least value may sit from the solved one (Decimal division rounds the ratio,
# and a tie on the ratio goes to the tie-break keys): beyond that the answer is left to re-allocation.
_NUDGE = 3


@frozen
class PoolAnswer:
    """The least extra pool (``extra``, in money) that funds a candidate, or None when no larger pool does;
    then ``binding`` is the allocation's reason for what stops it."""

    extra: Decimal | None
    binding: str = ""


@frozen
class GreedyTrace:
    """The main phase of one greedy run, position by position (build with :meth:`of`)."""

    problem: Problem = field(eq=False, repr=False)
    out: Outcome = field(eq=False, repr=False)
    result: AllocationResult = field(eq=False, repr=False)
    general: list[int] = field(eq=False, repr=False)  # units left before each rank position (n + 1 entries)
    # department / kind -> (rank positions given units in the main phase, running sums of those units, total)
    usage: dict[tuple[str, str], tuple[list[int], list[int], int]] = field(eq=False, repr=False)
    first_pool_stop: int  # the first rank position the pool stopped in the main phase (n: none)
    pool_steady: bool  # extra pool leaves the baseline and reserve phases as they were

    @classmethod
    def of(cls, result: AllocationResult) -> GreedyTrace | None:
        """The trace of a built-in greedy ``result``; None for another strategy's (no trace kept)."""
        fundings = result.fundings
        if result.strategy != "greedy" or not isinstance(fundings, PerCandidate):
            return None
        problem, out = fundings.outcome
        n = len(problem)
        pool_code = out.limits.index(LIMIT_POOL) if LIMIT_POOL in out.limits else -1
        grant = [0] * n
        for pos in range(n):
            if out.limit[pos] == 0:  # the main phase never reached it (funded in full before, or nothing asked)
                continue
            need = problem.minimum[pos] if out.from_base[pos] == 0 and out.from_res[pos] == 0 else 1
            if out.room[pos] >= need:
                grant[pos] = out.room[pos]
        reserve_left = problem.reserve - sum(out.from_res)
        policy_reserve = problem.policy.reserve
        released = policy_reserve is not None and policy_reserve.release_unused
        general = [0] * (n + 1)
        general[n] = problem.pool - sum(out.funded) - (0 if released else reserve_left)
        for pos in range(n - 1, -1, -1):
            general[pos] = general[pos + 1] + grant[pos]
        usage: dict[tuple[str, str], tuple[list[int], list[int], int]] = {}
        for pos in range(n):
            c = problem.candidate(pos)
            for key in (("department", c.department), ("kind", c.kind)):
                positions, sums, total = usage.get(key, ([], [0], 0))
                if grant[pos]:
                    positions.append(pos)
                    sums.append(sums[-1] + grant[pos])
                usage[key] = (positions, sums, total + out.funded[pos])
        first = next((pos for pos in range(n) if out.limit[pos] == pool_code), n) if pool_code >= 0 else n
        return cls(problem, out, result, general, usage, first, _pool_steady(problem, out, grant, released))

    def position(self, candidate_id: str) -> int:
        index = self.problem.index_of(candidate_id)
        return -1 if index < 0 else self.problem.position[index]

    def main_only(self, pos: int) -> bool:
        """Whether the candidate at ``pos`` takes part in the main phase alone (no baseline, no reserve)."""
        p = self.problem
        floors = p.baseline_floors
        in_baseline = any(floors[b] > 0 for b in p.baselines_of(pos))
        return not in_baseline and not (p.reserve_ok[pos] and p.reserve > 0)

    def least_value(self, candidate_id: str, quantum: Decimal) -> tuple[bool, Decimal | None]:
        """(computed, value): the least value on ``current + k * quantum`` (k >= 1) that funds the
        candidate, None when no value does; computed False when the trace cannot say."""
        t = self.position(candidate_id)
        if t < 0 or not self.main_only(t) or self.problem.candidate(t).cost <= 0:
            return False, None
        need = self.problem.minimum[t]
        if self._room(t, 0) < need:
            return True, None  # not even first in the main phase: no value funds it
        lo, hi = 0, t  # funded in front of position lo, not in front of hi (its own place)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self._room(t, mid) >= need:
                lo = mid
            else:
                hi = mid
        value = self._value_ahead_of(t, lo, quantum)
        return (value is not None), value

    def least_pool(self, candidate_id: str) -> PoolAnswer | None:
        """The least extra pool that funds the candidate (see :class:`PoolAnswer`); None when the trace
        cannot say (the pool stopped someone ranked ahead, or extra pool would change an earlier phase)."""
        t = self.position(candidate_id)
        if t < 0 or not self.pool_steady or self.first_pool_stop < t:
            return None
        need = self.problem.minimum[t]
        if self._caps_room(t, t) < need:
            why = str(self.result.fundings[candidate_id].explanation)
            return PoolAnswer(None, why)
        short = need - self.general[t]
        if short <= 0:  # it would have been funded: the trace does not describe this run
            return None
        return PoolAnswer(self.problem.amount(short))

    def _caps_room(self, t: int, before: int) -> int:
        """The units the candidate at ``t`` could take in front of position ``before``, money aside."""
        p = self.problem
        c = p.candidate(t)
        room = p.target[t]
        for kind, name, caps in (("department", c.department, p.per_department), ("kind", c.kind, p.per_kind)):
            cap = caps.get(name)
            if cap is not None:
                room = min(room, cap - self._used((kind, name), before))
        return room

    def _room(self, t: int, before: int) -> int:
        return min(self.general[before], self._caps_room(t, before))

    def _used(self, key: tuple[str, str], before: int) -> int:
        """Units the department or kind ``key`` had used in front of rank position ``before``."""
        positions, sums, total = self.usage.get(key, ([], [0], 0))
        later = sums[-1] - sums[bisect_left(positions, before)]
        return total - later

    def _value_ahead_of(self, t: int, rival_pos: int, quantum: Decimal) -> Decimal | None:
        """The least value on the candidate's grid that ranks it ahead of the one at ``rival_pos``."""
        p = self.problem
        item, rival = p.item(t), p.item(rival_pos)
        if rival.ratio is None:
            return None  # zero-cost requests rank first whatever the value
        key = rank_key(p.policy)
        bar = key(rival)

        def ahead(value: Decimal) -> bool:
            return bool(key(evolve(item, value=value, ratio=p.context.divide(value, item.cost))) < bar)

        with localcontext(p.context):
            exact = rival.ratio * item.cost
            k = max(int(((exact - item.value) / quantum).to_integral_value(ROUND_CEILING)), 1)
        for _ in range(_NUDGE):
            if k > 1 and ahead(item.value + (k - 1) * quantum):
                k -= 1
            elif not ahead(item.value + k * quantum):
                k += 1
            else:
                return item.value + k * quantum
        return None


def _pool_steady(problem: Problem, out: Outcome, grant: list[int], released: bool) -> bool:
    """Whether a larger pool leaves the baseline and reserve phases exactly as they ran: neither was ever
    short of money (what it had left at the end covers any candidate's whole request there), and the
    reserve does not grow with the pool, or grows only to be released unused."""
    n = len(problem)
    in_baseline = [pos for pos in range(n) if any(problem.baseline_floors[b] > 0 for b in problem.baselines_of(pos))]
    if in_baseline:
        base_grants = sum(out.funded[pos] - out.from_res[pos] - grant[pos] for pos in range(n) if out.from_base[pos])
        left = problem.pool - problem.reserve - base_grants
        if left < max(problem.target[pos] for pos in in_baseline):
            return False
    res = problem.policy.reserve
    if res is None:
        return True
    if res.amount is not None:
        return floor_units(res.amount, problem.unit) <= problem.pool  # a fixed reserve: unchanged
    in_reserve = [pos for pos in range(n) if problem.reserve_ok[pos]]
    left = problem.reserve - sum(out.from_res)
    return released and (not in_reserve or left >= max(problem.target[pos] for pos in in_reserve))
