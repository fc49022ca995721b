"""Checks on the review's inputs, every problem reported at once (ReviewError, BP7xx).

The review trusts nothing it is given. Codes:

- BP701 a period (a reading's, an initiative's ``start``, the review's) is not ``YYYY-Qn``;
- BP702 two readings for the same initiative and quarter;
- BP703 a reading for an initiative that is not in the initiatives given;
- BP704 a KPI key that is neither a priority id nor a KPI metric, or one KPI given twice;
- BP706 spend to date goes down from one quarter to the next (readings out of order);
- BP707 a reading for a quarter before the initiative's ``start``;
- BP708 a raw KPI value whose priority has no baseline to measure it against;
- BP709 the plan has a decision for an unknown initiative, or two for one;
- BP710 a milestone for a priority the policy does not declare (did-you-mean), or one the
  initiative forecasts no lift for; BP711 a milestone before the initiative's ``start``;
  BP712 a milestone lift that is not a decimal >= 0 (the data stage catches it in files; this
  guards initiatives built in Python). A milestone's quarter that is not ``YYYY-Qn`` is BP701.

(BP705, no reading at or before the review period, is raised by the review itself.)
Readings may come in any order: they are keyed by (initiative, quarter).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from attrs import frozen

from budgetpolicy.errors import Diagnostics, Location, ReviewError, did_you_mean
from budgetpolicy.model import Decision, Initiative, OutcomeReading, Policy
from budgetpolicy.review.periods import is_period, parse_period, period_name
from budgetpolicy.review.realise import kpi_lifts


@frozen
class CheckedInputs:
    readings: dict[tuple[str, int], OutcomeReading]
    lifts: dict[tuple[str, int], dict[str, Decimal]]
    decisions: dict[str, Decision]
    starts: dict[str, int | None]

    @property
    def by_initiative(self) -> dict[str, dict[int, OutcomeReading]]:
        """Each initiative's readings by quarter (the sunset criteria of the learning chain judge them)."""
        out: dict[str, dict[int, OutcomeReading]] = {}
        for (iid, q), reading in self.readings.items():
            out.setdefault(iid, {})[q] = reading
        return out


def check_inputs(policy: Policy, initiatives: Sequence[Initiative], plan: Sequence[Decision],
                 outcomes: Sequence[OutcomeReading]) -> CheckedInputs:
    problems = Diagnostics()
    by_id = {i.id: i for i in initiatives}
    starts = _starts(initiatives, problems)
    for initiative in initiatives:
        _milestones(initiative, policy, starts.get(initiative.id), problems)
    decisions = _decisions(plan, by_id, problems)
    readings: dict[tuple[str, int], OutcomeReading] = {}
    lifts: dict[tuple[str, int], dict[str, Decimal]] = {}
    for reading in outcomes:
        where = reading.location
        iid = reading.initiative_id
        if iid not in by_id:
            problems.add("BP703", where.evolve(field="initiative_id"), f"outcome for unknown initiative '{iid}'",
                         did_you_mean(iid, by_id) or "check the id against the initiatives file")
            continue
        if not is_period(reading.period):
            problems.add("BP701", where.evolve(field="period"), f"period {reading.period!r} is not a quarter",
                         "write YYYY-Qn, e.g. 2026-Q2")
            continue
        q = parse_period(reading.period)
        if (iid, q) in readings:
            first = readings[(iid, q)].location
            problems.add("BP702", where.evolve(field="period"),
                         f"duplicate reading for '{iid}' in {reading.period} (first at {first})",
                         "keep one reading per initiative and quarter")
            continue
        start = starts.get(iid)
        if start is not None and q < start:
            problems.add("BP707", where.evolve(field="period"),
                         f"reading for '{iid}' in {reading.period} is before its start {period_name(start)}",
                         "fix the period or the initiative's start")
            continue
        found, bad = kpi_lifts(reading, policy)
        problems.extend(bad)
        readings[(iid, q)] = reading
        lifts[(iid, q)] = found
    _spend_order(readings, problems)
    problems.raise_if_errors(ReviewError)
    return CheckedInputs(readings, lifts, decisions, starts)


def _starts(initiatives: Sequence[Initiative], problems: Diagnostics[Location]) -> dict[str, int | None]:
    """Each initiative's start quarter (None when it has none, or a bad one, which is reported)."""
    starts: dict[str, int | None] = {}
    for initiative in initiatives:
        if initiative.start is None or initiative.start == "":
            starts[initiative.id] = None
        elif is_period(initiative.start):
            starts[initiative.id] = parse_period(initiative.start)
        else:
            starts[initiative.id] = None
            problems.add("BP701", initiative.location.evolve(field="start"),
                         f"start {initiative.start!r} of '{initiative.id}' is not a quarter",
                         "write YYYY-Qn, e.g. 2026-Q1")
    return starts


def _milestones(initiative: Initiative, policy: Policy, start: int | None, problems: Diagnostics[Location]) -> None:
    """Each declared milestone names a quarter, a priority of the policy the initiative forecasts, a lift."""
    declared = [p.id for p in policy.priorities]
    for period, lifts in initiative.milestones.items():
        for priority, lift in lifts.items():
            where = initiative.location.evolve(field=f"milestone.{period}.{priority}")
            if not is_period(period):
                problems.add("BP701", where, f"milestone quarter {period!r} of '{initiative.id}' is not a quarter",
                             "write milestone.YYYY-Qn.<priority-id>, e.g. milestone.2026-Q2.win-rate")
            elif priority not in declared:
                problems.add("BP710", where, f"milestone for unknown priority '{priority}'",
                             did_you_mean(priority, declared) or f"priorities: {', '.join(declared)}")
            elif priority not in initiative.forecast:
                problems.add("BP710", where, f"milestone for '{priority}', which '{initiative.id}' forecasts no lift for",
                             f"add forecast.{priority}, or drop the milestone")
            elif not isinstance(lift, (Decimal, int)) or isinstance(lift, bool) or lift < 0:
                shown = format(lift, "f") if isinstance(lift, Decimal) and lift.is_finite() else repr(lift)
                problems.add("BP712", where, f"milestone lift {shown} is not a decimal >= 0",
                             "give the lift due by the quarter, in the KPI's unit")
            elif start is not None and parse_period(period) < start:
                problems.add("BP711", where, f"milestone {period} of '{initiative.id}' is before its start "
                             f"{period_name(start)}", "fix the quarter or the initiative's start")


def _decisions(plan: Sequence[Decision], by_id: Mapping[str, Initiative],
               problems: Diagnostics[Location]) -> dict[str, Decision]:
    """The plan's decision per initiative; a plan is one funding cycle's, so one decision each."""
    decisions: dict[str, Decision] = {}
    for decision in plan:
        iid = decision.initiative_id
        if iid not in by_id:
            problems.add("BP709", Location(), f"the plan has a decision for unknown initiative '{iid}'",
                         did_you_mean(iid, by_id) or "review the plan of these initiatives")
        elif iid in decisions:
            problems.add("BP709", Location(), f"the plan has two decisions for '{iid}'",
                         "pass one funding cycle's decisions")
        else:
            decisions[iid] = decision
    return decisions


def _spend_order(readings: dict[tuple[str, int], OutcomeReading], problems: Diagnostics[Location]) -> None:
    """Spend to date is cumulative: a fall means readings are out of order or mislabelled."""
    last: dict[str, tuple[int, Decimal]] = {}
    for (iid, q) in sorted(readings, key=lambda k: (k[0], k[1])):
        spend = readings[(iid, q)].spend_to_date
        if spend is None:
            continue
        if iid in last and spend < last[iid][1]:
            earlier, amount = last[iid]
            problems.add("BP706", readings[(iid, q)].origin("spend_to_date"),
                         f"spend to date of '{iid}' falls from {amount} in {period_name(earlier)} to {spend} in "
                         f"{period_name(q)}",
                         "spend to date is cumulative: check the periods are in the right quarters")
        last[iid] = (q, spend)
