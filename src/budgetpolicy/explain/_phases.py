"""The greedy run again under a larger pool, as far as its structure says: private helper of :mod:`.cutoff`.

:func:`covered` replays the run's phases with every candidate covered (each takes all its caps and
request allow) from the grants the run recorded; :func:`absorbers` says where a larger reserve goes
when its first short candidate took all that was left. Both read the problem's integer columns and the
:class:`~budgetpolicy.allocation.result.Outcome`; neither allocates.
"""

from __future__ import annotations

from bisect import bisect_left

from attrs import field, frozen

from budgetpolicy.allocation.problem import LIMIT_DEPARTMENT, LIMIT_KIND, Problem
from budgetpolicy.allocation.result import Outcome


@frozen
class Covered:
    """The greedy run again with every candidate covered (see the module docstring), in rank order."""

    taken: list[int]  # units the main phase takes before each rank position (n + 1 entries, running sums)
    room: list[int]  # units each candidate's caps and request would let it take in the main phase
    limit: list[str]  # which cap sets that room ("" for its own request)
    need: list[int]  # the least units the main phase gives it
    slack: list[int]  # units its caps had to spare beyond its room (negative: a cap set the room)
    reserve_taken: int  # units the reserve phase takes in all
    reserve_grows: bool  # the reserve is a share of the pool


def covered(problem: Problem, out: Outcome, base: list[int], grows: bool | None = None) -> Covered | None:
    """The run with every candidate covered: the baseline phase as it ran (``base``: its grants), the
    reserve phase covering all its candidates (when the reserve grows with the pool; else as it ran), and
    the main phase's room per candidate. None when the baseline phase was ever short of money (then
    extra pool would change it). ``grows=False``: the reserve phase as it ran, whatever the reserve."""
    n = len(problem)
    in_baseline = [pos for pos in range(n) if any(problem.baseline_floors[b] > 0 for b in problem.baselines_of(pos))]
    if in_baseline and problem.pool - problem.reserve - sum(base) < max(problem.target[pos] for pos in in_baseline):
        return None
    res = problem.policy.reserve
    if grows is None:
        grows = res is not None and res.amount is None and bool(res.share)
    used: dict[tuple[str, str], int] = {}

    def caps_room(pos: int, want: int) -> tuple[int, str]:
        c = problem.candidate(pos)
        room, limit = want, ""
        for key, caps, name in ((("department", c.department), problem.per_department, LIMIT_DEPARTMENT),
                                (("kind", c.kind), problem.per_kind, LIMIT_KIND)):
            cap = caps.get(key[1])
            if cap is not None and cap - used.get(key, 0) < room:
                room, limit = cap - used.get(key, 0), name
        return room, limit

    def spare(pos: int, want: int) -> int:
        c = problem.candidate(pos)
        caps = ((problem.per_department.get(c.department), ("department", c.department)),
                (problem.per_kind.get(c.kind), ("kind", c.kind)))
        return min((cap - used.get(key, 0) - want for cap, key in caps if cap is not None), default=want + 2**62)

    def give(pos: int, units: int) -> None:
        c = problem.candidate(pos)
        for key in (("department", c.department), ("kind", c.kind)):
            used[key] = used.get(key, 0) + units

    for pos in range(n):
        give(pos, base[pos])
    before = list(base)  # what each candidate holds when the main phase reaches it
    reserve_taken = 0
    for pos in range(n):
        if not problem.reserve_ok[pos]:
            continue
        if grows:
            room, _ = caps_room(pos, problem.target[pos] - before[pos])
            got = room if room >= (problem.minimum[pos] if before[pos] == 0 else 1) and room > 0 else 0
        else:
            got = out.from_res[pos]
        give(pos, got)
        before[pos] += got
        reserve_taken += got
    taken, rooms, limits, needs, slack = [0] * (n + 1), [0] * n, [""] * n, [0] * n, [0] * n
    for pos in range(n):
        want = problem.target[pos] - before[pos]
        need = problem.minimum[pos] if before[pos] == 0 else 1
        room, limit = caps_room(pos, want) if want > 0 else (0, "")
        rooms[pos], limits[pos], needs[pos], slack[pos] = room, limit, need, spare(pos, want)
        got = room if want > 0 and room >= need else 0
        give(pos, got)
        taken[pos + 1] = taken[pos] + got
    return Covered(taken, rooms, limits, needs, slack, reserve_taken, grows)


@frozen
class Absorbers:
    """Where a larger reserve goes, when its first short candidate took all that was left: to that one
    (``first``, up to ``room`` more units), then, beyond that, in rank order to the reserve candidates
    after it (``later``: rank positions; ``need``: the least each takes; ``safe``: whether one taking more
    in the reserve phase leaves every cap as roomy for the candidates ranked ahead of it)."""

    first: int
    room: int
    later: list[int] = field(eq=False, repr=False)
    need: list[int] = field(eq=False, repr=False)
    safe: list[bool] = field(eq=False, repr=False)

    def neutral_up_to(self, t: int) -> int | None:
        """How many units of reserve growth reach only candidates ranked ahead of position ``t`` (who end
        with the same totals whichever phase pays them); None when even the first is not ahead of it."""
        if self.first >= t or not self.safe[0]:
            return None
        k = bisect_left(self.later, t)
        if not all(self.safe[1:k + 1]):
            return self.room
        behind = min(self.need[k:], default=None)  # a growth this small reaches no one from t on
        return self.room + behind - 1 if behind is not None else self.room + 2**62


def absorbers(problem: Problem, out: Outcome, base: list[int], as_run: Covered) -> Absorbers | None:
    """The :class:`Absorbers` of the reserve phase as it ran; None when the reserve does not grow with the
    pool, never ran short, or skipped its first short candidate (then the next ones share a larger reserve)."""
    res = problem.policy.reserve
    if res is None or res.amount is not None or not res.share:
        return None
    used = _usage(problem, base)
    # The least main-phase slack of every department and kind ahead of each rank position.
    tightest: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for pos in range(len(problem)):
        c = problem.candidate(pos)
        for key in (("department", c.department), ("kind", c.kind)):
            runs = tightest.setdefault(key, [])
            runs.append((pos, min(as_run.slack[pos], runs[-1][1]) if runs else as_run.slack[pos]))

    def safe(pos: int, more: int) -> bool:
        c = problem.candidate(pos)
        for key in (("department", c.department), ("kind", c.kind)):
            runs = tightest.get(key, [])
            k = bisect_left(runs, (pos, -2**63)) - 1
            if k >= 0 and runs[k][1] < more:
                return False
        return True

    left = problem.reserve
    first: tuple[int, int] | None = None
    later: list[int] = []
    needs: list[int] = []
    safes: list[bool] = []
    for pos in range(len(problem)):
        if not problem.reserve_ok[pos]:
            continue
        c = problem.candidate(pos)
        room = problem.target[pos] - base[pos]
        for key, cap in ((("department", c.department), problem.per_department.get(c.department)),
                         (("kind", c.kind), problem.per_kind.get(c.kind))):
            if cap is not None:
                room = min(room, cap - used.get(key, 0))
        need = problem.minimum[pos] if base[pos] == 0 else 1
        if first is not None:
            if room >= need:  # it could take a share of a larger reserve
                later.append(pos)
                needs.append(need)
                safes.append(safe(pos, room))
            continue
        if left == 0 or left >= room:
            for key in (("department", c.department), ("kind", c.kind)):
                used[key] = used.get(key, 0) + out.from_res[pos]
            left -= out.from_res[pos]
            continue
        if out.from_res[pos] != left:  # skipped: what was left went on to the next ones
            return None
        first = (pos, room - left)
        safes.append(safe(pos, room - left))
    if first is None:
        return None
    return Absorbers(first[0], first[1], later, needs, safes)


def _usage(problem: Problem, units: list[int]) -> dict[tuple[str, str], int]:
    """Units per ("department", name) and ("kind", name), given ``units`` per rank position."""
    used: dict[tuple[str, str], int] = {}
    for pos in range(len(problem)):
        c = problem.candidate(pos)
        for key in (("department", c.department), ("kind", c.kind)):
            used[key] = used.get(key, 0) + units[pos]
    return used
