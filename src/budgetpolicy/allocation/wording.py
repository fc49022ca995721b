"""The wording of allocation: the plain-English reason for each initiative's funding.

An unfunded candidate's reason names the constraint that binds: the pool (how much was left, the
reserve when it is held back from this candidate, and the baseline whose floor was funded first when
that is what took the money), a department or kind cap (how much of it was used and left: a larger
pool would not fund it; the greedy strategy records a short cap over a short pool), the minimum
viable amount or all-or-nothing funding. The optimal strategy names the same limits, read from
what its allocation leaves of each; where none of them stops a candidate the optimiser simply
chose others. Ratios read per 1,000 spent.

Every strategy records per candidate the units it got, the step that funded it and the limit
that stopped it (the result's ``Outcome``); the result turns that into text here, when a
:class:`~budgetpolicy.model.Funding` is read. One wording serves the greedy and the optimal
strategy (``optimal=True`` words what the optimiser chose); the sentences are documented in
``docs/allocation.md`` and kept by the golden outputs.
"""

from __future__ import annotations

from decimal import Decimal

from budgetpolicy.formatting import money_compact, per_thousand
from budgetpolicy.allocation.problem import (
    LIMIT_BASELINE, LIMIT_DEPARTMENT, LIMIT_KIND, LIMIT_POOL, LIMIT_RESERVE, Item, Problem,
)


def limit_text(problem: Problem, item: Item, limit: str) -> str:
    caps = problem.policy.caps
    if limit == LIMIT_DEPARTMENT:
        return f"department cap {item.department} ({money_compact(caps.per_department[item.department])})"
    if limit == LIMIT_KIND:
        return f"kind cap {item.kind} ({money_compact(caps.per_kind[item.kind])})"
    return "the reserve" if limit == LIMIT_RESERVE else "the pool"


def explain(problem: Problem, item: Item, funded: int, step: str, limit: str | None, room: int,
            optimal: bool = False) -> str:
    """The plain-English reason for one initiative's funding (see docs/allocation.md)."""
    label = value_per_thousand(problem, item)
    by_rank = f"rank {item.rank} ({label})"
    amount, requested = money_compact(problem.amount(funded)), money_compact(item.cost)
    if item.target == 0:
        if item.cost == 0:
            return f"funded by {by_rank}: nothing requested"
        return f"funded by {by_rank}: the request {requested} rounds to 0 at unit {money_compact(problem.unit)}"
    if funded == 0:
        return f"unfunded: {_unfunded(problem, item, limit, room, optimal)}"
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
        return f"capped by per-initiative cap ({money_compact(cap or Decimal(0))}): {amount} of {requested}; {head}"
    if limit in (LIMIT_DEPARTMENT, LIMIT_KIND):
        return f"capped by {limit_text(problem, item, limit)}: {amount} of {requested}; {head}"
    if optimal:
        return f"partially funded ({amount} of {requested}) in the optimal split of the pool; {head}"
    if limit and limit.startswith(f"{LIMIT_BASELINE}:"):
        why = f"the pool ran out after {_baseline(problem, limit)}"
    else:
        why = f"{limit_text(problem, item, limit or LIMIT_POOL)} ran out"
    return f"partially funded ({amount} of {requested}) because {why}; {head}"


def _unfunded(problem: Problem, item: Item, limit: str | None, room: int, optimal: bool) -> str:
    """Why an initiative got nothing: the cap, the pool (and the baseline or reserve that took it), the
    minimum viable amount it could not reach; for the optimal strategy, that the pool went to a
    selection worth more."""
    label = value_per_thousand(problem, item)
    if limit in (LIMIT_DEPARTMENT, LIMIT_KIND):
        return _cap_binds(problem, item, limit, room, optimal)
    if limit is None or (optimal and limit != LIMIT_POOL):
        return f"not in the optimal selection at {label} (rank {item.rank})"
    after = f" after {_baseline(problem, limit)}" if limit.startswith(f"{LIMIT_BASELINE}:") else ""
    if room > 0:
        return (f"only {money_compact(problem.amount(room))} left in the pool{after}{_held(problem, item)}, "
                f"{_short_of(problem, item)}")
    if optimal:
        return (f"the pool ({money_compact(problem.policy.pool)}) is spent on an optimal selection worth more"
                f"{_held(problem, item)}; {label} (rank {item.rank})")
    if after:
        return f"the pool ran out{after}; ranked at {label}{_held(problem, item)}"
    return f"ranked below the cut-off at {label}{_held(problem, item)}"


def _baseline(problem: Problem, limit: str) -> str:
    """``baseline sales-core (150) funded lower-ranked initiatives first`` for ``baseline:<index>``."""
    base = problem.policy.baselines[int(limit.split(":", 1)[1])]
    return f"baseline {base.id} ({money_compact(base.amount)}) funded lower-ranked initiatives first"


def value_per_thousand(problem: Problem, item: Item) -> str:
    """``EV 0.0015 per 1,000``: the ranking ratio per 1,000 spent (per unit it reads 0.0000015)."""
    word = "EV" if problem.value_label.startswith("EV") else "score"
    ratio = per_thousand(item.ratio)
    return f"{word} free" if item.ratio is None else f"{word} {ratio} per 1,000"


NO_POOL_HELPS = "a larger pool would not fund it"


def _cap_binds(problem: Problem, item: Item, limit: str, room: int, optimal: bool = False) -> str:
    """A department or kind cap that stops the candidate however large the pool: which cap, how much of
    it is used, and what the candidate needed. (The optimiser could spend a larger pool otherwise, so
    its sentence does not promise what a larger pool would not do.)"""
    cap = problem.per_department[item.department] if limit == LIMIT_DEPARTMENT else problem.per_kind[item.kind]
    used, left = money_compact(problem.amount(cap - room)), money_compact(problem.amount(room))
    tail = "" if optimal else f"; {NO_POOL_HELPS}"
    if room == 0:
        return f"{limit_text(problem, item, limit)} reached{tail}"
    return f"{limit_text(problem, item, limit)} binds: {used} used, {left} left, {_short_of(problem, item)}{tail}"


def _held(problem: Problem, item: Item) -> str:
    """Where the reserve is held back (not released) and the candidate may not use it, say so: it is part
    of why the pool was short."""
    reserve = problem.policy.reserve
    if problem.reserve == 0 or reserve is None or reserve.release_unused or item.reserve_ok:
        return ""
    return f" ({money_compact(problem.amount(problem.reserve))} held in the reserve for {', '.join(reserve.kinds)})"


def _short_of(problem: Problem, item: Item) -> str:
    if not problem.policy.partial:
        return f"all-or-nothing needs {money_compact(problem.amount(item.target))} (partial funding is off)"
    return f"below minimum viable funding {money_compact(problem.amount(item.minimum))}"
