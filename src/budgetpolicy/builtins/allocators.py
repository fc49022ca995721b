"""Built-in allocators, registered through the same hooks as third-party plugins.

``greedy`` (the default) ranks by value per cost; ``optimal`` maximises total
value with the HiGHS solver. Both honour the same pool, baselines, reserve,
caps and minimum viable rules (see ``docs/allocation.md``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from budgetpolicy.hookspecs import hookimpl


@hookimpl
def register_allocators(register: Callable[..., None]) -> None:
    register("greedy", greedy_allocate, description="By value per cost, with baselines and reserve first")
    register("optimal", optimal_allocate, description="Maximise total value under the same constraints (HiGHS)")


def greedy_allocate(candidates: Sequence[Any], policy: Any, **options: Any) -> Any:
    """The greedy strategy, imported on first use, so that building the registry (every command,
    ``validate`` included) does not import the allocator."""
    from budgetpolicy.allocation.greedy import greedy_allocate as run

    return run(candidates, policy, **options)


def optimal_allocate(candidates: Sequence[Any], policy: Any, **options: Any) -> Any:
    """The HiGHS strategy, imported on first use: scipy takes about a second to import, and most
    commands (``--help``, ``validate``, greedy evaluations) never solve anything."""
    from budgetpolicy.allocation.optimal import optimal_allocate as solve

    return solve(candidates, policy, **options)
