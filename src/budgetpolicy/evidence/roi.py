"""Realised return at a quarterly review (Phillips level 5): benefit, fully loaded cost, BCR, ROI %, payback.

For every funded initiative of the plan, up to the quarter reviewed (docs/evidence.md, "Money value and ROI"):

- realised lift per priced priority: the latest realised lift read up to the quarter (the review's
  realisations, this quarter's and the earlier ones'), in the KPI's good direction; a KPI that got worse
  counts 0 (no benefit, and no negative one either). No reading of a priced KPI: no benefit (None), never 0.
- annual benefit = sum of lift x value_per_unit x attribution x confidence, attribution and confidence
  from the latest reading that gives them (``attribution``, ``confidence`` columns, 0..1) else ``[evidence]``;
  benefit = annual benefit x years (first-year benefits only for a programme of at most four quarters,
  else min(horizon / 4, ``max_benefit_years``)).
- fully loaded cost = spend (the latest ``spend_to_date`` read, else the allocation) + the participant hours
  read up to the quarter x ``[evidence] hourly_cost``.
- BCR = benefit / cost; ROI % = (benefit - cost) / cost x 100; payback months = cost / annual benefit x 12
  (None without a positive annual benefit).

Rounding: :mod:`budgetpolicy.evidence.exact` (every figure from the exact inputs, once).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

from attrs import frozen

from budgetpolicy.evidence.exact import CENT, MONTHS, RATIO, ZERO, quotient, roi_percent, rounded
from budgetpolicy.evidence.value import benefit_years, priced
from budgetpolicy.model import Decision, FrozenMap, Initiative, OutcomeReading, Policy, frozen_map
from budgetpolicy.review.periods import parse_period

ONE = Decimal(1)


@frozen
class RealisedReturn:
    """One funded initiative's realised return up to ``period``.

    ``lifts`` (priority id -> the realised lift counted), ``attribution`` and ``confidence`` used,
    ``years`` of benefit; ``benefit`` (money, None when no priced KPI was read), ``spend``, ``hours`` read
    and their cost, ``cost`` (fully loaded), ``bcr``, ``roi`` (percent) and ``payback_months`` (None where
    undefined)."""

    initiative_id: str
    period: str
    lifts: FrozenMap
    attribution: Decimal
    confidence: Decimal
    years: Decimal
    benefit: Decimal | None
    spend: Decimal
    hours: Decimal
    hours_cost: Decimal
    cost: Decimal
    bcr: Decimal | None
    roi: Decimal | None
    payback_months: Decimal | None


@frozen
class RealisedPortfolio:
    """The measured bets together (those with a benefit): their benefit, fully loaded cost, BCR and ROI %."""

    measured: int
    unmeasured: int
    benefit: Decimal
    cost: Decimal
    bcr: Decimal | None
    roi: Decimal | None


def realised_returns(policy: Policy, initiatives: Sequence[Initiative], plan: Sequence[Decision],
                     outcomes: Sequence[OutcomeReading], result: Any) -> tuple[RealisedReturn, ...]:
    """The realised return of every funded initiative of ``plan`` at the review ``result`` (a ``ReviewResult``);
    ``()`` when the policy prices no KPI."""
    values = priced(policy)
    if not values:
        return ()
    target = parse_period(result.period)
    lifts = _latest_lifts(result)
    by_id = {i.id: i for i in initiatives}
    readings: dict[str, list[OutcomeReading]] = {}
    for r in sorted(outcomes, key=lambda r: r.period):
        if parse_period(r.period) <= target:
            readings.setdefault(r.initiative_id, []).append(r)
    out = []
    for decision in plan:
        initiative = by_id.get(decision.initiative_id)
        if initiative is None or decision.allocation <= 0:
            continue
        out.append(_one(policy, values, initiative, decision, lifts.get(initiative.id, {}),
                        readings.get(initiative.id, []), result.period))
    return tuple(out)


def _latest_lifts(result: Any) -> dict[str, dict[str, Decimal]]:
    """Initiative id -> priority id -> the latest realised lift read, oldest quarter first so later ones win."""
    out: dict[str, dict[str, Decimal]] = {}
    for realisations in [*(q.realisations for q in result.history), result.realisations]:
        for realisation in realisations:
            for kpi in realisation.kpis:
                if kpi.realised is not None:
                    out.setdefault(realisation.initiative_id, {})[kpi.priority] = kpi.realised
    return out


def _one(policy: Policy, values: dict[str, Decimal], initiative: Initiative, decision: Decision,
         lifts: dict[str, Decimal], readings: list[OutcomeReading], period: str) -> RealisedReturn:
    evidence = policy.evidence
    attribution = _latest(readings, "attribution")
    if attribution is None:
        attribution = evidence.attribution if evidence else ONE
    confidence = _latest(readings, "confidence")
    if confidence is None:
        confidence = evidence.confidence if evidence else ONE
    counted = {pid: max(lift, ZERO) for pid, lift in lifts.items() if pid in values}
    years = benefit_years(policy, initiative.horizon)
    annual = None
    if counted:
        annual = sum((Fraction(lift) * Fraction(values[pid]) for pid, lift in counted.items()), Fraction(0))
        annual *= Fraction(attribution) * Fraction(confidence)
    spend = next((r.spend_to_date for r in reversed(readings) if r.spend_to_date is not None), decision.allocation)
    hours = sum((Decimal(getattr(r, "hours", None) or 0) for r in readings), ZERO)
    rate = evidence.hourly_cost if evidence else ZERO
    cost = Fraction(spend) + Fraction(hours) * Fraction(rate)
    benefit = None if annual is None else annual * years
    return RealisedReturn(
        initiative.id, period, frozen_map(counted), attribution, confidence, rounded(years, RATIO),
        None if benefit is None else rounded(benefit, CENT), spend, hours, rounded(Fraction(hours) * Fraction(rate), CENT),
        rounded(cost, CENT), None if benefit is None else quotient(benefit, cost, RATIO),
        None if benefit is None else roi_percent(benefit, cost),
        quotient(cost * 12, annual, MONTHS) if annual else None)


def _latest(readings: list[OutcomeReading], name: str) -> Decimal | None:
    """The latest reading's ``name`` (a per-reading attribution or confidence), None when none gives it."""
    for r in reversed(readings):
        value = getattr(r, name, None)
        if value is not None:
            return Decimal(value)
    return None


def realised_portfolio(returns: Sequence[RealisedReturn]) -> RealisedPortfolio | None:
    """The measured returns together (None without returns)."""
    if not returns:
        return None
    measured = [r for r in returns if r.benefit is not None]
    benefit = sum((r.benefit for r in measured if r.benefit is not None), ZERO)
    cost = sum((r.cost for r in measured), ZERO)
    return RealisedPortfolio(len(measured), len(returns) - len(measured), benefit, cost,
                             quotient(benefit, cost, RATIO), roi_percent(benefit, cost))


def returns_doc(returns: Sequence[RealisedReturn]) -> dict[str, Any]:
    """The JSON of a review's realised returns: per initiative, and the measured ones together."""
    return {"initiatives": {r.initiative_id: r for r in returns}, "portfolio": realised_portfolio(returns)}


def returns_lines(returns: Sequence[RealisedReturn], currency: str) -> list[str]:
    """Sentences for the review table: the measured bets' realised return, and the best and worst ROI."""
    total = realised_portfolio(returns)
    if total is None:
        return []
    lines = [f"realised return up to {returns[0].period}: {total.measured} funded bets measured ({total.unmeasured} "
             f"without a priced KPI reading: no benefit claimed), benefit {currency} {total.benefit:,} for a fully "
             f"loaded cost of {currency} {total.cost:,}: BCR {_text(total.bcr)}, ROI {_text(total.roi)}%"]
    ranked = sorted((r for r in returns if r.roi is not None), key=lambda r: (-(r.roi or ZERO), r.initiative_id))
    for label, r in (("best", ranked[0] if ranked else None), ("worst", ranked[-1] if len(ranked) > 1 else None)):
        if r is not None:
            payback = f", payback {r.payback_months} months" if r.payback_months is not None else ""
            lines.append(f"  {label}: {r.initiative_id} ROI {_text(r.roi)}% (benefit {currency} {r.benefit:,}, cost "
                         f"{currency} {r.cost:,}{payback})")
    return lines


def _text(value: Decimal | None) -> str:
    return "-" if value is None else f"{value:,}"
