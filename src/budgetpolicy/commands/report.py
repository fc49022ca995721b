"""Write the portfolio report of a funding cycle: Markdown, or one self-contained HTML file with charts.

Criteria (the policy in words), funded bets with their allocation, expected
outcomes, measurement plans and the narrative of each decision, deferred and
rejected initiatives with reasons, totals and allocation breakdowns. With
--outcomes (and --period, default: the latest quarter read) the report adds
forecast vs realised lift per quarter and the evidence sections (effectiveness
by format, plan versus actual, case-study drafts); --kpis FILE (the
organisation's KPI actuals, docs/evidence.md) adds KPI progress and the lifts
attributed to each initiative. The evaluation time defaults to the policy's
effective date, so the same inputs give the same bytes.

With --ledger L the report is the budget year's, from the ledger alone (the
plan's stored policy and the recorded events; no --policy or --initiatives):
where the money stands after the latest recorded quarter (or --period),
what changed in it, every bet, and the earlier quarters' moves; then the
evidence sections from the recorded readings (money from the ledger's
positions), with --kpis as above.
"""

from __future__ import annotations

import argparse
import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from budgetpolicy.audit.ledger import Ledger
    from budgetpolicy.report.evidencefacts import EvidenceFacts
    from budgetpolicy.report.yearfacts import YearReport
    from budgetpolicy.year.events import BudgetYear
    from budgetpolicy.engine.evaluation import Evaluation
    from budgetpolicy.evidence.kpis import KpiActual
    from budgetpolicy.model import Initiative, OutcomeReading, Policy
    from budgetpolicy.registry import Registry
    from budgetpolicy.review.quarterly import ReviewResult


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--policy", "-P", metavar="POLICY", help="policy file or path@REV (required without --ledger)")
    parser.add_argument("--initiatives", "-i", metavar="SOURCE",
                        help="initiatives file (.csv/.json/.toml), or NAME:TARGET for a data-source plugin "
                             "(required without --ledger)")
    parser.add_argument("--ledger", "-L", metavar="LEDGER",
                        help="report the budget year recorded in LEDGER, from the ledger alone")
    parser.add_argument("--outcomes", "-O", metavar="SOURCE", action="append",
                        help="outcome readings, for the outcome sections; repeat it for several sources (merged "
                             "per initiative and quarter as review merges them)")
    parser.add_argument("--kpis", metavar="FILE",
                        help="the organisation's KPI actuals (CSV: priority or metric, period, value), for KPI "
                             "progress and attribution (needs --outcomes, or --ledger)")
    parser.add_argument("--period", metavar="YYYY-Qn",
                        help="review outcomes up to this quarter; with --ledger, the recorded quarter to report "
                             "(default: the latest)")
    parser.add_argument("--format", "-f", choices=("markdown", "html"), default=None,
                        help="markdown or html (one self-contained file with charts); default: html when "
                             "--output ends in .html or .htm, else markdown")
    parser.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of standard output")
    from budgetpolicy.commands._progress import add_quiet_option

    add_quiet_option(parser)  # progress on stderr: docs/cli.md
    parser.add_argument("--evaluated-at", metavar="TIMESTAMP",
                        help="evaluation time recorded in the report (default: the policy's effective date)")


def run(args: argparse.Namespace) -> int:
    from budgetpolicy.commands._progress import progress_for

    with progress_for(args) as progress, progress.phase("computing and rendering the report"):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    from budgetpolicy import api
    from budgetpolicy.commands._common import emit, registry_from_args
    from budgetpolicy.errors import Location, UsageError
    from budgetpolicy.report.facts import portfolio

    if args.ledger:
        return _year(args)
    for given, flag in ((args.policy, "--policy"), (args.initiatives, "--initiatives")):
        if not given:
            raise UsageError(f"{flag} is required (or --ledger, for the report of a recorded budget year)",
                             Location(key=flag), hint="budgetpolicy report --policy POLICY --initiatives SOURCE, "
                                                      "or budgetpolicy report --ledger LEDGER")
    for flag, given in (("--period", args.period), ("--kpis", args.kpis)):
        if given and not args.outcomes:
            raise UsageError(f"{flag} needs --outcomes", Location(key=flag),
                             hint="pass the outcome readings with --outcomes FILE")
    at = api.parse_timestamp(args.evaluated_at, "--evaluated-at") if args.evaluated_at else None
    evaluation, initiatives, result, outcomes = gather(
        args.policy, args.initiatives, outcomes_spec=args.outcomes, period=args.period, evaluated_at=at,
        registry=registry_from_args(args))
    facts = portfolio(evaluation, initiatives, result, outcomes, read_actuals(args.kpis, evaluation.policy))
    if _format(args) == "html":
        from budgetpolicy.report.html import render_html

        emit(args, render_html(facts))
    else:
        from budgetpolicy.report.markdown import render_markdown

        emit(args, render_markdown(facts))
    return 0


def _year(args: argparse.Namespace) -> int:
    """The report of the budget year in ``--ledger``: everything from the ledger (BP850 without a plan)."""
    from budgetpolicy.audit.ledger import Ledger
    from attrs import evolve

    from budgetpolicy.commands._common import emit, registry_from_args
    from budgetpolicy.errors import Location, UsageError
    from budgetpolicy.report.yearfacts import year_report
    from budgetpolicy.year.events import read_year

    extra = [flag for flag, given in (("--policy", args.policy), ("--initiatives", args.initiatives),
                                      ("--outcomes", args.outcomes), ("--evaluated-at", args.evaluated_at)) if given]
    if extra:
        raise UsageError(f"{', '.join(extra)} cannot be combined with --ledger: the report of the year is read from "
                         "the ledger alone", Location(key=extra[0]),
                         hint=f"leave out {', '.join(extra)} (the plan's policy and inputs are in the ledger)")
    with Ledger(args.ledger, create=False, readonly=True) as ledger:
        year = read_year(ledger)
        facts = year_report(year, args.period)
        actuals = read_actuals(args.kpis, year.policy)  # checked even before the first quarter is recorded
        if facts.period is not None:
            facts = evolve(facts, evidence=year_evidence(ledger, year, facts, actuals, registry_from_args(args)))
    if _format(args) == "html":
        from budgetpolicy.report.yearhtml import render_year_html

        emit(args, render_year_html(facts))
    else:
        from budgetpolicy.report.yearmarkdown import render_year_markdown

        emit(args, render_year_markdown(facts))
    return 0


def year_evidence(ledger: Ledger, year: BudgetYear, report: YearReport, actuals: Sequence[KpiActual] | None,
                  registry: Registry) -> EvidenceFacts:
    """The evidence sections of the year's report: the recorded quarters reviewed again from the ledger alone
    (the plan's policy, initiatives and decisions, the recorded readings up to the quarter reported, the
    sign-offs and requests), with the money of the ledger's positions."""
    from budgetpolicy.engine.compile import compile_policy
    from budgetpolicy.evidence.roi import realised_returns
    from budgetpolicy.report.evidencefacts import evidence_facts
    from budgetpolicy.review.periods import parse_period
    from budgetpolicy.review.quarterly import review
    from budgetpolicy.year.quarters import plan_inputs, recorded_outcomes, requested
    from budgetpolicy.year.view import year_view

    assert report.period is not None  # the caller reports a reviewed quarter
    until = parse_period(report.period)
    initiatives, decisions = plan_inputs(ledger, year)
    view = year_view(year, compile_policy(year.policy, registry))
    kept = {(r.initiative_id, r.period): r for r in year.readings if parse_period(r.period) <= until}
    readings = tuple(recorded_outcomes(year, kept.values()))
    every = (*initiatives, *requested(view))
    result = review(year.policy, every, decisions, readings, report.period, view)
    money = {p.initiative_id: (p.planned, p.allocated + p.earmarked, p.spent) for p in report.positions.initiatives}
    returns = realised_returns(year.policy, every, decisions, readings, result)
    return evidence_facts(year.policy, every, result, readings, actuals, money, returns)


def read_actuals(path: str | None, policy: Policy) -> tuple[KpiActual, ...] | None:
    """The KPI actuals of ``--kpis`` (None without the option)."""
    from budgetpolicy.evidence.kpis import read_kpis

    return read_kpis(path, policy) if path else None


def evaluate_and_review(policy_spec: str, initiatives_spec: str, *, outcomes_spec: str | Sequence[str] | None = None,
                        period: str | None = None, evaluated_at: dt.datetime | None = None,
                        registry: Registry | None = None,
                        ) -> tuple[Evaluation, tuple[Initiative, ...], ReviewResult | None]:
    """What the report shows: the funding cycle of ``initiatives_spec`` under ``policy_spec`` at
    ``evaluated_at`` (default: the policy's effective date) and, given ``outcomes_spec``, its quarterly
    review up to ``period`` (default: the latest quarter read; no review when there is no reading)."""
    evaluation, initiatives, result, _ = gather(policy_spec, initiatives_spec, outcomes_spec=outcomes_spec,
                                                period=period, evaluated_at=evaluated_at, registry=registry)
    return evaluation, initiatives, result


def gather(policy_spec: str, initiatives_spec: str, *, outcomes_spec: str | Sequence[str] | None = None,
           period: str | None = None, evaluated_at: dt.datetime | None = None, registry: Registry | None = None,
           ) -> tuple[Evaluation, tuple[Initiative, ...], ReviewResult | None, tuple[OutcomeReading, ...]]:
    """:func:`evaluate_and_review` and the outcome readings read (for the evidence sections)."""
    from budgetpolicy import api
    from budgetpolicy.plugins import build_registry

    registry = registry or build_registry()
    compiled = api.open_policy(policy_spec, registry)
    initiatives = api.read_initiatives(initiatives_spec, registry, attribute_types=compiled.policy.attributes,
                                       policy=compiled.policy)
    evaluation = api.evaluate(compiled, initiatives, evaluated_at=evaluated_at or api.plan_time(compiled.policy))
    if not outcomes_spec:
        return evaluation, initiatives, None, ()
    outcomes = tuple(api.read_outcomes(outcomes_spec, registry, initiative_ids=[i.id for i in initiatives],
                                       policy=compiled.policy))
    if period is None:
        period = max(o.period for o in outcomes) if outcomes else None
    if period is None:
        return evaluation, initiatives, None, outcomes
    return evaluation, initiatives, api.run_review(compiled, initiatives, outcomes, period, plan=evaluation), outcomes


def _format(args: argparse.Namespace) -> str:
    """The format asked for, else the one ``--output``'s suffix names (``-o report.html`` writes HTML)."""
    if args.format:
        return str(args.format)
    return "html" if str(args.output or "").lower().endswith((".html", ".htm")) else "markdown"
