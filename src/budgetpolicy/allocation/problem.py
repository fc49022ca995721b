"""Shared groundwork of every allocation strategy: money as integer units, ranking, limits.

The allocation stage (:mod:`budgetpolicy.allocation.allocate`) converts the pool,
every request, cap, baseline and the reserve to whole multiples of the
policy's ``unit`` once, here, so that strategies add and compare plain
integers: a sum of integer units times the unit is exact, which is what makes
"never over the pool, to the cent" a property rather than a hope. The same
ranking (value per cost, then the tie-break) and the same limits (the
``LIMIT_*`` names of what stopped a candidate) serve the greedy and the
optimal strategy; :mod:`budgetpolicy.allocation.wording` words them.

Per-candidate data is kept in columns (``array`` of machine ints, a few bytes
per candidate) indexed by rank position, not in an object per candidate:
:class:`Item` objects are built on demand for explanations and the optimal
strategy, so a streamed portfolio of 500,000 candidates costs the allocator
tens of MB.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Context, Decimal, getcontext, localcontext
from functools import cached_property
from typing import Any

from attrs import frozen

from budgetpolicy.errors import AllocationError, Location
from budgetpolicy.model import AllocationPolicy

CENT = Decimal("0.01")

# Why an initiative got less than its request: the limit that stopped it.
LIMIT_POOL, LIMIT_RESERVE, LIMIT_DEPARTMENT, LIMIT_KIND = "pool", "reserve", "department", "kind"
LIMITS = (LIMIT_POOL, LIMIT_RESERVE, LIMIT_DEPARTMENT, LIMIT_KIND)
# "baseline:<index>": the pool ran short because that baseline's floor was funded first (greedy).
LIMIT_BASELINE = "baseline"


def floor_units(amount: Decimal, unit: Decimal) -> int:
    """Whole units in ``amount``, rounded down (pool, caps, baselines, reserve: never over)."""
    with localcontext() as ctx:
        ctx.prec = 60  # amounts up to 1e40 divide exactly enough for the integral part
        return int((amount / unit).to_integral_value(rounding=ROUND_FLOOR))


def request_units(cost: Decimal, unit: Decimal, rounding: str) -> int:
    """A request in whole units: ``down`` floors, ``half_even`` rounds to the nearest unit."""
    with localcontext() as ctx:
        ctx.prec = 60
        mode = ROUND_HALF_EVEN if rounding == "half_even" else ROUND_FLOOR
        return int((cost / unit).to_integral_value(rounding=mode))


def ceil_units(amount: Decimal, unit: Decimal) -> int:
    """Whole units needed to reach ``amount`` (minimum viable funding: at least that much)."""
    with localcontext() as ctx:
        ctx.prec = 60
        return int((amount / unit).to_integral_value(rounding=ROUND_CEILING))


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
class Item:
    """One candidate prepared for allocation: limits in units and its place in the ranking.

    Built on demand by :attr:`Problem.ranked` / :meth:`Problem.item` (explanations, the optimal
    strategy, plugins); the greedy strategy reads the problem's columns directly.
    """

    index: int  # position in the caller's sequence
    id: str
    cost: Decimal
    value: Decimal
    score: Decimal
    kind: str
    department: str
    priorities: tuple[str, ...]
    ratio: Decimal | None  # value per unit of cost; None for a zero-cost request
    target: int  # units funded when fully funded (request rounded, then per-initiative cap)
    requested: int  # the request in units before the per-initiative cap
    minimum: int  # fewest units worth giving (min viable; the target when all-or-nothing)
    reserve_ok: bool
    baselines: tuple[int, ...]  # indexes of the baselines this candidate counts toward
    rank: int = 0  # 1-based position in the ranking


# Integer columns hold one entry per candidate: 8-byte machine integers (array 'q'), or a plain list
# when some amount in units does not fit in 63 bits (only with absurd amounts or a tiny unit).
IntColumn = Any


def int_column(values: Iterable[int] = ()) -> IntColumn:
    """An int column from ``values``: an array('q') when every value fits, else a list."""
    values = values if isinstance(values, (list, array)) else list(values)
    try:
        return array("q", values)
    except OverflowError:
        return list(values)


def zeros(n: int, wide: bool = False) -> IntColumn:
    """A column of ``n`` zeros that can take any int when ``wide``."""
    return [0] * n if wide else array("q", bytes(8 * n))


@frozen
class Problem:
    """The whole allocation problem in integer units, shared by every strategy.

    Per-candidate data lives in compact columns indexed by rank position (``pos = rank - 1``)
    rather than in an object per candidate: a streamed portfolio has hundreds of thousands of
    candidates and the allocator must not multiply their memory. ``ranked`` and ``item(pos)``
    give the same data as :class:`Item` objects, built on demand.
    """

    policy: AllocationPolicy
    unit: Decimal
    pool: int
    reserve: int
    baseline_floors: tuple[int, ...]
    per_department: dict[str, int]
    per_kind: dict[str, int]
    value_label: str  # "EV/cost" or "score/cost"
    candidates: tuple[Any, ...]  # as given to prepare()
    order: IntColumn  # rank position -> index in ``candidates`` (best first)
    position: IntColumn  # index in ``candidates`` -> rank position
    by_id: IntColumn  # indexes in ``candidates`` sorted by id (lookups by id)
    target: IntColumn  # by rank position, as the fields of Item
    requested: IntColumn
    minimum: IntColumn
    reserve_ok: bytearray
    match: IntColumn  # by rank position: index into ``match_sets`` (array("H"), or a list when wide)
    match_sets: tuple[tuple[int, ...], ...]  # distinct baseline index tuples
    context: Context  # the decimal context prepare() ran in: ratios and amounts use it again later
    wide: bool = False  # some column holds ints beyond 63 bits (lists, not arrays)

    def amount(self, units: int) -> Decimal:
        return self.context.multiply(units, self.unit)

    def __len__(self) -> int:
        return len(self.order)

    def candidate(self, pos: int) -> Any:
        return self.candidates[self.order[pos]]

    def ratio(self, candidate: Any) -> Decimal | None:
        """Value per cost (None for a zero-cost request), computed as prepare() ranked it."""
        return None if candidate.cost == 0 else self.context.divide(candidate.value, candidate.cost)

    def baselines_of(self, pos: int) -> tuple[int, ...]:
        return self.match_sets[self.match[pos]]

    def item(self, pos: int) -> Item:
        """The candidate at rank position ``pos`` (0-based) as an :class:`Item`."""
        index = self.order[pos]
        c = self.candidates[index]
        return Item(index, c.id, c.cost, c.value, c.score, c.kind, c.department, tuple(c.priorities),
                    self.ratio(c), self.target[pos], self.requested[pos], self.minimum[pos],
                    bool(self.reserve_ok[pos]), self.baselines_of(pos), pos + 1)

    @cached_property
    def ranked(self) -> tuple[Item, ...]:
        """Every candidate as an :class:`Item`, best first (built on first use, then kept)."""
        return tuple(self.item(pos) for pos in range(len(self.order)))

    def index_of(self, candidate_id: Any) -> int:
        """The index in ``candidates`` of the candidate with this id, or -1."""
        cands, by_id = self.candidates, self.by_id
        try:
            k = bisect_left(by_id, candidate_id, key=lambda i: cands[i].id)
        except TypeError:  # an id of another type than the candidates' ids
            return -1
        return by_id[k] if k < len(by_id) and cands[by_id[k]].id == candidate_id else -1


def rank_key(policy: AllocationPolicy) -> Any:
    """Sort key on an :class:`Item`: zero-cost first, then value/cost descending, then the policy's
    tie-break, then id. :func:`prepare` ranks in the same order without building the keys."""
    keys = _rank_keys(policy)

    def key(item: Item) -> tuple[Any, ...]:
        parts: list[Any] = [0 if item.ratio is None else 1, -(item.ratio or 0)]
        for name in keys:
            if name == "score":
                parts.append(-item.score)
            elif name in ("value", "expected_value"):
                parts.append(-item.value)
            elif name == "cost":
                parts.append(item.cost)
            elif name == "id":
                parts.append(item.id)
        return tuple(parts)

    return key


def _rank_keys(policy: AllocationPolicy) -> list[str]:
    keys = list(policy.tie_break)
    if "id" not in keys:
        keys.append("id")  # ids are unique, so the order is total and input order never matters
    return keys


def _rank_order(candidates: Sequence[Any], by_id: list[int], policy: AllocationPolicy,
                context: Context) -> list[int]:
    """Indexes of ``candidates``, best first, in :func:`rank_key` order.

    One stable sort per key, least significant first, on the candidates' own attributes: the
    same order as sorting by the whole key tuple, without a tuple (and negated Decimals) per
    candidate. Starts from ``by_id`` (sorted by id); keys after "id" never matter, ids being unique.
    """
    keys = _rank_keys(policy)
    order = list(by_id)
    for name in reversed(keys[:keys.index("id")]):
        if name == "score":
            order.sort(key=lambda i: candidates[i].score, reverse=True)
        elif name in ("value", "expected_value"):
            order.sort(key=lambda i: candidates[i].value, reverse=True)
        elif name == "cost":
            order.sort(key=lambda i: candidates[i].cost)

    def ratio(i: int) -> Any:
        c = candidates[i]
        return 0 if c.cost == 0 else context.divide(c.value, c.cost)

    # Value per cost, descending. Sorted on floats (8 bytes per candidate here, where a Decimal key
    # takes over 100): float() of a Decimal is correctly rounded, so never out of order, but it can
    # make different ratios equal; each run of equal floats is then sorted again on the exact ratio.
    approx = array("d", (float(ratio(i)) for i in range(len(candidates))))
    order.sort(key=approx.__getitem__, reverse=True)
    start = 0
    for end in range(1, len(order) + 1):
        if end == len(order) or approx[order[end]] != approx[order[start]]:
            if end - start > 1:
                order[start:end] = sorted(order[start:end], key=ratio, reverse=True)
            start = end
    order.sort(key=lambda i: candidates[i].cost != 0)  # zero-cost requests first
    return order


def prepare(candidates: Sequence[Any], policy: AllocationPolicy) -> Problem:
    """Check the candidates and convert everything to units; raises AllocationError on bad input."""
    unit = policy.unit
    if unit <= 0 or policy.pool <= 0:
        raise AllocationError(f"allocation needs pool > 0 and unit > 0 (pool {policy.pool}, unit {unit})",
                              Location(key="allocation.pool" if policy.pool <= 0 else "allocation.unit"),
                              hint="validate the policy first (budgetpolicy validate)", code="BP621")
    context = getcontext().copy()
    candidates = tuple(candidates)  # a snapshot (8 bytes each): the caller's list may change later
    pool = floor_units(policy.pool, unit)
    reserve = 0
    res = policy.reserve
    if res is not None:
        amount = res.amount if res.amount is not None else policy.pool * (res.share or 0)
        reserve = min(floor_units(amount, unit), pool)
    by_id = sorted(range(len(candidates)), key=lambda i: candidates[i].id)
    _check_candidates(candidates, by_id)
    order = _rank_order(candidates, by_id, policy, context)
    by_id_column = int_column(by_id)
    del by_id
    columns = _columns(candidates, order, policy, unit, array)
    if columns is None:
        columns = _columns(candidates, order, policy, unit, list)
        assert columns is not None
    target, requested, minimum, reserve_ok, match, match_sets = columns
    position = zeros(len(order))
    for pos, index in enumerate(order):
        position[index] = pos
    caps = policy.caps
    return Problem(
        policy=policy, unit=unit, pool=pool, reserve=reserve,
        baseline_floors=tuple(floor_units(b.amount, unit) for b in policy.baselines),
        per_department={k: floor_units(v, unit) for k, v in caps.per_department.items()},
        per_kind={k: floor_units(v, unit) for k, v in caps.per_kind.items()},
        value_label="EV/cost" if policy.value == "expected_value" else "score/cost",
        candidates=candidates, order=int_column(order), position=position, by_id=by_id_column,
        target=target, requested=requested, minimum=minimum, reserve_ok=reserve_ok, match=match,
        match_sets=match_sets, context=context, wide=isinstance(target, list),
    )


def _check_candidates(candidates: Sequence[Any], by_id: list[int]) -> None:
    """BP622 (a repeated id) or BP623 (a negative cost or value), for the first offending index."""
    negative = next((i for i, c in enumerate(candidates) if c.cost < 0 or c.value < 0), None)
    # by_id is a stable sort: within a run of equal ids, the second index is the first repeat.
    repeat = min((by_id[k + 1] for k in range(len(by_id) - 1)
                  if candidates[by_id[k]].id == candidates[by_id[k + 1]].id), default=None)
    if repeat is not None and (negative is None or repeat <= negative):
        c = candidates[repeat]
        raise AllocationError(f"candidate '{c.id}' appears twice", Location(key=f"candidates[{repeat}]"),
                              hint="each initiative is allocated once; make ids unique", code="BP622")
    if negative is not None:
        c = candidates[negative]
        what = "cost" if c.cost < 0 else "value"
        raise AllocationError(f"candidate '{c.id}' has a negative {what}", Location(key=f"candidates[{negative}]",
                              field=what), hint="costs and values must be >= 0", code="BP623")


def _columns(candidates: Sequence[Any], order: list[int], policy: AllocationPolicy, unit: Decimal,
             kind: Any) -> tuple[Any, ...] | None:
    """The per-candidate columns in rank order; None when an int does not fit an ``array`` column."""
    def column() -> Any:
        return array("q") if kind is array else []

    target, requested, minimum = column(), column(), column()
    reserve_ok = bytearray()
    match: Any = array("H") if kind is array else []
    match_sets: dict[tuple[int, ...], int] = {}
    caps, res = policy.caps, policy.reserve
    per_init = floor_units(caps.per_initiative, unit) if caps.per_initiative is not None else None
    try:
        for index in order:
            c = candidates[index]
            wanted = request_units(c.cost, unit, policy.rounding)
            top = wanted if per_init is None else min(wanted, per_init)
            if policy.partial:
                floor = max(policy.min_viable, policy.min_viable_share * c.cost)
                least = min(max(ceil_units(floor, unit), 1), top)
            else:
                least = top
            requested.append(wanted)
            target.append(top)
            minimum.append(least)
            reserve_ok.append(res is not None and (c.kind in res.kinds or (res.include_pilots and bool(c.pilot))))
            matches = tuple(b for b, base in enumerate(policy.baselines) if _matches(base, c))
            match.append(match_sets.setdefault(matches, len(match_sets)))
    except OverflowError:
        return None
    return target, requested, minimum, reserve_ok, match, tuple(match_sets)


def _matches(baseline: Any, candidate: Any) -> bool:
    # Every selector the baseline names must match; a baseline naming none covers everyone.
    return ((baseline.role is None or baseline.role == candidate.role)
            and (baseline.department is None or baseline.department == candidate.department)
            and (baseline.kind is None or baseline.kind == candidate.kind))
