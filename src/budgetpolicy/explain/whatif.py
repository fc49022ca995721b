"""What another dollar buys: the same funding cycle with a larger (or smaller) pool, compared.

Used by ``budgetpolicy evaluate --what-if-pool +50000`` and from Python. The
cycle is evaluated again with ``EvaluationContext.pool_delta`` (nothing else
changes, so the difference is the pool's doing) and the two allocations are
compared initiative by initiative: what the other pool would fund, in the order
the allocation reaches them, and, apart, what it would drop, lowest-ranked first
(a larger pool can drop a bet too: the reserve's share grows with the pool),
each with the expected value (or score, per ``allocation.value``) gained or
lost and the allocation's reason under the other pool. Partial funding counts in proportion, as the allocator values it.

Under the optimal strategy the solver's dual values (the LP relaxation's
shadow prices, ``AllocationResult.duals``) say what one more unit of the pool,
of a binding cap or of a baseline is worth; they are put in plain words here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from attrs import evolve, frozen

from budgetpolicy.allocation.candidates import allocation_candidates, allocation_settings
from budgetpolicy.allocation.optimal import optimal_allocate
from budgetpolicy.data.load import apply_attribute_types
from budgetpolicy.formatting import value_text
from budgetpolicy.model import Initiative

ZERO = Decimal(0)


@frozen
class Change:
    """One initiative whose funding differs between the two pools."""

    initiative_id: str
    before: Decimal
    after: Decimal
    requested: Decimal
    value_change: Decimal  # value x (after - before) / requested
    rank: int | None
    reason: str = ""  # the allocation's words for its funding under the other pool (why it gained or lost)


@frozen
class WhatIf:
    delta: Decimal
    changes: tuple[Change, ...]
    value_change: Decimal
    spent_change: Decimal
    value_label: str  # "expected value" or "score"
    marginal: tuple[str, ...] = ()


def what_if_pool(compiled: Any, initiatives: Sequence[Initiative], base: Any, delta: Decimal) -> WhatIf:
    """Evaluate again with the pool changed by ``delta`` and compare with the ``base`` evaluation."""
    context = evolve(base.context, pool_delta=base.context.pool_delta + delta, explain=False)
    # Text sources keep custom attributes as text; the same conversion api.evaluate applies (idempotent).
    typed = apply_attribute_types(initiatives, compiled.policy.attributes)
    other = compiled.evaluate(typed, context)
    what = funding_changes(base, other, delta)
    duals = _solver_duals(compiled, typed, other, context)
    if duals:
        what = evolve(what, marginal=marginal_values(duals, compiled.policy.currency, what.value_label))
    return what


def _solver_duals(compiled: Any, initiatives: Sequence[Initiative], evaluation: Any, context: Any) -> Mapping[str, Any]:
    """Dual values of the optimal allocation at the what-if pool (empty for other strategies)."""
    settings = allocation_settings(compiled.policy, context.pool_delta)
    if settings is None or settings.strategy != "optimal":
        return {}
    duals: Mapping[str, Any]
    if evaluation.allocation is not None and evaluation.allocation.duals:
        duals = evaluation.allocation.duals
        return duals
    candidates = allocation_candidates(initiatives, evaluation.decisions, settings)
    try:
        duals = optimal_allocate(candidates, settings, with_duals=True).duals
        return duals
    except NotImplementedError:  # the solver strategy is not there yet: no marginal values to report
        return {}


def funding_changes(base: Any, other: Any, delta: Decimal) -> WhatIf:
    """The funding changes from ``base`` to ``other`` (two evaluations of the same initiatives)."""
    policy = base.policy
    if policy.allocation is None:
        return WhatIf(delta, (), ZERO, ZERO, "expected value")
    by_score = policy.allocation.value == "score"
    quantum = Decimal(1).scaleb(-policy.scoring.precision)
    changes: list[Change] = []
    for before in base.decisions:
        after = other.decision(before.initiative_id)
        old, new = before.allocation, after.allocation
        if old == new:
            continue
        funding = after.funding if new > old else before.funding
        requested = funding.requested if funding is not None else ZERO
        value = before.score if by_score else before.expected_value
        gained = (value * (new - old) / requested).quantize(quantum) if requested > 0 else ZERO
        reason = after.funding.explanation if after.funding is not None else ""
        changes.append(Change(before.initiative_id, old, new, requested, gained,
                              funding.rank if funding is not None else None, reason))
    # An increase is listed in the order the allocation reaches the newly funded; a cut drops the lowest first.
    growing = delta >= 0
    changes.sort(key=lambda c: ((c.rank if c.rank is not None else 10**9) * (1 if growing else -1),
                                c.initiative_id))
    marginal = marginal_values(other.allocation.duals if other.allocation is not None else {},
                               policy.currency, "score" if by_score else "expected value")
    return WhatIf(delta, tuple(changes), sum((c.value_change for c in changes), ZERO),
                  sum((c.after - c.before for c in changes), ZERO), "score" if by_score else "expected value",
                  marginal)


def marginal_values(duals: Mapping[str, Any], currency: str, label: str) -> tuple[str, ...]:
    """Dual values in plain words; zero duals (slack constraints) say nothing and are left out."""
    lines: list[str] = []
    for key in sorted(duals):
        raw = duals[key]
        try:
            value = Decimal(str(raw))
        except ArithmeticError:
            continue
        if value == 0:
            continue
        per = f"{value_text(abs(value))} {label} per {currency} 1"
        kind, _, name = str(key).partition(":")
        if kind == "pool":
            lines.append(f"the pool is binding: one more {currency} 1 adds {per}")
        elif kind == "baseline":
            lines.append(f"baseline '{name}' is binding: each {currency} 1 of that floor costs {per} elsewhere"
                         if value < 0 else f"baseline '{name}' is binding: loosening it by {currency} 1 adds {per}")
        elif kind in ("department", "kind") and name:
            lines.append(f"the {name} {kind} cap is binding: raising it by {currency} 1 adds {per}")
        elif kind == "reserve":
            lines.append(f"the reserve is binding: one more {currency} 1 in it adds {per}")
        elif kind == "general":
            lines.append(f"the pool outside the reserve is binding: one more {currency} 1 there adds {per}")
        else:
            lines.append(f"{key} is binding: one more {currency} 1 there changes the total by {value_text(value)} "
                         f"{label}")
    return tuple(lines)


def what_if_text(what: WhatIf, currency: str, titles: Mapping[str, str] | None = None) -> str:
    """The comparison in words: what the other pool would fund and what it would drop, apart, each with
    the allocation's reason under that pool (a larger pool can drop a bet: a cap or the reserve's share
    moves with it)."""
    titles = titles or {}
    head = f"What if the pool were {currency} {_signed(what.delta)}"
    if not what.changes:
        lines = [head + ": no allocation changes."]
    else:
        lines = [f"{head}:"]
        gains = [c for c in what.changes if c.after > c.before]
        losses = sorted((c for c in what.changes if c.after < c.before),
                        key=lambda c: (-(c.rank if c.rank is not None else 10**9), c.initiative_id))
        for verb, group in (("would fund, in order", gains), ("would drop, lowest-ranked first", losses)):
            if group:
                lines.append(f"  {verb}:")
                lines += [_change_line(n, c, what.value_label, currency, titles) for n, c in enumerate(group, 1)]
        lines.append(f"  total: {currency} {_signed(what.spent_change)} allocated, {what.value_label} "
                     f"{_signed(what.value_change)}")
    lines += [f"  {m}" for m in what.marginal]
    return "\n".join(lines) + "\n"


def _change_line(n: int, c: Change, label: str, currency: str, titles: Mapping[str, str]) -> str:
    title = f" {titles[c.initiative_id]}" if c.initiative_id in titles else ""
    if c.before == 0:
        what_happens = f"funded {currency} {value_text(c.after)} of {value_text(c.requested)}"
    elif c.after == 0:
        what_happens = f"loses all {currency} {value_text(c.before)}"
    else:
        what_happens = f"{currency} {value_text(c.before)} -> {value_text(c.after)}"
    reason = f" ({c.reason})" if c.reason else ""
    return f"    {n}. {c.initiative_id}{title}: {what_happens}; {label} {_signed(c.value_change)}{reason}"


def what_if_json(what: WhatIf) -> dict[str, Any]:
    return {"pool_delta": what.delta, "allocated_change": what.spent_change,
            "value_change": what.value_change, "value": what.value_label,
            "changes": [{"id": c.initiative_id, "before": c.before, "after": c.after,
                         "requested": c.requested, "value_change": c.value_change, "rank": c.rank,
                         "reason": c.reason, "direction": "fund" if c.after > c.before else "drop"}
                        for c in what.changes],
            "marginal": list(what.marginal)}


def _signed(value: Decimal) -> str:
    return ("+" if value >= 0 else "-") + value_text(abs(value))
