"""Declared against effective criterion weights, and funded forecasts that overclaim a KPI's gap
(docs/evidence.md, "Diminishing returns and effective weights").

- A criterion's effective weight is its share of what tells the initiatives apart: weight x spread over
  the sum of weight x spread of every criterion, where spread is the highest less the lowest raw score the
  criterion gave the evaluation's initiatives. A criterion whose raw scores bunch together weighs less than
  declared; ``normalise = "minmax"`` (spread 1) or ``"rank"`` gives it its declared weight back.
- Gap overclaim: per priority, the funded forecast lift (each funded bet's forecast x allocation /
  request; without an allocation, every approved bet's whole forecast) against the KPI's gap
  (|target - baseline|). More than the gap is warning BP677: those forecasts cannot all come true.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

from attrs import frozen

from budgetpolicy.errors import Diagnostic, Location
from budgetpolicy.evidence.exact import WEIGHT, ZERO, quotient, rounded
from budgetpolicy.evidence.value import scored_forecast
from budgetpolicy.formatting import trimmed_number

RATIO = Decimal("0.01")


@frozen
class EffectiveWeight:
    """One criterion: its ``declared`` weight (as scoring uses it), the ``spread`` of its raw scores over the
    portfolio, its ``effective`` weight, and the ``normalise`` choice that made its scores."""

    criterion: str
    declared: Decimal
    spread: Decimal
    effective: Decimal
    normalise: str | None


@frozen
class GapClaim:
    """Funded forecast lift on one priority's KPI against its gap; ``ratio`` = claimed / gap."""

    priority: str
    unit: str
    gap: Decimal
    claimed: Decimal
    ratio: Decimal | None


def effective_weights(evaluation: Any) -> tuple[EffectiveWeight, ...]:
    """Declared and effective weight of every criterion over the evaluation's initiatives."""
    compiled = evaluation.compiled
    if compiled is None or not evaluation.initiatives:
        return ()
    raws = [compiled.scored(i, evaluation.context).raws for i in evaluation.initiatives]
    spreads = [max(column) - min(column) for column in zip(*raws)] if raws else []
    parts = [Fraction(cc.weight) * Fraction(spread) for cc, spread in zip(compiled.criteria, spreads)]
    total = sum(parts, Fraction(0))
    return tuple(
        EffectiveWeight(cc.id, cc.weight, spread, rounded(part / total, WEIGHT) if total else ZERO,
                        cc.criterion.normalise)
        for cc, spread, part in zip(compiled.criteria, spreads, parts))


def gap_claims(evaluation: Any) -> tuple[GapClaim, ...]:
    """Funded forecast lift per priority, in policy order."""
    policy = evaluation.policy
    claimed = {p.id: Fraction(0) for p in policy.priorities}
    for initiative, decision in zip(evaluation.initiatives, evaluation.decisions):
        if evaluation.allocation is not None:
            f = decision.funding
            if f is None or f.amount <= 0 or f.requested <= 0:
                continue
            share = Fraction(f.amount) / Fraction(f.requested)
        elif decision.outcome == "approved":
            share = Fraction(1)
        else:
            continue
        forecast = scored_forecast(initiative, decision)
        for pid in initiative.priorities:
            if pid in claimed:
                claimed[pid] += max(Fraction(forecast.get(pid, ZERO)), Fraction(0)) * share
    return tuple(GapClaim(p.id, p.kpi.unit, p.kpi.gap, rounded(claimed[p.id], WEIGHT),
                          quotient(claimed[p.id], p.kpi.gap, RATIO)) for p in policy.priorities)


def overclaim_warnings(evaluation: Any, claims: Sequence[GapClaim]) -> list[Diagnostic]:
    """BP677 for every priority whose funded forecast lift exceeds its KPI's gap."""
    policy = evaluation.policy
    file = policy.source.path if policy.source else None
    index = {p.id: i for i, p in enumerate(policy.priorities)}
    diminishing = any(c.scorer == "expected_value" and c.params.get("diminishing_returns") is True
                      for c in policy.scoring.criteria)
    hint = ("diminishing_returns is on: the lift past the gap already scores nothing" if diminishing else
            "the scores count each lift in full; [[scoring.criteria]] params.diminishing_returns = true counts "
            "only the gap still open")
    return [Diagnostic("BP677", f"funded forecasts claim {trimmed_number(c.claimed)} {c.unit} on '{c.priority}', "
                       f"{c.ratio}x its gap of {trimmed_number(c.gap)} {c.unit}", Location(file=file, key=f"priorities[{index[c.priority]}].kpi"),
                       hint, "warning")
            for c in claims if c.gap > 0 and c.claimed > c.gap]
