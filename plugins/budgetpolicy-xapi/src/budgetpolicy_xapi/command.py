"""``budgetpolicy xapi-report SOURCE``: per-course and per-initiative totals of xAPI statements.

What the outcome records cannot carry (the outcome schema has completion and
assessment means only): per course and quarter the learners, completions,
passes and fails, pass rate and mean scaled score, and the same per
initiative. SOURCE is an ``xapi:`` or ``lrs:`` spec, as for ``--outcomes``;
the notes about statements not counted go to stderr, as they do there.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from budgetpolicy.canonical import pretty_json, to_jsonable
from budgetpolicy.errors import Location, UsageError
from budgetpolicy.formatting import percent
from budgetpolicy.output import table

__all__ = ["configure", "render_json", "render_table", "run"]


def configure(subparsers: Any) -> None:
    parser = subparsers.add_parser("xapi-report", help="per-course totals of xAPI statements (xapi: or lrs: source)",
                                   description=__doc__.split("\n\n")[1] if __doc__ else None)
    parser.add_argument("source", metavar="SOURCE",
                        help="xapi:EXPORT.json[?mapping=MAP.toml&skip-invalid=1] or lrs:CONFIG.toml")
    parser.add_argument("--format", "-f", choices=("table", "json"), default="table",
                        help="output format (default: table)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from budgetpolicy_xapi import read_source
    from budgetpolicy_xapi.notes import checked_records

    spec, sep, target = args.source.partition(":")
    if not sep or spec not in ("xapi", "lrs"):
        raise UsageError(f"xapi-report reads an xapi: or lrs: source, got {args.source!r}", Location(key="SOURCE"),
                         hint="e.g. xapi:export.json?mapping=map.toml or lrs:lrs.toml")
    result, file, skip, seen = read_source(spec, target)
    option = "?skip-invalid=1 after the file name" if spec == "xapi" else "skip_invalid = true in " + target
    checked_records(result, file, skip_invalid=skip, option=option, seen=seen)
    sys.stdout.write(render_json(result) if args.format == "json" else render_table(result))
    return 0


def _rows(totals: Any) -> list[tuple[Any, ...]]:
    return [(t.initiative_id, t.course, t.period, t.statements, t.learners, t.completed, percent(t.completion_rate),
             t.passed, t.failed, percent(t.pass_rate), "-" if t.mean_scaled is None else str(t.mean_scaled))
            for t in totals]


def render_table(result: Any) -> str:
    head = ("INITIATIVE", "COURSE", "QUARTER", "STATEMENTS", "LEARNERS", "COMPLETED", "COMPLETION", "PASSED",
            "FAILED", "PASS RATE", "MEAN SCALED")
    return ("Per course and quarter\n" + table(head, _rows(result.courses), max_width=100)
            + "\nPer initiative and quarter\n" + table(head, _rows(result.initiatives), max_width=100))


def render_json(result: Any) -> str:
    return pretty_json({"courses": to_jsonable(list(result.courses)),
                        "initiatives": to_jsonable(list(result.initiatives)),
                        "statements": result.statements, "voided": result.voided,
                        "unmapped_activities": dict(result.unmapped_activities),
                        "unknown_verbs": {k: list(v) for k, v in result.unknown_verbs.items()},
                        "skipped": [d.to_dict() for d in result.problems],
                        "unscored": [d.to_dict() for d in result.unscored]})
