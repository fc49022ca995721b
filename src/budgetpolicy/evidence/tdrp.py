"""Plan versus actual in the Talent Development Reporting principles' shape (TDRp).

Two tables, both to the quarter reviewed:

- **outcome measures**, per priority: plan = the KPI's target; year-to-date actual = the latest KPI
  actual at or before the quarter (:mod:`.kpis`); YTD % of plan = the observed change / the gap
  (baseline to target); forecast for the year = the baseline moved by the observed change run on to
  the year's end, ``observed * 4 / n`` where ``n`` is the actual's quarter of the year (Q2: n = 2).
- **programme measures**, per kind (efficiency: spend and participants; effectiveness: completion and
  realisation): plan = the plan's allocation; YTD actual = spent to date; YTD % = spent / planned;
  forecast for the year = spent run on at the same pace, ``spent * 4 / n`` with ``n`` the reviewed
  quarter of the year, never below what is spent; completion and realisation as :mod:`.formats`
  computes them (their plan is 100%).

The money comes from the review's positions, or from the ledger's when the report is the year's (the
caller passes :class:`~.formats.BetEvidence` built either way). Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal

from attrs import frozen

from budgetpolicy.evidence.formats import BetEvidence, FormatRow, by_format
from budgetpolicy.evidence.kpis import KpiEvidence

ZERO = Decimal(0)
FOUR = Decimal(4)


@frozen
class OutcomeLine:
    priority: str
    name: str
    unit: str
    plan: Decimal  # the target
    actual: Decimal | None  # the latest KPI actual
    actual_period: str | None
    share_of_plan: Decimal | None  # observed change / gap
    forecast: Decimal | None  # the KPI's value at the year's end at the same pace


@frozen
class ProgrammeLine:
    programme: str  # the kind
    planned: Decimal
    spent: Decimal
    share_of_plan: Decimal | None  # spent / planned
    forecast: Decimal  # spend for the year at the same pace
    row: FormatRow  # participants, completion, realisation of the same bets


def quarter_of_year(period: str) -> int:
    return int(period[-1])


def outcome_lines(evidence: Sequence[KpiEvidence]) -> tuple[OutcomeLine, ...]:
    out = []
    for e in evidence:
        p, kpi = e.priority, e.priority.kpi
        forecast = None
        if e.observed is not None and e.period is not None:
            moved = e.observed * FOUR / quarter_of_year(e.period)
            value = kpi.baseline + moved if kpi.direction == "higher" else kpi.baseline - moved
            forecast = value.quantize(Decimal("0.01"), ROUND_HALF_EVEN)
        out.append(OutcomeLine(p.id, p.name, kpi.unit, kpi.target, e.actual, e.period, e.share_of_gap, forecast))
    return tuple(out)


def programme_lines(bets: Sequence[BetEvidence], period: str) -> tuple[ProgrammeLine, ...]:
    n = quarter_of_year(period)
    out = []
    for row in by_format(bets, "kind"):
        share = (row.spent / row.planned).quantize(Decimal("0.0001"), ROUND_HALF_EVEN) if row.planned else None
        forecast = max(row.spent, (row.spent * FOUR / n).quantize(Decimal("0.01"), ROUND_HALF_EVEN))
        out.append(ProgrammeLine(row.group, row.planned, row.spent, share, forecast, row))
    return tuple(out)
