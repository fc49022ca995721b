"""The allocation stage's entry: run the strategy the policy names and check its result.

Runs after approval (:mod:`budgetpolicy.engine.compile` builds one
:class:`~budgetpolicy.allocation.problem.Candidate` per approved or pending
initiative) and before the narrative. :func:`allocate` picks the strategy named
by ``[allocation] strategy`` from the plugin registry (built-ins: ``greedy`` in
:mod:`budgetpolicy.allocation.greedy`, ``optimal`` in
:mod:`budgetpolicy.allocation.optimal`), runs it and checks that the result
funds every candidate and never exceeds the pool, whoever wrote the strategy.
The result (:mod:`budgetpolicy.allocation.result`) gives every candidate a
:class:`~budgetpolicy.model.Funding` (amount 0 when unfunded) with the step that
funded it and a plain-English explanation, and the totals. Rules and wording:
``docs/allocation.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal

from budgetpolicy.errors import AllocationError, Location
from budgetpolicy.model import AllocationPolicy
from budgetpolicy.registry import Registry
from budgetpolicy.allocation.greedy import greedy_allocate
from budgetpolicy.allocation.optimal import optimal_allocate
from budgetpolicy.allocation.problem import Candidate
from budgetpolicy.allocation.result import AllocationResult, PerCandidate


def allocate(candidates: Sequence[Candidate], policy: AllocationPolicy,
             registry: Registry | None = None) -> AllocationResult:
    """Allocate with the strategy the policy names; raises AllocationError.

    Without a ``registry`` only the built-in strategies (greedy, optimal) are known: plugin
    strategies come with the registry the caller built."""
    name = policy.strategy
    known = sorted(registry.allocators) if registry is not None else ["greedy", "optimal"]
    if name not in known:
        raise AllocationError(f"unknown allocation strategy '{name}'", Location(key="allocation.strategy"),
                              hint=f"registered strategies: {', '.join(known) or 'none'}", code="BP605")
    strategy: Callable[[Sequence[Candidate], AllocationPolicy], object]
    if registry is not None:
        strategy = registry.allocators[name].obj
    else:
        strategy = greedy_allocate if name == "greedy" else optimal_allocate
    return _checked(strategy(candidates, policy), candidates, policy, name)


def _checked(result: object, candidates: Sequence[Candidate], policy: AllocationPolicy,
             name: str) -> AllocationResult:
    """``result`` once it has passed the contract every strategy's result passes; raises BP624."""
    # A plugin strategy is trusted with nothing: the pool and completeness are checked here.
    if not isinstance(result, AllocationResult):
        raise AllocationError(f"strategy '{name}' returned {type(result).__name__}, not an AllocationResult",
                              Location(key="allocation.strategy"), code="BP624")
    fundings = result.fundings
    if isinstance(fundings, PerCandidate) and fundings.covers(candidates):
        # A built-in result over these very candidates: read the amounts from its columns rather
        # than building (and explaining) a Funding per candidate.
        missing, total, negative = [], fundings.total(), fundings.has_negative()
    else:
        missing = [c.id for c in candidates if c.id not in fundings]
        total = sum((f.amount for f in fundings.values()), Decimal(0))
        negative = any(f.amount < 0 for f in fundings.values())
    if missing or total > policy.pool or negative:
        if missing:
            what = f"no funding for {', '.join(missing[:3])}"
        elif negative:  # named, or the total below the pool would hide it (only on this error path)
            below = [f"{k} ({f.amount})" for k, f in fundings.items() if f.amount < 0]
            what = f"a negative amount for {', '.join(below[:3])}"
        else:
            what = f"allocated {total} of a pool of {policy.pool}"
        raise AllocationError(f"strategy '{name}' broke the allocation contract: {what}",
                              Location(key="allocation.strategy"),
                              hint="a strategy funds every candidate (0 when unfunded) and never exceeds the pool",
                              code="BP624")
    return result
