"""The plan-time evidence of one evaluation, for ``evaluate``: JSON, lines under the table, ``--marginal``.

:func:`plan_evidence` computes it once (forecast returns per initiative and for the portfolio, dual
values, declared and effective weights, funded lift against each KPI's gap and the BP677 warnings);
:func:`evidence_doc` is its JSON (the ``evidence`` key of ``evaluate --format json``), :func:`evidence_lines`
the sentences under the decisions table, and :func:`marginal_text` the ``--marginal`` listing.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from attrs import frozen

from budgetpolicy.errors import Diagnostic, Location, UsageError
from budgetpolicy.evidence.duals import Dual, NextAmount, dual_values, next_amounts
from budgetpolicy.evidence.value import ForecastReturn, PortfolioReturn, forecast_return, portfolio_return
from budgetpolicy.evidence.weights import (EffectiveWeight, GapClaim, effective_weights, gap_claims,
                                           overclaim_warnings)
from budgetpolicy.formatting import money, money_compact, trimmed_number


LIMIT = Decimal(10) ** 15  # the largest amount a policy may hold (docs/policy-format.md, "Limits")


@frozen
class PlanEvidence:
    """What :func:`plan_evidence` computes for one evaluation (money figures empty without value_per_unit)."""

    returns: tuple[ForecastReturn, ...]
    portfolio: PortfolioReturn | None
    duals: tuple[Dual, ...]
    weights: tuple[EffectiveWeight, ...]
    claims: tuple[GapClaim, ...]
    warnings: tuple[Diagnostic, ...]

    @property
    def by_id(self) -> dict[str, ForecastReturn]:
        return {r.initiative_id: r for r in self.returns}


def plan_evidence(evaluation: Any, full: bool = True) -> PlanEvidence:
    """The evidence of ``evaluation``; ``full=False`` (CSV and JSON lines, which do not show it): only the
    gap claims and their warnings, so a streamed portfolio is not scored a second time."""
    policy = evaluation.policy
    claims = gap_claims(evaluation)
    warnings = tuple(overclaim_warnings(evaluation, claims))
    if not full:
        return PlanEvidence((), None, (), (), claims, warnings)
    returns = [r for r in (forecast_return(policy, i, d) for i, d in zip(evaluation.initiatives, evaluation.decisions))
               if r is not None]
    duals = dual_values(evaluation, {r.initiative_id: r for r in returns})
    return PlanEvidence(tuple(returns), portfolio_return(returns), duals, effective_weights(evaluation), claims,
                        warnings)


def evidence_doc(evidence: PlanEvidence, marginal: Sequence[NextAmount] = ()) -> dict[str, Any]:
    """The JSON of the plan's evidence (canonical JSON writes the attrs values by field name)."""
    doc: dict[str, Any] = {
        "returns": {r.initiative_id: r for r in evidence.returns},
        "portfolio": evidence.portfolio,
        "duals": {d.limit: d for d in evidence.duals},
        "weights": list(evidence.weights),
        "gaps": list(evidence.claims),
        "warnings": [d.format() for d in evidence.warnings],
    }
    if marginal:
        doc["marginal"] = list(marginal)
    return doc


def evidence_lines(evidence: PlanEvidence, currency: str) -> list[str]:
    """Sentences for the table output: the money return of the funded bets, the pool's dual value, and the
    declared against effective weights."""
    lines = []
    p = evidence.portfolio
    if p is not None:
        lines.append(f"forecast benefit of the {p.funded_count} funded bets: {currency} {money(p.benefit)} a year for "
                     f"{currency} {money(p.cost)} allocated: {_ratio(p.bcr)} per {currency} 1 (BCR), ROI "
                     f"{_percent(p.roi)}")
    pool = next((d for d in evidence.duals if d.limit == "pool"), None)
    if pool is not None and pool.benefit is not None:
        source = f" {pool.bet}" if pool.bet else ""
        lines.append(f"dual value of the pool: {currency} {trimmed_number(pool.benefit)} of benefit a year per "
                     f"{currency} 1 more ({pool.basis}{source}; --marginal shows what the next amounts buy)")
    if evidence.weights:
        parts = ", ".join(f"{w.criterion} {trimmed_number(w.declared)} -> {trimmed_number(w.effective)}"
                          for w in evidence.weights)
        lines.append(f"criterion weights, declared -> effective: {parts}")
    return lines


def marginal_text(steps: Sequence[NextAmount], currency: str, label: str) -> str:
    """``evaluate --marginal``: what each next amount would buy, bet by bet."""
    out = []
    for step in steps:
        money_part = f", benefit {currency} {money(step.benefit)} a year" if step.benefit is not None else ""
        out.append(f"the next {currency} {money_compact(step.amount)} would buy: {label} "
                   f"{_signed(step.value)}{money_part}")
        if not step.bought:
            out.append("  nothing: no bet is funded more (a minimum viable amount or the caps stop them)")
        for b in step.bought:
            benefit = f", {currency} {money(b.benefit)} a year" if b.benefit is not None else ""
            out.append(f"  {b.initiative_id}: {currency} {money_compact(b.before)} -> {money_compact(b.after)} "
                       f"({label} {_signed(b.value)}{benefit})")
    return "\n".join(out) + "\n"


def _ratio(value: Decimal | None) -> str:
    return "-" if value is None else f"{value:,}"


def _percent(value: Decimal | None) -> str:
    return "-" if value is None else f"{value:,}%"


def _signed(value: Decimal) -> str:
    return f"+{trimmed_number(value)}" if value >= 0 else trimmed_number(value)


def marginal_steps(text: str | None, evaluation: Any, initiatives: Sequence[Any],
                   evidence: PlanEvidence) -> tuple[NextAmount, ...]:
    """``--marginal AMOUNTS`` (comma-separated amounts above 0) evaluated; ``()`` when not asked for.
    Bad text, or a policy without ``[allocation]``, is a UsageError (BP678) naming the option."""
    if text is None:
        return ()
    if evaluation.policy.allocation is None:
        raise UsageError("--marginal needs a policy with an [allocation] section", Location(key="--marginal"),
                         code="BP678")
    amounts = []
    for part in text.split(","):
        cleaned = part.strip().replace("_", "").lstrip("+")
        try:
            amount = Decimal(cleaned)
        except InvalidOperation:
            amount = Decimal("NaN")
        if not amount.is_finite() or amount <= 0 or amount >= LIMIT:
            raise UsageError(f"--marginal '{text}': '{part.strip()}' is not an amount above 0",
                             Location(key="--marginal"), hint="e.g. --marginal 1000,10000", code="BP678")
        amounts.append(amount)
    returns = evidence.by_id or {r.initiative_id: r for r in plan_evidence(evaluation).returns}
    return next_amounts(evaluation, initiatives, returns, amounts)
