"""Stretch assignments: choose who takes each one, within every capacity, and say why.

  budgetpolicy stretch select --policy P --initiatives I --candidates C [--ledger L]
                              [--strategy optimal|greedy] [--format table|json|csv] [--at TIMESTAMP]

Ranks the candidates of each stretch assignment on the policy's candidate rubric ([stretch] weights),
chooses within the mentors' capacities, each person's load and concurrent assignments and each
assignment's seats (optimal: HiGHS; greedy: best score first), explains each pick and non-pick, and
prints the selection rates by department and declared group (flagged under the four-fifths rule).
With --ledger the selection is recorded as a ``stretch_selection`` record. Bad input: one located line
each, exit 2, nothing recorded. docs/stretch.md.
"""

from __future__ import annotations

import argparse
from typing import Any


def configure(parser: argparse.ArgumentParser) -> None:
    from budgetpolicy.commands._common import add_format_options

    sub = parser.add_subparsers(dest="stretch_command", metavar="ACTION", required=True, parser_class=type(parser))
    select = sub.add_parser("select", help="choose who takes each stretch assignment")
    select.add_argument("--policy", "-P", required=True, metavar="POLICY", help="a policy with a [stretch] section")
    select.add_argument("--initiatives", "-i", required=True, metavar="SOURCE",
                        help="the initiatives (the assignments are those of kind stretch)")
    select.add_argument("--candidates", "-c", required=True, metavar="FILE", help="candidates, .csv or .json")
    select.add_argument("--ledger", "-l", metavar="FILE", help="record the selection in this ledger")
    select.add_argument("--strategy", choices=("optimal", "greedy"),
                        help="optimal (HiGHS) or greedy (best score first); default: the policy's [stretch] strategy")
    select.add_argument("--at", metavar="TIMESTAMP", help="when it is recorded (ISO 8601; default: now, UTC)")
    add_format_options(select)


def run(args: argparse.Namespace) -> int:
    from budgetpolicy import api
    from budgetpolicy.commands._common import emit, registry_from_args

    at = api.parse_timestamp(args.at, "--at") if args.at else None
    result = api.select_stretch(args.policy, args.initiatives, args.candidates, strategy=args.strategy,
                                ledger=args.ledger, at=at, registry=registry_from_args(args))
    render = {"table": selection_table, "json": selection_json, "csv": selection_csv}[args.format]
    emit(args, render(result))
    return 0


def selection_table(result: Any) -> str:
    from budgetpolicy.output import table

    s = result.selection
    lines = [f"Stretch selection under {result.policy.id} {result.policy.version}, strategy {s.strategy}: "
             f"{len(s.picks)} pick(s) of {len(s.choices)} candidate(s), total score {s.total_score}"
             + (f"; recorded as seq {result.seq}" if result.seq is not None else "") + "\n"]
    for a in s.assignments:
        lines.append(f"\n{a.id} {a.title} ({a.seats} seat(s), from {a.start or 'no start'})\n")
        choices = [c for c in s.choices if c.assignment == a.id]
        lines.append(table(("rank", "person", "department", "mentor", "score", "time", "picked"),
                           [(c.rank, c.person, c.department, c.mentor, c.score, c.time_commitment,
                             "yes" if c.picked else "no") for c in choices]))
        lines.extend(f"  {c.person} not picked: {'; '.join(c.reasons)}\n" for c in choices if not c.picked)
    lines.append("\nSelection rates (people picked / people who were candidates)\n")
    lines.append(table(("attribute", "value", "candidates", "picked", "rate", "impact ratio", ""),
                       [(r.attribute, r.value, r.candidates, r.selected, r.rate, r.impact_ratio,
                         "below the four-fifths line" if r.flagged else "") for r in s.rates]))
    return "".join(lines)


def selection_json(result: Any) -> str:
    from budgetpolicy.canonical import pretty_json
    from budgetpolicy.stretch.record import selection_payload

    payload = selection_payload(result.selection, ())
    del payload["candidates"]
    return pretty_json({"policy": {"id": result.policy.id, "version": result.policy.version,
                                   "sha256": result.policy.source.sha256 if result.policy.source else None},
                        "seq": result.seq, **payload})


def selection_csv(result: Any) -> str:
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("assignment", "rank", "person", "department", "mentor", "score", "time_commitment", "picked",
                     "reasons"))
    for c in result.selection.choices:
        writer.writerow((c.assignment, c.rank, c.person, c.department, c.mentor, c.score, c.time_commitment,
                         "true" if c.picked else "false", "; ".join(c.reasons)))
    return out.getvalue()
