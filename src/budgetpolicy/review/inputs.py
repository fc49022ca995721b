"""Checks on the review's inputs, every problem reported at once (ReviewError, BP7xx).

The review trusts nothing it is given. Codes:

- BP701 a period (a reading's, an initiative's ``start``, the review's) is not ``YYYY-Qn``;
- BP702 two readings for the same initiative and quarter;
- BP703 a reading for an initiative that is not in the initiatives given;
- BP704 a KPI key that is neither a priority id nor a KPI metric, or one KPI given twice;
- BP706 spend to date goes down from one quarter to the next (readings out of order);
- BP707 a reading for a quarter before the initiative's ``start``;
- BP708 a raw KPI value whose priority has no baseline to measure it against;
- BP709 the plan has a decision for an unknown initiative, or two for one.

(BP705, no reading at or before the review period, is raised by the review itself.)
Readings may come in any order: they are keyed by (initiative, quarter).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from attrs import frozen

from budgetpolicy.errors import Diagnostic, ReviewError, did_you_mean
from budgetpolicy.model import Decision, Initiative, OutcomeReading, Policy
from budgetpolicy.review.periods import is_period, parse_period, period_name
from budgetpolicy.review.realise import kpi_lifts


@frozen
class CheckedInputs:
    readings: dict[tuple[str, int], OutcomeReading]
    lifts: dict[tuple[str, int], dict[str, Decimal]]
    decisions: dict[str, Decision]
    starts: dict[str, int | None]


def check_inputs(policy: Policy, initiatives: Sequence[Initiative], plan: Sequence[Decision],
                 outcomes: Sequence[OutcomeReading]) -> CheckedInputs:
    problems: list[Diagnostic] = []
    by_id = {i.id: i for i in initiatives}
    starts: dict[str, int | None] = {}
    for initiative in initiatives:
        if initiative.start is None or initiative.start == "":
            starts[initiative.id] = None
        elif is_period(initiative.start):
            starts[initiative.id] = parse_period(initiative.start)
        else:
            starts[initiative.id] = None
            problems.append(Diagnostic("BP701", f"start {initiative.start!r} of '{initiative.id}' is not a quarter",
                                       initiative.location.evolve(field="start"), "write YYYY-Qn, e.g. 2026-Q1"))
    decisions: dict[str, Decision] = {}
    for decision in plan:
        iid = decision.initiative_id
        if iid not in by_id:
            problems.append(Diagnostic("BP709", f"the plan has a decision for unknown initiative '{iid}'",
                                       hint=did_you_mean(iid, by_id) or "review the plan of these initiatives"))
        elif iid in decisions:
            problems.append(Diagnostic("BP709", f"the plan has two decisions for '{iid}'",
                                       hint="pass one funding cycle's decisions"))
        else:
            decisions[iid] = decision
    readings: dict[tuple[str, int], OutcomeReading] = {}
    lifts: dict[tuple[str, int], dict[str, Decimal]] = {}
    for reading in outcomes:
        where = reading.location
        iid = reading.initiative_id
        if iid not in by_id:
            problems.append(Diagnostic("BP703", f"outcome for unknown initiative '{iid}'",
                                       where.evolve(field="initiative_id"),
                                       did_you_mean(iid, by_id) or "check the id against the initiatives file"))
            continue
        if not is_period(reading.period):
            problems.append(Diagnostic("BP701", f"period {reading.period!r} is not a quarter",
                                       where.evolve(field="period"), "write YYYY-Qn, e.g. 2026-Q2"))
            continue
        q = parse_period(reading.period)
        if (iid, q) in readings:
            first = readings[(iid, q)].location
            problems.append(Diagnostic("BP702", f"duplicate reading for '{iid}' in {reading.period} "
                                                f"(first at {first})", where.evolve(field="period"),
                                       "keep one reading per initiative and quarter"))
            continue
        start = starts.get(iid)
        if start is not None and q < start:
            problems.append(Diagnostic("BP707", f"reading for '{iid}' in {reading.period} is before its start "
                                                f"{period_name(start)}", where.evolve(field="period"),
                                       "fix the period or the initiative's start"))
            continue
        found, bad = kpi_lifts(reading, policy)
        problems.extend(bad)
        readings[(iid, q)] = reading
        lifts[(iid, q)] = found
    problems.extend(_spend_order(readings))
    if problems:
        raise ReviewError(problems)
    return CheckedInputs(readings, lifts, decisions, starts)


def _spend_order(readings: dict[tuple[str, int], OutcomeReading]) -> list[Diagnostic]:
    """Spend to date is cumulative: a fall means readings are out of order or mislabelled."""
    problems = []
    last: dict[str, tuple[int, Decimal]] = {}
    for (iid, q) in sorted(readings, key=lambda k: (k[0], k[1])):
        spend = readings[(iid, q)].spend_to_date
        if spend is None:
            continue
        if iid in last and spend < last[iid][1]:
            earlier, amount = last[iid]
            problems.append(Diagnostic(
                "BP706", f"spend to date of '{iid}' falls from {amount} in {period_name(earlier)} to {spend} in "
                         f"{period_name(q)}", readings[(iid, q)].location.evolve(field="spend_to_date"),
                "spend to date is cumulative: check the periods are in the right quarters"))
        last[iid] = (q, spend)
    return problems
