"""Write the portfolio report of a funding cycle: Markdown, or one self-contained HTML file with charts.

Criteria (the policy in words), funded bets with their allocation, expected
outcomes, measurement plans and the narrative of each decision, deferred and
rejected initiatives with reasons, totals and allocation breakdowns. With
--outcomes (and --period, default: the latest quarter read) the report adds
forecast vs realised lift per quarter and KPI progress toward targets. The
evaluation time defaults to the policy's effective date, so the same inputs
give the same bytes.

With --ledger L the report is the budget year's, from the ledger alone (the
plan's stored policy and the recorded events; no --policy or --initiatives):
where the money stands after the latest recorded quarter (or --period),
what changed in it, every bet, and the earlier quarters' moves.
"""

from __future__ import annotations

import argparse
import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from budgetpolicy.engine.evaluation import Evaluation
    from budgetpolicy.model import Initiative
    from budgetpolicy.registry import Registry
    from budgetpolicy.review.quarterly import ReviewResult


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--policy", "-P", metavar="POLICY", help="policy file or path@REV (required without --ledger)")
    parser.add_argument("--initiatives", "-i", metavar="SOURCE",
                        help="initiatives file (.csv/.json/.toml), or NAME:TARGET for a data-source plugin "
                             "(required without --ledger)")
    parser.add_argument("--ledger", "-L", metavar="LEDGER",
                        help="report the budget year recorded in LEDGER, from the ledger alone")
    parser.add_argument("--outcomes", "-O", metavar="SOURCE", help="outcome readings, for the outcome sections")
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
    if args.period and not args.outcomes:
        raise UsageError("--period needs --outcomes", Location(key="--period"),
                         hint="pass the outcome readings with --outcomes FILE")
    at = api.parse_timestamp(args.evaluated_at, "--evaluated-at") if args.evaluated_at else None
    evaluation, initiatives, result = evaluate_and_review(
        args.policy, args.initiatives, outcomes_spec=args.outcomes, period=args.period, evaluated_at=at,
        registry=registry_from_args(args))
    facts = portfolio(evaluation, initiatives, result)
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
    from budgetpolicy.commands._common import emit
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
    if _format(args) == "html":
        from budgetpolicy.report.yearhtml import render_year_html

        emit(args, render_year_html(facts))
    else:
        from budgetpolicy.report.yearmarkdown import render_year_markdown

        emit(args, render_year_markdown(facts))
    return 0


def evaluate_and_review(policy_spec: str, initiatives_spec: str, *, outcomes_spec: str | None = None,
                        period: str | None = None, evaluated_at: dt.datetime | None = None,
                        registry: Registry | None = None,
                        ) -> tuple[Evaluation, tuple[Initiative, ...], ReviewResult | None]:
    """What the report shows: the funding cycle of ``initiatives_spec`` under ``policy_spec`` at
    ``evaluated_at`` (default: the policy's effective date) and, given ``outcomes_spec``, its quarterly
    review up to ``period`` (default: the latest quarter read; no review when there is no reading)."""
    from budgetpolicy import api
    from budgetpolicy.plugins import build_registry

    registry = registry or build_registry()
    compiled = api.open_policy(policy_spec, registry)
    initiatives = api.read_initiatives(initiatives_spec, registry, attribute_types=compiled.policy.attributes,
                                       policy=compiled.policy)
    evaluation = api.evaluate(compiled, initiatives, evaluated_at=evaluated_at or api.plan_time(compiled.policy))
    if not outcomes_spec:
        return evaluation, initiatives, None
    outcomes = api.read_outcomes(outcomes_spec, registry, initiative_ids=[i.id for i in initiatives],
                                 policy=compiled.policy)
    if period is None:
        period = max(o.period for o in outcomes) if outcomes else None
    if period is None:
        return evaluation, initiatives, None
    return evaluation, initiatives, api.run_review(compiled, initiatives, outcomes, period, plan=evaluation)


def _format(args: argparse.Namespace) -> str:
    """The format asked for, else the one ``--output``'s suffix names (``-o report.html`` writes HTML)."""
    if args.format:
        return str(args.format)
    return "html" if str(args.output or "").lower().endswith((".html", ".htm")) else "markdown"
