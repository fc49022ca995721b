"""Write the portfolio report of a funding cycle: Markdown, or one self-contained HTML file with charts.

Criteria (the policy in words), funded bets with their allocation, expected
outcomes, measurement plans and the narrative of each decision, deferred and
rejected initiatives with reasons, totals and allocation breakdowns. With
--outcomes (and --period, default: the latest quarter read) the report adds
forecast vs realised lift per quarter and KPI progress toward targets. The
evaluation time defaults to the policy's effective date, so the same inputs
give the same bytes.
"""

from __future__ import annotations

import argparse


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--policy", "-P", required=True, metavar="POLICY", help="policy file or path@REV")
    parser.add_argument("--initiatives", "-i", required=True, metavar="SOURCE",
                        help="initiatives file (.csv/.json/.toml), or NAME:TARGET for a data-source plugin")
    parser.add_argument("--outcomes", "-O", metavar="SOURCE", help="outcome readings, for the outcome sections")
    parser.add_argument("--period", metavar="YYYY-Qn", help="review outcomes up to this quarter (default: latest)")
    parser.add_argument("--format", "-f", choices=("markdown", "html"), default="markdown",
                        help="markdown (default) or html (one self-contained file with charts)")
    parser.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of standard output")
    parser.add_argument("--evaluated-at", metavar="TIMESTAMP",
                        help="evaluation time recorded in the report (default: the policy's effective date)")


def run(args: argparse.Namespace) -> int:
    from budgetpolicy import api
    from budgetpolicy.commands._common import emit, registry_from_args
    from budgetpolicy.errors import Location, UsageError
    from budgetpolicy.report import build_portfolio

    if args.period and not args.outcomes:
        raise UsageError("--period needs --outcomes", Location(key="--period"),
                         hint="pass the outcome readings with --outcomes FILE")
    at = api.parse_timestamp(args.evaluated_at, "--evaluated-at") if args.evaluated_at else None
    _, facts = build_portfolio(args.policy, args.initiatives, outcomes_spec=args.outcomes, period=args.period,
                               evaluated_at=at, registry=registry_from_args(args))
    if args.format == "html":
        from budgetpolicy.report.html import render_html

        emit(args, render_html(facts))
    else:
        from budgetpolicy.report.markdown import render_markdown

        emit(args, render_markdown(facts))
    return 0
