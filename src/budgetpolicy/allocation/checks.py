"""Semantic checks of ``[allocation]`` (BP6xx), run by the compile stage with the plugin registry.

The JSON Schema already rejects most malformed values in a policy file, but
policies can also be built in Python, and some rules span several keys (the
baselines and the reserve must fit in the pool; a cap below the minimum viable
amount can never fund anything), so every rule is checked here again on the
frozen :class:`~budgetpolicy.model.Policy`, each diagnostic located by key path
(and line, when the policy has its source text).

Codes: BP601 pool <= 0; BP602 baselines (plus reserve) over the pool; BP603
reserve share/amount out of range; BP604 cap below the minimum viable amount;
BP605 unknown strategy; BP606 unit <= 0; BP607 minimum viable amount or share
out of range; BP608 unknown tie-break key; BP609 baseline amount <= 0; BP610
negative cap; BP611 (warning) baseline that names no role, department or kind; BP630
``time_limit`` <= 0; BP631 ``mip_gap`` outside 0..1; BP632 (warning) a solver limit with a strategy
other than ``optimal``, where it does nothing.
"""

from __future__ import annotations

from decimal import Decimal

from budgetpolicy.errors import Diagnostic, Diagnostics, did_you_mean
from budgetpolicy.model import AllocationPolicy, Policy
from budgetpolicy.policy.locate import KeyPathDiagnostics, PathPart, PolicyLocations
from budgetpolicy.registry import Registry

# Directions of the tie-break keys: bigger score/value first, cheaper first, ids ascending.
# (problem.py ranks by each of them, naming them itself: a key added here needs its direction there.)
TIE_BREAK_KEYS: tuple[str, ...] = ("score", "value", "expected_value", "cost", "id")

ZERO, ONE = Decimal(0), Decimal(1)


def allocation_diagnostics(policy: Policy, registry: Registry | None = None) -> list[Diagnostic]:
    """Every problem of ``policy.allocation`` (empty when there is no such section)."""
    a = policy.allocation
    if a is None:
        return []
    places = PolicyLocations.of(policy.source)
    # Paths below are relative to [allocation].
    found: KeyPathDiagnostics = Diagnostics(lambda path: places(("allocation", *path)))
    if a.pool <= 0:
        found.add("BP601", ("pool",), f"pool must be greater than 0, got {a.pool}",
                  "set the amount to split, e.g. 500000")
    if a.unit <= 0:
        found.add("BP606", ("unit",), f"unit must be greater than 0, got {a.unit}",
                  "use 1 for whole units or 0.01 for cents")
    if a.min_viable < 0:
        found.add("BP607", ("min_viable",), f"min_viable must be >= 0, got {a.min_viable}")
    if not ZERO <= a.min_viable_share <= ONE:
        found.add("BP607", ("min_viable_share",), f"min_viable_share {a.min_viable_share} is outside 0..1",
                  "a share of the request, e.g. 0.5 for half")
    for i, key in enumerate(a.tie_break):
        if key not in TIE_BREAK_KEYS:
            hint = did_you_mean(key, TIE_BREAK_KEYS)
            found.add("BP608", ("tie_break", i), f"unknown tie-break key '{key}'",
                      (hint + "; " if hint else "") + f"use any of {', '.join(TIE_BREAK_KEYS)}")
    _solver_limits(a, found)
    held = _reserve(a, found)
    _baselines(a, held, found)
    _requests_reserve(policy, held, Diagnostics(places), found)
    _caps(policy, found)
    if registry is not None and a.strategy not in registry.allocators:
        known = sorted(registry.allocators)
        hint = did_you_mean(a.strategy, known)
        found.add("BP605", ("strategy",), f"unknown allocation strategy '{a.strategy}'",
                  (hint + "; " if hint else "") + f"registered strategies: {', '.join(known) or 'none'}")
    return list(found)


def _solver_limits(a: AllocationPolicy, found: KeyPathDiagnostics) -> None:
    if a.time_limit is not None and a.time_limit <= 0:
        found.add("BP630", ("time_limit",), f"time_limit must be greater than 0 seconds, got {a.time_limit}",
                  "give the seconds the solver may search, e.g. 10, or leave it out for no limit")
    if a.mip_gap is not None and not ZERO <= a.mip_gap <= ONE:
        found.add("BP631", ("mip_gap",), f"mip_gap {a.mip_gap} is outside 0..1",
                  "a relative gap such as 0.001 (0.1%); 0 or no mip_gap asks for an exact optimum")
    for key, value in (("time_limit", a.time_limit), ("mip_gap", a.mip_gap)):
        if value is not None and a.strategy != "optimal":
            found.add("BP632", (key,), f"{key} applies to the optimal strategy only; strategy is '{a.strategy}'",
                      f"remove {key} or set strategy = \"optimal\"", severity="warning")


def _reserve(a: AllocationPolicy, found: KeyPathDiagnostics) -> Decimal:
    """The amount the reserve holds back (0 when it is missing or malformed, which is reported)."""
    r = a.reserve
    if r is None:
        return ZERO
    if (r.share is None) == (r.amount is None):
        found.add("BP603", ("reserve",), "reserve needs exactly one of share or amount",
                  "e.g. share = 0.1 for 10% of the pool")
    elif r.share is not None:
        if ZERO <= r.share <= ONE:
            return a.pool * r.share
        found.add("BP603", ("reserve", "share"), f"reserve share {r.share} is outside 0..1 (0.1 = 10%)",
                  "a share of the pool between 0 and 1")
    elif r.amount is not None:
        if r.amount < 0:
            found.add("BP603", ("reserve", "amount"), f"reserve amount must be >= 0, got {r.amount}")
        elif a.pool > 0 and r.amount > a.pool:
            found.add("BP603", ("reserve", "amount"), f"reserve amount {r.amount} is more than the pool {a.pool}",
                      "lower the reserve or raise the pool")
        else:
            return r.amount
    return ZERO


def _baselines(a: AllocationPolicy, reserve_amount: Decimal, found: KeyPathDiagnostics) -> None:
    total = ZERO
    for i, b in enumerate(a.baselines):
        if b.amount <= 0:
            found.add("BP609", ("baselines", i, "amount"),
                      f"baseline '{b.id}' amount must be greater than 0, got {b.amount}")
        else:
            total += b.amount
        if b.role is None and b.department is None and b.kind is None:
            found.add("BP611", ("baselines", i), f"baseline '{b.id}' names no role, department or kind, so every "
                      "initiative counts toward it", "add role, department or kind", severity="warning")
    if a.pool > 0 and total + reserve_amount > a.pool:
        with_reserve = f" plus the reserve {reserve_amount.normalize():f}" if reserve_amount else ""
        found.add("BP602", ("baselines",), f"baselines sum to {total}{with_reserve}, more than the pool {a.pool}",
                  "lower the baseline amounts or the reserve, or raise the pool")


def _requests_reserve(policy: Policy, held: Decimal, top: KeyPathDiagnostics, found: KeyPathDiagnostics) -> None:
    """``[requests] reserve`` (held back from the pool for mid-year requests) fits beside the baselines and
    the ``[allocation.reserve]``: BP612 (reported with the allocation's other problems)."""
    a, requests = policy.allocation, policy.requests
    if a is None or requests is None or not requests.reserve:
        return
    baselines = sum((b.amount for b in a.baselines if b.amount > 0), ZERO)
    if requests.reserve < 0:
        top.add("BP612", ("requests", "reserve"), f"the mid-year reserve must be >= 0, got {requests.reserve}")
    elif a.pool > 0 and requests.reserve + held + baselines > a.pool:
        top.add("BP612", ("requests", "reserve"),
                f"the mid-year reserve {requests.reserve} with the baselines ({baselines}) and the allocation "
                f"reserve ({held.normalize():f}) is more than the pool {a.pool}",
                "lower [requests] reserve, the baselines or the allocation reserve, or raise the pool")
    found.extend(top)


def _caps(policy: Policy, found: KeyPathDiagnostics) -> None:
    a = policy.allocation
    assert a is not None
    caps = a.caps
    # With partial funding a cap below min_viable funds nothing that asks for more than the cap.
    floor = a.min_viable if a.partial else ZERO
    entries: list[tuple[tuple[PathPart, ...], str, Decimal]] = []
    if caps.per_initiative is not None:
        entries.append((("caps", "per_initiative"), "per-initiative cap", caps.per_initiative))
    entries += [(("caps", "per_department", k), f"department cap {k}", v) for k, v in caps.per_department.items()]
    entries += [(("caps", "per_kind", k), f"kind cap {k}", v) for k, v in caps.per_kind.items()]
    for path, name, value in entries:
        if value < 0:
            found.add("BP610", path, f"{name} must be >= 0, got {value}")
        elif floor and value < floor:
            found.add("BP604", path, f"{name} {value} is below the minimum viable funding {a.min_viable}",
                      "raise the cap or lower allocation.min_viable: no initiative could be funded under it")

