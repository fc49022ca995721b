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
- **Pool** (the remainder): with enough extra pool, every candidate ranked ahead of it takes all its caps
  allow ("covered"). One pass in rank order adds up what they would take then, and the state each
  candidate would meet; the least extra pool is what that costs beyond what the run gave them, plus its
  own minimum, less what the run left in front of it: one unit less and everyone ahead is still covered
  but it falls one unit short. Where the reserve is a share of the pool it grows with it, and the same
  pass covers the reserve's candidates first; where a cap leaves it less room than its minimum even
  then, no larger pool funds it, and the allocation's words say which cap binds.

Anything else (for the value, a candidate in a baseline or the reserve; for the pool, a baseline phase
short of money, or a reserve not yet covered at the answer) has no answer here (``None``) and the
caller re-allocates, or says the threshold was not computed.
"""

from __future__ import annotations

from bisect import bisect_left
from decimal import ROUND_CEILING, Decimal, localcontext

from attrs import evolve, field, frozen

from budgetpolicy.allocation.problem import Problem, floor_units, rank_key
from budgetpolicy.allocation.result import AllocationResult, Outcome, PerCandidate
from budgetpolicy.allocation.wording import explain as funding_reason
from budgetpolicy.explain._phases import Absorbers, Covered, absorbers, covered

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
    general: list[int] = field(eq=False, repr=False)  # units left before each rank position (n + 1 entries)
    # department / kind -> (rank positions given units in the main phase, running sums of those units, total)
    usage: dict[tuple[str, str], tuple[list[int], list[int], int]] = field(eq=False, repr=False)
    covered: Covered | None = field(eq=False, repr=False)  # None: extra pool changes the baseline phase
    # The reserve phase as it ran, and its first candidate the reserve ran short for, when that one took
    # all that was left: (its rank position, how many more units it would take).
    as_run: Covered | None = field(default=None, eq=False, repr=False)
    absorber: Absorbers | None = None

    @classmethod
    def of(cls, result: AllocationResult) -> GreedyTrace | None:
        """The trace of a built-in greedy ``result``; None for another strategy's (no trace kept)."""
        fundings = result.fundings
        if result.strategy != "greedy" or not isinstance(fundings, PerCandidate):
            return None
        problem, out = fundings.outcome
        n = len(problem)
        grant = [0] * n  # units given in the main phase
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
        base = [out.funded[pos] - out.from_res[pos] - grant[pos] if out.from_base[pos] else 0 for pos in range(n)]
        as_run = covered(problem, out, base, grows=False)
        absorber = absorbers(problem, out, base, as_run) if as_run is not None else None
        return cls(problem, out, general, usage, covered(problem, out, base), as_run, absorber)

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

    def least_pool(self, candidate_id: str, widest: Decimal) -> PoolAnswer | None:
        """The least extra pool that funds the candidate (see :class:`PoolAnswer`), ``widest`` the largest
        extra the caller would try; None when the trace cannot say."""
        t, cov, p = self.position(candidate_id), self.covered, self.problem
        if t < 0 or cov is None or (cov.reserve_grows and p.reserve_ok[t]):
            return None  # (a reserve candidate would meet a larger reserve first)
        # Main-phase units needed beyond what the run had there: everyone ahead covered, and its minimum.
        short = cov.taken[t] + cov.need[t] - self.general[0]
        if cov.room[t] < cov.need[t]:  # a cap stops it even with everyone ahead covered
            gain = self._gain(floor_units(widest, p.unit))
            if gain is None or gain < short - cov.need[t]:
                return None  # at the widest pool tried, someone ahead is still short: not this case
            reason = funding_reason(p, p.item(t), 0, "unfunded", cov.limit[t], max(cov.room[t], 0))
            return PoolAnswer(None, reason)
        if short <= 0:
            return None  # it would have been funded: this is not the run that deferred it
        extra = self._least_extra(short)
        if extra is None:
            extra = self._absorbed_extra(t)
        return None if extra is None else PoolAnswer(p.amount(extra))

    def _absorbed_extra(self, t: int) -> int | None:
        """The least extra pool when the reserve's growth goes only to reserve candidates ranked ahead of this
        one (:class:`Absorbers`): each ends with the same total either way (more from the reserve, less from
        the main phase), so every extra unit reaches the main phase. None unless that holds at the answer."""
        run, absorbers = self.as_run, self.absorber
        if run is None or absorbers is None or run.room[t] < run.need[t]:
            return None
        neutral = absorbers.neutral_up_to(t)
        extra = run.taken[t] + run.need[t] - self.general[0]
        if neutral is None or extra < 1 or self._reserve_growth(extra) > neutral:
            return None
        return extra

    def _least_extra(self, short: int) -> int | None:
        """The least extra pool, in units, whose gain to the main phase is ``short``; None unless one unit
        less gains exactly one unit less (then everyone ahead is still covered and it falls one short)."""
        cov = self.covered
        assert cov is not None
        res = self.problem.policy.reserve
        if cov.reserve_grows and res is not None and res.release_unused:
            extra = short + cov.reserve_taken - self._reserve_used
        else:
            extra = short
            for _ in range(64):  # a reserve held back grows with the pool: step up to the first that gains it
                gain = self._gain(extra)
                if gain is not None and gain >= short:
                    break
                extra += max(short - (gain if gain is not None else 0), 1)
            else:
                return None
            for _ in range(64):
                below = self._gain(extra - 1)
                if extra <= 1 or below is None or below < short:
                    break
                extra -= 1
        if extra < 1 or self._gain(extra) is None or (self._gain(extra) or 0) < short:
            return None
        return extra if self._gain(extra - 1) == short - 1 else None

    @property
    def _reserve_used(self) -> int:
        return sum(self.out.from_res)

    def _gain(self, extra: int) -> int | None:
        """How many more units the main phase starts with when the pool is ``extra`` units larger and every
        reserve candidate is covered; None when the reserve does not cover them at that pool."""
        cov, p = self.covered, self.problem
        assert cov is not None
        res = p.policy.reserve
        if not cov.reserve_grows or res is None:
            return extra  # no reserve, or a fixed one: the reserve phase runs as it did
        growth = self._reserve_growth(extra)
        if p.reserve + growth < cov.reserve_taken:
            return None
        if res.release_unused:  # what its candidates do not take is released to the main phase
            return extra - (cov.reserve_taken - self._reserve_used)
        return extra - growth

    def _reserve_growth(self, extra: int) -> int:
        p = self.problem
        res = p.policy.reserve
        assert res is not None and res.share is not None
        pool = p.policy.pool + p.amount(extra)
        return min(floor_units(pool * res.share, p.unit), p.pool + extra) - p.reserve

    def _caps_room(self, t: int, before: int) -> int:
        """The units the candidate at ``t`` could take in front of position ``before``, money aside."""
        p = self.problem
        c = p.candidate(t)
        room: int = p.target[t]
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
