"""Built-in allocators, registered through the same hooks as third-party plugins.

``greedy`` (the default) ranks by value per cost; ``optimal`` maximises total
value with the HiGHS solver. Both honour the same pool, baselines, reserve,
caps and minimum viable rules (see ``docs/allocation.md``).
"""

from __future__ import annotations

from collections.abc import Callable

from budgetpolicy.hookspecs import hookimpl


@hookimpl
def register_allocators(register: Callable[..., None]) -> None:
    from budgetpolicy.pipeline.allocate import greedy_allocate
    from budgetpolicy.pipeline.optimal import optimal_allocate

    register("greedy", greedy_allocate, description="By value per cost, with baselines and reserve first")
    register("optimal", optimal_allocate, description="Maximise total value under the same constraints (HiGHS)")
