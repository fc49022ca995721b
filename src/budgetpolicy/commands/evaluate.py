"""Run a funding cycle: score every initiative, apply the approval rules, allocate the pool.

Prints one row per decision (a table that fits the terminal), or the full explained decisions
(--format json, or one per line with jsonl, then a summary line) or a flat CSV (with title, department
and the funding reason). JSON, JSON lines and CSV are written decision by decision as they are
ready (the allocation needs the whole portfolio first); explanations are built only for json and
jsonl. The evaluation time is an input: pass --evaluated-at for byte-identical output across runs
(default: now, UTC). Progress goes to stderr when it is a terminal and the run takes more than about a
second (--quiet silences it).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from budgetpolicy.commands._progress import Progress
    from budgetpolicy.engine.compile import CompiledPolicy
    from budgetpolicy.engine.evaluation import Evaluation
    from budgetpolicy.errors import Diagnostic
    from budgetpolicy.evidence.duals import NextAmount
    from budgetpolicy.evidence.plan import PlanEvidence
    from budgetpolicy.explain.whatif import WhatIf
    from budgetpolicy.model import Initiative


def configure(parser: argparse.ArgumentParser) -> None:
    from budgetpolicy.commands._common import add_format_options
    from budgetpolicy.commands._progress import add_quiet_option

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
    add_quiet_option(parser)


def run(args: argparse.Namespace) -> int:
    from budgetpolicy.commands._common import warn
    from budgetpolicy.commands._progress import progress_for

    skipped: list[Diagnostic] = []

    def on_skip(d: Diagnostic) -> None:
        skipped.append(d)
        warn(f"skipped: {d.format()}")

    with progress_for(args) as progress:
        evaluation, initiatives = _evaluate(args, progress, on_skip)
        # Bad --what-if-pool or --marginal input must fail before anything is written to the ledger.
        what_if = _what_if(args, evaluation.compiled, initiatives, evaluation)
        from budgetpolicy.evidence.plan import marginal_steps, plan_evidence

        # Money value, dual values, effective weights, gap claims (CSV and JSON lines show only the warnings).
        with progress.phase("money value and dual values"):
            evidence = plan_evidence(evaluation, full=args.format in ("table", "json"))
            marginal = marginal_steps(args.marginal, evaluation, initiatives, evidence)
        for diagnostic in evidence.warnings:
            warn(diagnostic.format())
        if args.ledger:
            from budgetpolicy.audit.record import record_evaluation

            with progress.phase("recording in the ledger"):
                count = record_evaluation(args.ledger, evaluation, initiatives)
            warn(f"ledger: appended {count} decision(s) to {args.ledger}")
        _write(args, evaluation, initiatives, what_if, progress, evidence, marginal)
    if skipped:
        warn(f"{len(skipped)} invalid row(s) skipped (see above)")
    return 0


def _evaluate(args: argparse.Namespace, progress: Progress,
              on_skip: Callable[[Diagnostic], None]) -> tuple[Evaluation, Sequence[Initiative]]:
    """The evaluation, and the initiatives as the ledger and the what-if take them."""
    from budgetpolicy import api
    from budgetpolicy.commands._common import registry_from_args

    registry = registry_from_args(args)
    with progress.phase("loading the policy"):
        compiled = api.open_policy(args.policy, registry)
    evaluated_at = api.parse_timestamp(args.evaluated_at, "--evaluated-at") if args.evaluated_at else None
    as_of = api.parse_date(args.as_of, "--as-of") if args.as_of else None
    if not args.ledger:  # the input read once: rows checked against the policy and typed as they are read
        with progress.phase("reading, checking and deciding the initiatives, allocating the pool"):
            evaluation = api.evaluate(compiled, args.initiatives, evaluated_at=evaluated_at, as_of=as_of,
                                      skip_invalid=args.skip_invalid, on_skip=on_skip)
        return evaluation, evaluation.initiatives
    # The ledger records each row as read (custom attributes as text: replay types them again).
    with progress.phase("reading and checking the initiatives"):
        initiatives = api.read_initiatives(args.initiatives, registry, skip_invalid=args.skip_invalid,
                                           on_skip=on_skip, policy=compiled.policy)
    with progress.phase("deciding the initiatives, allocating the pool"):
        evaluation = api.evaluate(compiled, initiatives, evaluated_at=evaluated_at, as_of=as_of)
    return evaluation, initiatives


def _write(args: argparse.Namespace, evaluation: Evaluation, initiatives: Sequence[Initiative],
           what_if: WhatIf | None, progress: Progress, evidence: PlanEvidence,
           marginal: Sequence[NextAmount]) -> None:
    """The output, streamed decision by decision (the table, which must see every row to size its
    columns, is the exception). Only what the format prints is built: explanations (and their
    counterfactuals) for json and jsonl, never for csv or the table."""
    from budgetpolicy.commands._common import emit, output_stream, warn
    from budgetpolicy.evidence.plan import evidence_doc, evidence_lines, marginal_text
    from budgetpolicy.output import (decisions_table, wrapped, write_decisions_csv, write_evaluation_json,
                                     write_evaluation_jsonl)

    if args.format == "table":
        policy = evaluation.policy
        with progress.phase("drawing the table"):
            text = decisions_table(evaluation.decisions, {i.id: i for i in evaluation.initiatives},
                                   policy.currency, policy.scoring.precision)
            text += "\n" + wrapped("\n".join([summary_text(evaluation), *evidence_lines(evidence, policy.currency)]))
            text += "\n"
            if what_if is not None:
                text += "\n" + wrapped(_what_if_text(what_if, evaluation, initiatives))
            if marginal:
                text += "\n" + wrapped(marginal_text(marginal, policy.currency, _label(evaluation)))
        emit(args, text)
        return
    total = len(evaluation.decisions)
    with output_stream(args) as out, progress.phase(f"writing {args.format}", total=total) as tick:
        if args.format == "json":
            from budgetpolicy.explain.whatif import what_if_json

            extra = {"evidence": evidence_doc(evidence, marginal)}
            if what_if is not None:
                extra["what_if"] = what_if_json(what_if)
            write_evaluation_json(evaluation, out, extra, tick)
        elif args.format == "jsonl":
            write_evaluation_jsonl(evaluation, out, tick)
        else:
            write_decisions_csv(evaluation.decisions, {i.id: i for i in evaluation.initiatives}, out, tick)
    if what_if is not None and args.format != "json":  # the records stay one shape; the comparison goes to stderr
        warn(_what_if_text(what_if, evaluation, initiatives).rstrip("\n"))
    if marginal and args.format in ("csv", "jsonl"):
        warn(marginal_text(marginal, evaluation.policy.currency, _label(evaluation)).rstrip("\n"))


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


def _what_if(args: argparse.Namespace, compiled: CompiledPolicy | None, initiatives: Sequence[Initiative],
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
    assert compiled is not None  # an evaluation made by CompiledPolicy.evaluate keeps it
    if compiled.policy.allocation is None:
        raise UsageError("--what-if-pool needs a policy with an [allocation] section", Location(key="--what-if-pool"))
    return what_if_pool(compiled, initiatives, evaluation, delta)


def _what_if_text(what_if: WhatIf, evaluation: Evaluation, initiatives: Sequence[Initiative]) -> str:
    from budgetpolicy.explain.whatif import what_if_text

    return what_if_text(what_if, evaluation.policy.currency, {i.id: i.title for i in initiatives})

