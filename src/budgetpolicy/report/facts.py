"""The facts of a portfolio report, computed once from an evaluation (and a review), rendered twice.

``portfolio(evaluation, initiatives, review=None)`` gathers everything the
Markdown and HTML renderers show, as exact Decimals taken from the
evaluation itself (decisions, allocation summary) so both formats state the
same numbers the engine decided. Pure: no I/O, no clock.

With a quarterly review (outcomes up to a period), ``quarters`` holds the
forecast, due (by that quarter: milestones or the ramp, see
:mod:`budgetpolicy.review.milestones`) and realised lift per priority per
quarter (sums over the initiatives read that quarter, from
:mod:`budgetpolicy.review.realise`) and
``kpi_progress`` estimates each KPI's position: the baseline moved by the
realised lifts of each initiative's latest reading, as a share of the gap to
the target.

The words and tables both formats print are in :mod:`.sections`.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from attrs import frozen

from budgetpolicy.allocation.result import AllocationSummary
from budgetpolicy.engine.evaluation import Evaluation
from budgetpolicy.model import Decision, Initiative, Policy
from budgetpolicy.review.quarterly import ReviewResult
from budgetpolicy.review.realise import Realisation

ZERO = Decimal(0)
FUNDED = ("approved", "pending_approval")


@frozen
class Bet:
    """One initiative with its decision and the decision's narrative (from its explanation), for the report."""

    initiative: Initiative
    decision: Decision
    narrative: str

    @property
    def allocated(self) -> Decimal:
        return self.decision.allocation


@frozen
class QuarterLift:
    period: str
    priority: str
    forecast: Decimal
    realised: Decimal
    due: Decimal = ZERO  # the lift due by the quarter, summed over the same readings


@frozen
class KpiProgress:
    priority: str
    name: str
    unit: str
    baseline: Decimal
    target: Decimal
    current: Decimal  # baseline moved by the realised lift, in the KPI's own direction
    share_of_gap: Decimal  # realised lift / gap, 0..1 (rounded to 4 places)


@frozen
class Portfolio:
    policy: Policy
    evaluated_at: str
    bets: tuple[Bet, ...]
    summary: AllocationSummary | None  # None when the policy does not allocate
    requested: Decimal
    counts: tuple[tuple[str, int], ...]
    quarters: tuple[QuarterLift, ...] = ()
    kpi_progress: tuple[KpiProgress, ...] = ()
    period: str | None = None  # the quarter reviewed, None without a review
    first_period: str | None = None  # the first quarter read by the review

    def with_outcome(self, *outcomes: str) -> list[Bet]:
        return [b for b in self.bets if b.decision.outcome in outcomes]

    @property
    def funded(self) -> list[Bet]:
        """Approved and pending bets, most money first (then id, for a stable order)."""
        return sorted(self.with_outcome(*FUNDED), key=lambda b: (-b.allocated, b.initiative.id))

    @property
    def allocated(self) -> Decimal:
        return self.summary.allocated if self.summary is not None else ZERO

    @property
    def funded_expected_value(self) -> Decimal:
        return sum((b.decision.expected_value for b in self.funded if b.allocated > 0), ZERO)


def portfolio(evaluation: Evaluation, initiatives: Sequence[Initiative],
              review: ReviewResult | None = None) -> Portfolio:
    by_id = {i.id: i for i in initiatives}
    bets = tuple(Bet(by_id[d.initiative_id], d, e.narrative) for d, e in evaluation.explained())
    counts: dict[str, int] = {}
    for d in evaluation.decisions:
        counts[d.outcome] = counts.get(d.outcome, 0) + 1
    order = ("approved", "pending_approval", "deferred", "rejected", "sunset")
    summary = evaluation.allocation.summary if evaluation.allocation is not None else None
    quarters: tuple[QuarterLift, ...] = ()
    progress: tuple[KpiProgress, ...] = ()
    if review is not None:
        quarters = quarter_lifts(review)
        progress = kpi_progress(evaluation.policy, review)
    return Portfolio(
        policy=evaluation.policy, evaluated_at=evaluation.context.evaluated_at.isoformat(), bets=bets,
        summary=summary, requested=sum((i.cost for i in initiatives), ZERO),
        counts=tuple((k, counts[k]) for k in order if k in counts), quarters=quarters, kpi_progress=progress,
        period=review.period if review is not None else None,
        first_period=review.first_period if review is not None else None,
    )


def _realisations(review: ReviewResult) -> list[Realisation]:
    out = [r for quarter in review.history for r in quarter.realisations]
    return out + list(review.realisations)


def quarter_lifts(review: ReviewResult) -> tuple[QuarterLift, ...]:
    totals: dict[tuple[str, str], list[Decimal]] = {}
    for realisation in _realisations(review):
        for k in realisation.kpis:
            if k.forecast is None or k.realised is None:
                continue
            entry = totals.setdefault((realisation.period, k.priority), [ZERO, ZERO, ZERO])
            entry[0] += k.forecast
            entry[1] += k.realised
            entry[2] += k.expected if k.expected is not None else ZERO
    return tuple(QuarterLift(period, priority, f, r, d) for (period, priority), (f, r, d) in sorted(totals.items()))


def kpi_progress(policy: Policy, review: ReviewResult) -> tuple[KpiProgress, ...]:
    latest: dict[tuple[str, str], tuple[str, Decimal]] = {}  # (initiative, priority) -> (period, lift)
    for realisation in _realisations(review):
        for k in realisation.kpis:
            if k.realised is None:
                continue
            key = (realisation.initiative_id, k.priority)
            if key not in latest or latest[key][0] <= realisation.period:
                latest[key] = (realisation.period, k.realised)
    out = []
    for p in policy.priorities:
        lift = sum((lift for (_, pid), (_, lift) in latest.items() if pid == p.id), ZERO)
        gap = p.kpi.gap
        share = min(Decimal(1), max(ZERO, lift / gap)).quantize(Decimal("0.0001")) if gap > 0 else ZERO
        current = p.kpi.baseline + lift if p.kpi.direction == "higher" else p.kpi.baseline - lift
        out.append(KpiProgress(p.id, p.name, p.kpi.unit, p.kpi.baseline, p.kpi.target, current, share))
    return tuple(out)

