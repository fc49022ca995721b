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
``kpi_progress`` is each KPI's position from the organisation's KPI actuals
(``--kpis``: the latest at or before the period, as a share of the gap to the
target); without actuals it is empty: initiatives' lifts, measured on their
own participants, do not add up to a KPI position. ``evidence`` holds the
evidence sections' facts (:mod:`.evidencefacts`).

The words and tables both formats print are in :mod:`.sections`.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from attrs import frozen

from budgetpolicy.allocation.result import AllocationSummary
from budgetpolicy.engine.evaluation import Evaluation
from budgetpolicy.evidence.kpis import KpiActual
from budgetpolicy.evidence.roi import realised_returns
from budgetpolicy.model import Decision, Initiative, OutcomeReading, Policy
from budgetpolicy.report.evidencefacts import EvidenceFacts, evidence_facts
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
    current: Decimal  # the latest KPI actual
    share_of_gap: Decimal  # observed change / gap, held to 0..1 for the chart (4 places)
    period: str = ""  # the quarter of the actual


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
    evidence: EvidenceFacts | None = None  # with a review: KPI actuals, formats, plan vs actual, cases

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
              review: ReviewResult | None = None, outcomes: Sequence[OutcomeReading] = (),
              actuals: Sequence[KpiActual] | None = None) -> Portfolio:
    """The report's facts; with a review, ``outcomes`` (the readings it read) and ``actuals`` (the KPI
    actuals, None when no file was given) feed the evidence sections."""
    by_id = {i.id: i for i in initiatives}
    bets = tuple(Bet(by_id[d.initiative_id], d, e.narrative) for d, e in evaluation.explained())
    counts: dict[str, int] = {}
    for d in evaluation.decisions:
        counts[d.outcome] = counts.get(d.outcome, 0) + 1
    order = ("approved", "pending_approval", "deferred", "rejected", "sunset")
    summary = evaluation.allocation.summary if evaluation.allocation is not None else None
    quarters: tuple[QuarterLift, ...] = ()
    progress: tuple[KpiProgress, ...] = ()
    evidence = None
    if review is not None:
        quarters = quarter_lifts(review)
        returns = realised_returns(evaluation.policy, initiatives, evaluation.decisions, outcomes, review)
        evidence = evidence_facts(evaluation.policy, initiatives, review, outcomes, actuals, returns=returns)
        progress = kpi_progress(evidence)
    return Portfolio(
        policy=evaluation.policy, evaluated_at=evaluation.context.evaluated_at.isoformat(), bets=bets,
        summary=summary, requested=sum((i.cost for i in initiatives), ZERO),
        counts=tuple((k, counts[k]) for k in order if k in counts), quarters=quarters, kpi_progress=progress,
        period=review.period if review is not None else None,
        first_period=review.first_period if review is not None else None, evidence=evidence,
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


def kpi_progress(evidence: EvidenceFacts) -> tuple[KpiProgress, ...]:
    """The KPIs with an actual: where each stands, and its share of the gap closed (held to 0..1)."""
    out = []
    for k in evidence.kpis:
        if k.actual is None or k.period is None:
            continue
        p = k.priority
        share = min(Decimal(1), max(ZERO, k.share_of_gap)) if k.share_of_gap is not None else ZERO
        out.append(KpiProgress(p.id, p.name, p.kpi.unit, p.kpi.baseline, p.kpi.target, k.actual, share, k.period))
    return tuple(out)
