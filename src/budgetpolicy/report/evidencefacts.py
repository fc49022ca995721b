"""The evidence sections' facts, gathered once for both reports (the review's and the year's).

``evidence_facts(policy, initiatives, review, outcomes, actuals)`` takes a quarterly review, the readings
it read and the KPI actuals (``--kpis``) and gives what :mod:`.evidencesections` prints: KPI actuals with
the attributed lifts (:mod:`budgetpolicy.evidence.kpis`), effectiveness by kind and delivery method
(:mod:`~budgetpolicy.evidence.formats`), plan versus actual (:mod:`~budgetpolicy.evidence.tdrp`) and the
case-study drafts (:mod:`~budgetpolicy.evidence.cases`). ``money`` (initiative id -> planned, allocated,
spent) replaces the review's money with the ledger's positions for the report of the year; ``returns``
(:func:`budgetpolicy.evidence.roi.realised_returns`) bring each bet's realised benefit. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from attrs import evolve, frozen

from budgetpolicy.evidence.cases import Case, cases
from budgetpolicy.evidence.formats import BetEvidence, FormatRow, bets_from_review, by_format, quarters
from budgetpolicy.evidence.kpis import KpiActual, KpiEvidence, claims, kpi_evidence
from budgetpolicy.evidence.roi import RealisedReturn
from budgetpolicy.evidence.tdrp import OutcomeLine, ProgrammeLine, outcome_lines, programme_lines
from budgetpolicy.model import Initiative, OutcomeReading, Policy
from budgetpolicy.review.quarterly import ReviewResult

ZERO = Decimal(0)


@frozen
class EvidenceFacts:
    period: str
    currency: str
    actuals_given: bool  # a --kpis file was given
    kpis: tuple[KpiEvidence, ...]
    by_kind: tuple[FormatRow, ...]
    by_delivery: tuple[FormatRow, ...]
    outcomes: tuple[OutcomeLine, ...]
    programmes: tuple[ProgrammeLine, ...]
    cases: tuple[Case, ...]
    money_from: str  # where planned and spent come from: "the review" or "the ledger's positions"


def evidence_facts(policy: Policy, initiatives: Sequence[Initiative], review: ReviewResult,
                   outcomes: Sequence[OutcomeReading], actuals: Sequence[KpiActual] | None,
                   money: Mapping[str, tuple[Decimal, Decimal, Decimal]] | None = None,
                   returns: Sequence[RealisedReturn] = ()) -> EvidenceFacts:
    bets = bets_from_review(initiatives, review, outcomes)
    valued = {r.initiative_id: r for r in returns if r.benefit is not None}
    bets = tuple(evolve(b, benefit=valued[b.initiative.id].benefit, loaded_cost=valued[b.initiative.id].cost)
                 if b.initiative.id in valued else b for b in bets)
    if money is not None:
        bets = tuple(evolve(b, planned=money[b.initiative.id][0], allocation=money[b.initiative.id][1],
                            spent=money[b.initiative.id][2]) if b.initiative.id in money else b for b in bets)
    forecasts = _funded_forecasts(bets)
    realisations = [r for q in quarters(review) for r in q.realisations]
    kpis = kpi_evidence(policy, actuals or (), claims(realisations, review.period), forecasts, review.period)
    return EvidenceFacts(review.period, policy.currency, actuals is not None, kpis, by_format(bets, "kind"),
                         by_format(bets, "delivery"), outcome_lines(kpis), programme_lines(bets, review.period),
                         cases(bets), "the ledger's positions" if money is not None else "the review")


def _funded_forecasts(bets: Sequence[BetEvidence]) -> dict[str, Decimal]:
    """priority -> the forecast lifts of the bets the plan funded, summed."""
    out: dict[str, Decimal] = {}
    for b in bets:
        if b.planned <= 0:
            continue
        for pid, lift in b.initiative.forecast.items():
            out[pid] = out.get(pid, ZERO) + Decimal(str(lift))
    return out
