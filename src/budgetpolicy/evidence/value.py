"""The money value of forecast lifts at plan time (Phillips level 5, forecast): benefit, BCR and ROI %.

A priority with ``value_per_unit`` (money per KPI unit per year) prices its KPI. For one initiative:

- forecast benefit = probability x sum over its priced priorities of min(lift, gap) x value_per_unit x years
  (lifts as scored: calibrated when the cycle was calibrated; a negative lift counts 0; the lift counts up to
  the KPI's gap, as the ``expected_value`` scorer's impact does);
- years = 1 for a programme of at most four quarters (first-year benefits only), else
  min(horizon / 4, ``[evidence] max_benefit_years``) (default 1);
- benefit-cost ratio = benefit / cost, ROI % = (benefit - cost) / cost x 100, on the requested cost;
- funded benefit = benefit x allocation / cost (partial funding scales value linearly, as the allocation does);
  without an ``[allocation]`` section an approved bet counts as funded in full.

The portfolio sums the funded bets: funded benefit, allocated cost, their BCR and ROI %. Rounding:
:mod:`budgetpolicy.evidence.exact`. A policy without any ``value_per_unit`` has no money figures (None).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction

from attrs import frozen

from budgetpolicy.evidence.exact import CENT, RATIO, ZERO, quotient, roi_percent, rounded
from budgetpolicy.model import Decision, FrozenMap, Initiative, Policy, frozen_map

@frozen
class ForecastReturn:
    """One initiative's forecast return: ``benefit`` a year of money it is expected to bring, ``by_priority``
    (priority id -> its part), on its requested ``cost``; ``funded`` (its allocation) and the benefit that
    buys; ``bcr`` and ``roi`` (percent) on the request; None where the cost is 0."""

    initiative_id: str
    benefit: Decimal
    cost: Decimal
    funded: Decimal
    funded_benefit: Decimal
    bcr: Decimal | None
    roi: Decimal | None
    by_priority: FrozenMap = frozen_map({})


@frozen
class PortfolioReturn:
    """The funded bets together: their benefit, what they were allocated, BCR, ROI % and benefit per 1,000."""

    funded_count: int
    benefit: Decimal
    cost: Decimal
    bcr: Decimal | None
    roi: Decimal | None
    per_thousand: Decimal | None


def priced(policy: Policy) -> dict[str, Decimal]:
    """Priority id -> value_per_unit, for the priorities that have one."""
    return {p.id: p.value_per_unit for p in policy.priorities if p.value_per_unit is not None}


def benefit_years(policy: Policy, horizon: int) -> Fraction:
    """Years of benefit a programme of ``horizon`` quarters counts (the first-year rule, docs/evidence.md)."""
    if horizon <= 4:
        return Fraction(1)
    cap = policy.evidence.max_benefit_years if policy.evidence is not None else Decimal(1)
    return min(Fraction(horizon, 4), Fraction(cap))


def scored_forecast(initiative: Initiative, decision: Decision | None) -> Mapping[str, Decimal]:
    """The forecast lifts the decision scored: calibrated ones when the cycle was calibrated."""
    if decision is not None:
        calibrated = decision.calibration.get("calibrated_forecast")
        if calibrated:
            return {k: Decimal(v) for k, v in calibrated.items()}
    return initiative.forecast


def forecast_return(policy: Policy, initiative: Initiative, decision: Decision | None) -> ForecastReturn | None:
    """The forecast return of ``initiative`` (None when the policy prices no KPI)."""
    values = priced(policy)
    if not values:
        return None
    gaps = {p.id: p.kpi.gap for p in policy.priorities}
    forecast = scored_forecast(initiative, decision)
    years = benefit_years(policy, initiative.horizon)
    parts: dict[str, Fraction] = {}
    for pid in initiative.priorities:
        if pid in values and pid in gaps:
            lift = min(max(forecast.get(pid, ZERO), ZERO), max(gaps[pid], ZERO))
            parts[pid] = Fraction(initiative.probability) * Fraction(lift) * Fraction(values[pid]) * years
    exact = sum(parts.values(), Fraction(0))
    cost = initiative.cost
    # Without an [allocation] section nothing is allocated: an approved bet is then funded as requested.
    funded = ZERO if decision is None else decision.allocation if decision.funding is not None else (
        cost if decision.outcome == "approved" else ZERO)
    funded_exact = exact * Fraction(funded) / Fraction(cost) if cost > 0 else Fraction(0)
    benefit = rounded(exact, CENT)
    return ForecastReturn(
        initiative.id, benefit, cost, funded, rounded(funded_exact, CENT),
        quotient(exact, cost, RATIO), roi_percent(exact, cost), frozen_map({k: rounded(v, CENT) for k, v in parts.items()}))


def portfolio_return(returns: Sequence[ForecastReturn]) -> PortfolioReturn | None:
    """The funded bets of ``returns`` together (None when there are no returns)."""
    if not returns:
        return None
    funded = [r for r in returns if r.funded > 0]
    # Exact sums of the exact parts would need them kept; the cents of each funded benefit are what a
    # reader can add up, so the portfolio is the sum of the rounded figures it lists.
    benefit = sum((r.funded_benefit for r in funded), ZERO)
    cost = sum((r.funded for r in funded), ZERO)
    return PortfolioReturn(len(funded), benefit, cost, quotient(benefit, cost, RATIO),
                           roi_percent(benefit, cost), quotient(benefit * 1000, cost, CENT))
