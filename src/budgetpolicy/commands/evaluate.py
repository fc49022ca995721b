"""Run a funding cycle: score every initiative, apply the approval rules, allocate the pool.

Prints one row per decision (a table that fits the terminal), or the full explained decisions
(--format json, or one per line with jsonl) or a flat CSV (with title, department and the funding
reason). The evaluation time is an input: pass
--evaluated-at for byte-identical output across runs (default: now, UTC).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from budgetpolicy.engine.compile import CompiledPolicy
    from budgetpolicy.engine.evaluation import Evaluation
    from budgetpolicy.errors import Diagnostic
    from budgetpolicy.explain.whatif import WhatIf
    from budgetpolicy.model import Initiative


def configure(parser: argparse.ArgumentParser) -> None:
    from budgetpolicy.commands._common import add_format_options

    parser.add_argument("--policy", "-P", required=True, metavar="POLICY", help="policy file or path@REV")
    parser.add_argument("--initiatives", "-i", required=True, metavar="SOURCE",
                        help="initiatives file (.csv/.json/.toml), or NAME:TARGET for a data-source plugin")
    add_format_options(parser)
    parser.add_argument("--evaluated-at", metavar="TIMESTAMP", help="evaluation time recorded in provenance")
    parser.add_argument("--as-of", metavar="DATE", help="apply the rules in force on DATE (YYYY-MM-DD); default: "
                        "the evaluation date, moved into the policy's effective period")
    parser.add_argument("--skip-invalid", action="store_true",
                        help="report invalid rows on stderr and evaluate the rest (never silent)")
    parser.add_argument("--ledger", metavar="FILE", help="append every decision to this ledger (SQLite)")
    parser.add_argument("--what-if-pool", metavar="DELTA",
                        help="also show what a pool change (e.g. +50000 or -20000) would fund or drop, in order")
    parser.add_argument("--marginal", nargs="?", const="1000,10000", metavar="AMOUNTS",
                        help="also show what the next amounts in the pool would buy, bet by bet, with their value "
                             "and money benefit (default: 1000,10000; docs/evidence.md)")


def run(args: argparse.Namespace) -> int:
    from budgetpolicy import api
    from budgetpolicy.commands._common import emit, registry_from_args, warn
    from budgetpolicy.output import decisions_csv, decisions_table, evaluation_json, evaluation_jsonl, wrapped

    registry = registry_from_args(args)
    compiled = api.open_policy(args.policy, registry)
    evaluated_at = api.parse_timestamp(args.evaluated_at, "--evaluated-at") if args.evaluated_at else None
    as_of = api.parse_date(args.as_of, "--as-of") if args.as_of else None
    skipped: list[Diagnostic] = []

    def on_skip(d: Diagnostic) -> None:
        skipped.append(d)
        warn(f"skipped: {d.format()}")

    initiatives = api.read_initiatives(args.initiatives, registry, skip_invalid=args.skip_invalid, on_skip=on_skip,
                                       policy=compiled.policy)
    evaluation = api.evaluate(compiled, initiatives, evaluated_at=evaluated_at, as_of=as_of)
    # Bad --what-if-pool or --marginal input must fail before anything is written to the ledger.
    what_if = _what_if(args, compiled, initiatives, evaluation)
    from budgetpolicy.evidence.plan import evidence_doc, evidence_lines, marginal_steps, marginal_text, plan_evidence

    # Money value, dual values, effective weights, gap claims (CSV and JSON lines show only the warnings).
    evidence = plan_evidence(evaluation, full=args.format in ("table", "json"))
    marginal = marginal_steps(args.marginal, evaluation, initiatives, evidence)
    for diagnostic in evidence.warnings:
        warn(diagnostic.format())
    if args.ledger:
        from budgetpolicy.audit.record import record_evaluation

        count = record_evaluation(args.ledger, evaluation, initiatives)
        warn(f"ledger: appended {count} decision(s) to {args.ledger}")
    by_id = {i.id: i for i in initiatives}
    if args.format == "json":
        from budgetpolicy.explain.whatif import what_if_json

        extra = {"evidence": evidence_doc(evidence, marginal)}
        if what_if is not None:
            extra["what_if"] = what_if_json(what_if)
        emit(args, evaluation_json(evaluation, extra))
    elif args.format in ("csv", "jsonl"):
        emit(args, decisions_csv(evaluation.decisions, by_id) if args.format == "csv" else evaluation_jsonl(evaluation))
        if what_if is not None:  # the records stay one shape; the comparison goes to stderr
            warn(_what_if_text(what_if, evaluation, initiatives).rstrip("\n"))
        if marginal:
            warn(marginal_text(marginal, evaluation.policy.currency, _label(evaluation)).rstrip("\n"))
    else:
        policy = evaluation.policy
        text = decisions_table(evaluation.decisions, by_id, policy.currency, policy.scoring.precision)
        text += "\n" + wrapped("\n".join([summary_text(evaluation), *evidence_lines(evidence, policy.currency)])) + "\n"
        if what_if is not None:
            text += "\n" + wrapped(_what_if_text(what_if, evaluation, initiatives))
        if marginal:
            text += "\n" + wrapped(marginal_text(marginal, policy.currency, _label(evaluation)))
        emit(args, text)
    if skipped:
        warn(f"{len(skipped)} invalid row(s) skipped (see above)")
    return 0


def summary_text(evaluation: Evaluation) -> str:
    from budgetpolicy.output import counts_line

    policy = evaluation.policy
    lines = [f"{len(evaluation.decisions)} initiatives under {policy.id} {policy.version}: "
             f"{counts_line(evaluation.decisions)}"]
    alloc = evaluation.allocation
    if alloc is not None:
        s = alloc.summary
        lines.append(f"pool {policy.currency} {s.pool:,}: allocated {s.allocated:,}, left {s.leftover:,}; "
                     f"reserve {s.reserve_amount:,} (used {s.reserve_used:,}, released {s.reserve_released:,})")
    return "\n".join(lines)


def _label(evaluation: Evaluation) -> str:
    allocation = evaluation.policy.allocation
    return "score" if allocation is not None and allocation.value == "score" else "expected value"


def _what_if(args: argparse.Namespace, compiled: CompiledPolicy, initiatives: Sequence[Initiative],
             evaluation: Evaluation) -> WhatIf | None:
    """The --what-if-pool comparison, or None when not asked for."""
    if not args.what_if_pool:
        return None
    from decimal import Decimal, InvalidOperation

    from budgetpolicy.errors import Location, UsageError
    from budgetpolicy.explain.whatif import what_if_pool

    text = args.what_if_pool.replace(",", "").replace("_", "")
    try:
        delta = Decimal(text)
    except InvalidOperation:
        delta = Decimal("NaN")
    if not delta.is_finite():
        raise UsageError(f"--what-if-pool '{args.what_if_pool}' is not an amount", Location(key="--what-if-pool"),
                         hint="e.g. --what-if-pool +50000 or --what-if-pool=-20000")
    if compiled.policy.allocation is None:
        raise UsageError("--what-if-pool needs a policy with an [allocation] section", Location(key="--what-if-pool"))
    return what_if_pool(compiled, initiatives, evaluation, delta)


def _what_if_text(what_if: WhatIf, evaluation: Evaluation, initiatives: Sequence[Initiative]) -> str:
    from budgetpolicy.explain.whatif import what_if_text

    return what_if_text(what_if, evaluation.policy.currency, {i.id: i.title for i in initiatives})

