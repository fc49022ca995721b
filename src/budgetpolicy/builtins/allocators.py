"""Built-in allocators, registered through the same hooks as third-party plugins.

``greedy`` (the default) ranks by value per cost; ``optimal`` maximises total
value with the HiGHS solver. Both honour the same pool, baselines, reserve,
caps and minimum viable rules (see ``docs/allocation.md``). Importing them is
cheap: the optimal strategy imports scipy only when it first solves.
"""

from __future__ import annotations

from collections.abc import Callable

from budgetpolicy.hookspecs import hookimpl
from budgetpolicy.allocation.greedy import greedy_allocate
from budgetpolicy.allocation.optimal import optimal_allocate


@hookimpl
def register_allocators(register: Callable[..., None]) -> None:
    register("greedy", greedy_allocate, description="By value per cost, with baselines and reserve first")
    register("optimal", optimal_allocate, description="Maximise total value under the same constraints (HiGHS)")
