"""The wording of allocation: the plain-English reason for each initiative's funding.

Every strategy records per candidate the units it got, the step that funded it and the limit
that stopped it (the result's ``Outcome``); the result turns that into text here, when a
:class:`~budgetpolicy.model.Funding` is read. One wording serves the greedy and the optimal
strategy (``optimal=True`` words what the optimiser chose); the sentences are documented in
``docs/allocation.md`` and kept by the golden outputs.
"""

from __future__ import annotations

from decimal import Decimal

from budgetpolicy.formatting import money_compact, ratio_text
from budgetpolicy.allocation.problem import (
    LIMIT_DEPARTMENT, LIMIT_KIND, LIMIT_POOL, LIMIT_RESERVE, Item, Problem,
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
    label = f"{problem.value_label} {ratio_text(item.ratio)}"
    by_rank = f"rank {item.rank} ({label})"
    amount, requested = money_compact(problem.amount(funded)), money_compact(item.cost)
    if item.target == 0:
        if item.cost == 0:
            return f"funded by {by_rank}: nothing requested"
        return f"funded by {by_rank}: the request {requested} rounds to 0 at unit {money_compact(problem.unit)}"
    if funded == 0:
        if optimal:
            return f"unfunded: not in the optimal selection at {label} (rank {item.rank})"
        if limit in (LIMIT_DEPARTMENT, LIMIT_KIND):
            text = f"unfunded: {limit_text(problem, item, limit)} reached"
            if room > 0:
                text += f" ({money_compact(problem.amount(room))} left, {_short_of(problem, item)})"
            return text
        if room > 0:
            return f"unfunded: only {money_compact(problem.amount(room))} left in the pool, {_short_of(problem, item)}"
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
        return f"capped by per-initiative cap ({money_compact(cap or Decimal(0))}): {amount} of {requested}; {head}"
    if limit in (LIMIT_DEPARTMENT, LIMIT_KIND):
        return f"capped by {limit_text(problem, item, limit)}: {amount} of {requested}; {head}"
    if optimal:
        return f"partially funded ({amount} of {requested}) in the optimal split of the pool; {head}"
    why = f"{limit_text(problem, item, limit or LIMIT_POOL)} ran out"
    return f"partially funded ({amount} of {requested}) because {why}; {head}"


def _short_of(problem: Problem, item: Item) -> str:
    if not problem.policy.partial:
        return f"all-or-nothing needs {money_compact(problem.amount(item.target))} (partial funding is off)"
    return f"below minimum viable funding {money_compact(problem.amount(item.minimum))}"
