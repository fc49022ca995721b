"""Small builders for the allocation tests: candidates and policies with readable defaults."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

from budgetpolicy.model import AllocationPolicy
from budgetpolicy.allocation.problem import Candidate
from budgetpolicy.allocation.result import AllocationResult


def cand(id: str, cost: Any, value: Any, *, score: Any = "0.5", kind: str = "training", department: str = "Sales",
         role: str | None = None, pilot: bool = False, priorities: tuple[str, ...] = ()) -> Candidate:
    return Candidate(id=id, cost=D(str(cost)), value=D(str(value)), score=D(str(score)), kind=kind,
                     department=department, role=role, pilot=pilot, priorities=priorities)


def pol(pool: Any, **kw: Any) -> AllocationPolicy:
    for key in ("unit", "min_viable", "min_viable_share", "time_limit", "mip_gap"):
        if key in kw:
            kw[key] = D(str(kw[key]))
    return AllocationPolicy(pool=D(str(pool)), **kw)


def amounts(result: AllocationResult) -> dict[str, D]:
    return {k: f.amount for k, f in result.fundings.items()}


def texts(result: AllocationResult) -> dict[str, str]:
    return {k: f.explanation for k, f in result.fundings.items()}


def total_value(result: AllocationResult, candidates: list[Candidate]) -> D:
    """Value funded: each candidate's value times its funded share of the request."""
    out = D(0)
    for c in candidates:
        amount = result.fundings[c.id].amount
        out += c.value if c.cost == 0 else c.value * amount / c.cost
    return out
