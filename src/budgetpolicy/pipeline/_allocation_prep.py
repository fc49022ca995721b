"""Shared groundwork of every allocation strategy: money as integer units, ranking, limits, wording.

The allocation stage (:mod:`budgetpolicy.pipeline.allocate`) converts the pool,
every request, cap, baseline and the reserve to whole multiples of the
policy's ``unit`` once, here, so that strategies add and compare plain
integers: a sum of integer units times the unit is exact, which is what makes
"never over the pool, to the cent" a property rather than a hope. The same
ranking (value per cost, then the tie-break) and the same wording of
explanations serve the greedy and the optimal strategy.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal, localcontext
from typing import Any

from attrs import frozen

from budgetpolicy.errors import AllocationError, Location
from budgetpolicy.model import AllocationPolicy

# Directions of the tie-break keys: bigger score/value first, cheaper first, ids ascending.
TIE_BREAK_KEYS: tuple[str, ...] = ("score", "value", "expected_value", "cost", "id")
CENT = Decimal("0.01")


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


def money(amount: Decimal) -> str:
    """``12000`` -> ``12,000``; cents are shown only when there are some."""
    if amount == amount.to_integral_value():
        return f"{amount.to_integral_value():,}"
    return f"{amount.normalize():,f}" if amount.normalize().as_tuple().exponent < -2 else f"{amount:,.2f}"


def ratio_text(ratio: Decimal | None) -> str:
    """A value-per-cost ratio with two significant digits, never in scientific notation."""
    if ratio is None:
        return "free"
    if ratio == 0:
        return "0"
    with localcontext() as ctx:
        ctx.prec = 2
        rounded = +ratio
    return format(rounded, "f")


@frozen
class Item:
    """One candidate prepared for allocation: limits in units and its place in the ranking."""

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


@frozen
class Problem:
    """The whole allocation problem in integer units, shared by every strategy."""

    policy: AllocationPolicy
    unit: Decimal
    pool: int
    reserve: int
    baseline_floors: tuple[int, ...]
    per_department: dict[str, int]
    per_kind: dict[str, int]
    ranked: tuple[Item, ...]  # best first
    value_label: str  # "EV/cost" or "score/cost"

    def amount(self, units: int) -> Decimal:
        return units * self.unit


def rank_key(policy: AllocationPolicy) -> Any:
    """Sort key: zero-cost first, then value/cost descending, then the policy's tie-break, then id."""
    keys = list(policy.tie_break)
    if "id" not in keys:
        keys.append("id")  # ids are unique, so the order is total and input order never matters

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


def prepare(candidates: Sequence[Any], policy: AllocationPolicy) -> Problem:
    """Check the candidates and convert everything to units; raises AllocationError on bad input."""
    unit = policy.unit
    if unit <= 0 or policy.pool <= 0:
        raise AllocationError(f"allocation needs pool > 0 and unit > 0 (pool {policy.pool}, unit {unit})",
                              Location(key="allocation.pool" if policy.pool <= 0 else "allocation.unit"),
                              hint="validate the policy first (budgetpolicy validate)", code="BP621")
    pool = floor_units(policy.pool, unit)
    reserve = 0
    res = policy.reserve
    if res is not None:
        amount = res.amount if res.amount is not None else policy.pool * (res.share or 0)
        reserve = min(floor_units(amount, unit), pool)
    caps = policy.caps
    per_init = floor_units(caps.per_initiative, unit) if caps.per_initiative is not None else None
    seen: set[str] = set()
    items: list[Item] = []
    for index, c in enumerate(candidates):
        if c.id in seen:
            raise AllocationError(f"candidate '{c.id}' appears twice", Location(key=f"candidates[{index}]"),
                                  hint="each initiative is allocated once; make ids unique", code="BP622")
        seen.add(c.id)
        if c.cost < 0 or c.value < 0:
            what = "cost" if c.cost < 0 else "value"
            raise AllocationError(f"candidate '{c.id}' has a negative {what}", Location(key=f"candidates[{index}]",
                                  field=what), hint="costs and values must be >= 0", code="BP623")
        requested = request_units(c.cost, unit, policy.rounding)
        target = requested if per_init is None else min(requested, per_init)
        if policy.partial:
            floor = max(policy.min_viable, policy.min_viable_share * c.cost)
            minimum = min(max(ceil_units(floor, unit), 1), target)
        else:
            minimum = target
        ratio = None if c.cost == 0 else c.value / c.cost
        reserve_ok = res is not None and (c.kind in res.kinds or (res.include_pilots and bool(c.pilot)))
        matches = tuple(b for b, base in enumerate(policy.baselines) if _matches(base, c))
        items.append(Item(index, c.id, c.cost, c.value, c.score, c.kind, c.department, tuple(c.priorities),
                          ratio, target, requested, minimum, reserve_ok, matches))
    items.sort(key=rank_key(policy))
    from attrs import evolve

    ranked = tuple(evolve(item, rank=n) for n, item in enumerate(items, start=1))
    return Problem(
        policy=policy, unit=unit, pool=pool, reserve=reserve,
        baseline_floors=tuple(floor_units(b.amount, unit) for b in policy.baselines),
        per_department={k: floor_units(v, unit) for k, v in caps.per_department.items()},
        per_kind={k: floor_units(v, unit) for k, v in caps.per_kind.items()},
        ranked=ranked, value_label="EV/cost" if policy.value == "expected_value" else "score/cost",
    )


def _matches(baseline: Any, candidate: Any) -> bool:
    # Every selector the baseline names must match; a baseline naming none covers everyone.
    return ((baseline.role is None or baseline.role == candidate.role)
            and (baseline.department is None or baseline.department == candidate.department)
            and (baseline.kind is None or baseline.kind == candidate.kind))


# -- explanations -------------------------------------------------------------

# Why an initiative got less than its request: the limit that stopped it.
LIMIT_POOL, LIMIT_RESERVE, LIMIT_DEPARTMENT, LIMIT_KIND = "pool", "reserve", "department", "kind"


def limit_text(problem: Problem, item: Item, limit: str) -> str:
    caps = problem.policy.caps
    if limit == LIMIT_DEPARTMENT:
        return f"department cap {item.department} ({money(caps.per_department[item.department])})"
    if limit == LIMIT_KIND:
        return f"kind cap {item.kind} ({money(caps.per_kind[item.kind])})"
    return "the reserve" if limit == LIMIT_RESERVE else "the pool"


def explain(problem: Problem, item: Item, funded: int, step: str, limit: str | None, room: int,
            optimal: bool = False) -> str:
    """The plain-English reason for one initiative's funding (see docs/allocation.md)."""
    label = f"{problem.value_label} {ratio_text(item.ratio)}"
    by_rank = f"rank {item.rank} ({label})"
    amount, requested = money(problem.amount(funded)), money(item.cost)
    if item.target == 0:
        if item.cost == 0:
            return f"funded by {by_rank}: nothing requested"
        return f"funded by {by_rank}: the request {requested} rounds to 0 at unit {money(problem.unit)}"
    if funded == 0:
        if optimal:
            return f"unfunded: not in the optimal selection at {label} (rank {item.rank})"
        if limit in (LIMIT_DEPARTMENT, LIMIT_KIND):
            text = f"unfunded: {limit_text(problem, item, limit)} reached"
            if room > 0:
                text += f" ({money(problem.amount(room))} left, {_short_of(problem, item)})"
            return text
        if room > 0:
            return f"unfunded: only {money(problem.amount(room))} left in the pool, {_short_of(problem, item)}"
        return f"unfunded: ranked below the cut-off at {label}"
    if step.startswith("baseline:"):
        head = f"funded in baseline {step.split(':', 1)[1]}"
    elif step == "reserve":
        head = "funded from the reserve"
    else:
        head = f"funded by the optimiser at {label} (rank {item.rank})" if optimal else f"funded by {by_rank}"
    if funded >= item.requested:
        return head
    if funded >= item.target:  # the per-initiative cap is what held it back
        cap = problem.policy.caps.per_initiative
        return f"capped by per-initiative cap ({money(cap or Decimal(0))}): {amount} of {requested}; {head}"
    if limit in (LIMIT_DEPARTMENT, LIMIT_KIND):
        return f"capped by {limit_text(problem, item, limit)}: {amount} of {requested}; {head}"
    if optimal:
        return f"partially funded ({amount} of {requested}) in the optimal split of the pool; {head}"
    why = f"{limit_text(problem, item, limit or LIMIT_POOL)} ran out"
    return f"partially funded ({amount} of {requested}) because {why}; {head}"


def _short_of(problem: Problem, item: Item) -> str:
    if not problem.policy.partial:
        return f"all-or-nothing needs {money(problem.amount(item.target))} (partial funding is off)"
    return f"below minimum viable funding {money(problem.amount(item.minimum))}"
