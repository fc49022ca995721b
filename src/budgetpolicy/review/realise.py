"""Realisation: how much of its forecast lift an initiative delivered, per KPI and quarter.

The first step of a quarterly review (``review.quarterly``): every outcome
reading is turned into realisation ratios that calibration, reallocation and
sunset all consume.

Definitions (docs/review.md has worked examples):

- An initiative forecasts a *lift* per priority (``forecast.<priority-id>``),
  always in the KPI's good direction: 12 for "time to competence" means twelve
  days *faster*.
- A reading's ``kpis`` are keyed either by priority id, and then hold the
  realised lift already in the good direction (sign-normalised, like the
  forecast), or by the KPI's metric name (``days_to_competence``), and then
  hold the raw KPI value, converted to a lift against the priority's KPI
  baseline: ``value - baseline`` for higher-is-better, ``baseline - value``
  for lower-is-better. Any other key is an error (BP704); giving both forms
  for one priority in one reading is an error too.
- Realisation of KPI k: ``r_k = realised_k / expected_k``, where expected_k
  is the lift *due by the reading's quarter* (``review.milestones``: a
  declared milestone, or the forecast times the policy's ramp, times the
  funded share). With ``[milestones] ramp = "none"`` and full funding it is
  the forecast itself. A zero forecast makes ``r_k`` undefined, and so does a
  zero or not-yet-due expectation: reported with a note and left out of
  every mean (never a division error). A KPI read without a forecast is
  reported with a note and left out too.
- Initiative realisation: the forecast-weighted mean over the KPIs that have
  both a forecast and a reading, ``sum(|f_k| * r_k) / sum(|f_k|)``, which for
  positive forecasts and a whole-horizon comparison is
  ``sum(realised) / sum(forecast)``. ``None`` when no KPI qualifies (the
  quarter still counts as measured when a reading exists).
- Ratios are rounded half-even to 4 decimal places once, at the end; the
  weighted sums are kept exact so calibration can pool them across quarters.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal

from attrs import frozen

from budgetpolicy.errors import Diagnostic, did_you_mean
from budgetpolicy.model import Initiative, OutcomeReading, Policy
from budgetpolicy.review.milestones import Due

RATIO = Decimal("0.0001")
ZERO = Decimal(0)


def ratio(numerator: Decimal, denominator: Decimal) -> Decimal:
    return (numerator / denominator).quantize(RATIO, rounding=ROUND_HALF_EVEN)


@frozen
class KpiRealisation:
    priority: str
    forecast: Decimal | None
    realised: Decimal | None
    ratio: Decimal | None
    note: str = ""
    expected: Decimal | None = None  # the lift due by the quarter, which ``ratio`` compares with
    due: str = ""  # where ``expected`` comes from: "milestone 2026-Q2", "linear 1/3", "forecast", ...


@frozen
class Realisation:
    """One initiative in one quarter."""

    initiative_id: str
    period: str
    kpis: tuple[KpiRealisation, ...]
    value: Decimal | None
    # sum(|f_k| * r_k) and sum(|f_k|) over the KPIs counted: exact, for pooling.
    weighted: Decimal = ZERO
    weight: Decimal = ZERO


def kpi_lifts(reading: OutcomeReading, policy: Policy) -> tuple[dict[str, Decimal], list[Diagnostic]]:
    """The reading's KPI values as lifts keyed by priority id, and any problems with its keys."""
    by_metric = {p.kpi.metric: p for p in policy.priorities}
    ids = {p.id for p in policy.priorities}
    lifts: dict[str, Decimal] = {}
    problems: list[Diagnostic] = []
    for key, raw in reading.kpis.items():
        where = reading.origins.get(f"kpi.{key}", reading.location)  # its source's row, when merged
        value = raw if isinstance(raw, Decimal) else Decimal(str(raw))
        if key in ids:
            priority_id, lift = key, value
        elif key in by_metric:
            priority = by_metric[key]
            baseline = priority.kpi.baseline
            if baseline is None:  # defensive: a hand-built policy without a baseline
                problems.append(Diagnostic(
                    "BP708", f"KPI '{key}' is a raw value but priority '{priority.id}' has no baseline",
                    where.evolve(field=f"kpis.{key}"),
                    f"give the lift as kpis.{priority.id} or set priorities.kpi.baseline"))
                continue
            priority_id = priority.id
            lift = value - baseline if priority.kpi.direction == "higher" else baseline - value
        else:
            hint = did_you_mean(key, sorted(ids | set(by_metric)))
            problems.append(Diagnostic(
                "BP704", f"KPI '{key}' is neither a priority id nor a KPI metric of the policy",
                where.evolve(field=f"kpis.{key}"),
                hint or f"use a priority id ({', '.join(sorted(ids))}) for a lift, or a metric for a raw value"))
            continue
        if priority_id in lifts:
            problems.append(Diagnostic(
                "BP704", f"KPI for priority '{priority_id}' is given twice (as a lift and as a raw value)",
                where.evolve(field=f"kpis.{key}"), "keep one of the two columns"))
            continue
        lifts[priority_id] = lift
    return lifts, problems


def realise(initiative: Initiative, reading: OutcomeReading, lifts: Mapping[str, Decimal],
            due: Mapping[str, Due] | None = None) -> Realisation:
    """Realisation of one reading, given its lifts from :func:`kpi_lifts` and the lift due by its
    quarter per priority (``review.milestones.due_lifts``; without it, the whole forecast is due)."""
    lines: list[KpiRealisation] = []
    weighted = weight = ZERO
    for priority_id, raw_forecast in initiative.forecast.items():
        forecast = raw_forecast if isinstance(raw_forecast, Decimal) else Decimal(str(raw_forecast))
        owed = due.get(priority_id) if due is not None else None
        expected, basis = (owed.expected, owed.basis) if owed is not None else (forecast, "forecast")
        realised = lifts.get(priority_id)
        if realised is None:
            lines.append(KpiRealisation(priority_id, forecast, None, None, "not measured", expected, basis))
        elif forecast == 0:
            lines.append(KpiRealisation(priority_id, forecast, realised, None,
                                        "zero forecast: realisation undefined", expected, basis))
        elif not expected:
            lines.append(KpiRealisation(priority_id, forecast, realised, None,
                                        "nothing due yet: realisation undefined", expected, basis))
        else:
            exact = realised / expected
            lines.append(KpiRealisation(priority_id, forecast, realised, exact.quantize(RATIO, ROUND_HALF_EVEN),
                                        "", expected, basis))
            weighted += abs(forecast) * exact
            weight += abs(forecast)
    for priority_id in sorted(set(lifts) - set(initiative.forecast)):
        lines.append(KpiRealisation(priority_id, None, lifts[priority_id], None, "no forecast for this KPI"))
    value = ratio(weighted, weight) if weight else None
    return Realisation(initiative.id, reading.period, tuple(lines), value, weighted, weight)
