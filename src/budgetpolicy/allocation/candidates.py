"""Who takes part in an allocation: one :class:`~budgetpolicy.allocation.problem.Candidate` per approved or
pending initiative, and the allocation settings with a what-if pool change applied.

The engine builds candidates after approval; the explanation stage builds them again to probe what a
different value or pool would fund. Both ask here, so the two always see the same problem.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from decimal import Decimal

from attrs import evolve

from budgetpolicy.allocation.problem import Candidate
from budgetpolicy.model import AllocationPolicy, Decision, Initiative, Policy

ELIGIBLE = ("approved", "pending_approval", "deferred")


def allocation_settings(policy: Policy, pool_delta: Decimal = Decimal(0)) -> AllocationPolicy | None:
    """The policy's allocation settings with a what-if pool change (+/-) applied, less the ``[requests]``
    reserve held back for mid-year requests (the plan allocates the rest); None without ``[allocation]``."""
    settings = policy.allocation
    held = policy.requests.reserve if policy.requests is not None else Decimal(0)
    if settings is not None and (pool_delta or held):
        settings = evolve(settings, pool=settings.pool + pool_delta - held)
    return settings


def allocation_candidates(initiatives: Sequence[Initiative], decisions: Sequence[Decision],
                          settings: AllocationPolicy) -> list[Candidate]:
    """One Candidate per approved or pending (or, after allocation, deferred) initiative, in input order."""
    # Categories are interned: a streamed portfolio keeps a Candidate per eligible initiative, and each
    # row read from a file would otherwise bring its own copy of "Engineering" or "training".
    intern = sys.intern
    by_value = settings.value == "expected_value"
    return [
        Candidate(id=i.id, cost=i.cost, value=d.expected_value if by_value else d.score,
                  score=d.score, kind=intern(i.kind), department=intern(i.department),
                  role=None if i.role is None else intern(i.role), pilot=i.pilot,
                  priorities=_shared(i.priorities))
        for i, d in zip(initiatives, decisions) if d.outcome in ELIGIBLE
    ]


_PRIORITY_TUPLES: dict[tuple[str, ...], tuple[str, ...]] = {}


def _shared(priorities: tuple[str, ...]) -> tuple[str, ...]:
    """One shared tuple per distinct priority list (a handful per policy; bounded so it cannot grow)."""
    shared = _PRIORITY_TUPLES.get(priorities)
    if shared is None:
        shared = tuple(sys.intern(p) for p in priorities)
        if len(_PRIORITY_TUPLES) < 4096:
            _PRIORITY_TUPLES[shared] = shared
    return shared
