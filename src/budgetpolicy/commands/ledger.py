"""Inspect a decision ledger: ``verify`` the hash chain (and checkpoints), ``export`` records, ``show``
them, the ``positions`` of its latest plan; issue a ``checkpoint``, ``prove`` a record or growth, print a
stored ``policy``.

  budgetpolicy ledger verify FILE [--expect-head HASH] [--checkpoint CP ...] [--key PUB ...] [--format table|json]
  budgetpolicy ledger checkpoint FILE [--origin O] [--key KEY.pem] [-o OUT]
  budgetpolicy ledger prove FILE [SEQ] --checkpoint CP [--checkpoint CP2] [-o OUT]
  budgetpolicy ledger policy FILE SHA256 [-o OUT]
  budgetpolicy ledger export FILE --format jsonl|csv [-o OUT] [filters]
  budgetpolicy ledger show FILE [filters] [--format table|json|jsonl|csv]
  budgetpolicy ledger positions FILE [--period YYYY-Qn] [--format table|json|jsonl|csv] [-o OUT]

Filters: --initiative ID, --period P, --policy-version V, --kind K.
``verify`` exits 0 when the chain is intact (and consistent with every checkpoint given) and 1 when
it was tampered with, naming the first bad record and why; 2 when the file cannot be read.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

from budgetpolicy.commands import ledger_proofs
from budgetpolicy.commands._common import add_format_options, emit


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="ledger_command", metavar="ACTION", required=True,
                                parser_class=type(parser))
    verify = sub.add_parser("verify", help="recompute the hash chain; exit 1 if tampered")
    verify.add_argument("file", metavar="FILE")
    verify.add_argument("--expect-head", metavar="HASH",
                        help="also require this record hash (a head you recorded elsewhere earlier) in the chain")
    ledger_proofs.add_anchor_options(verify)
    verify.add_argument("--format", "-f", choices=("table", "json"), default="table")

    export = sub.add_parser("export", help="write records as JSONL or CSV")
    export.add_argument("file", metavar="FILE")
    export.add_argument("--format", "-f", choices=("jsonl", "csv"), default="jsonl")
    export.add_argument("--output", "-o", metavar="OUT", help="write to OUT instead of standard output")
    _add_filters(export)

    show = sub.add_parser("show", help="list records, filtered")
    show.add_argument("file", metavar="FILE")
    add_format_options(show)
    _add_filters(show)

    positions = sub.add_parser("positions", help="where the money of the latest plan stands, after its sign-offs")
    positions.add_argument("file", metavar="FILE")
    positions.add_argument("--period", metavar="YYYY-Qn",
                           help="the positions after this recorded quarter (default: after the last one)")
    add_format_options(positions)
    ledger_proofs.configure(sub)


def _add_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--initiative", metavar="ID", help="only this initiative's records")
    parser.add_argument("--period", metavar="P", help="only records of this period (e.g. 2026-Q2)")
    parser.add_argument("--policy-version", metavar="V", help="only records made under this policy version")
    parser.add_argument("--kind", metavar="K", help="only this kind: decision, review, policy, signoff, refusal, reading, quarter")


def _filters(args: argparse.Namespace) -> dict[str, Any]:
    return {"initiative_id": args.initiative, "period": args.period,
            "policy_version": args.policy_version, "kind": args.kind}


def run(args: argparse.Namespace) -> int:
    from budgetpolicy.errors import LedgerError

    if args.ledger_command == "positions":
        return _positions(args)
    anchors: tuple[list[Any], list[str]] = ([], [])
    if args.ledger_command == "verify":
        anchors = ledger_proofs.anchors(args)  # bad checkpoint or key files: before the ledger is read
    try:
        return _run(args, anchors)
    except LedgerError as exc:
        raise ledger_proofs.located(exc, args.file) from exc


def _run(args: argparse.Namespace, anchors: tuple[list[Any], list[str]]) -> int:
    from budgetpolicy.audit.ledger import Ledger

    with Ledger(args.file, create=False, readonly=True) as ledger:
        if args.ledger_command == "verify":
            return _verify(ledger, args, *anchors)
        if args.ledger_command == "export":
            return _export(ledger, args)
        if args.ledger_command == "show":
            return _show(ledger, args)
        run = {"checkpoint": ledger_proofs.run_checkpoint, "prove": ledger_proofs.run_prove,
               "policy": ledger_proofs.run_policy}[args.ledger_command]
        return run(ledger, args)


def _verify(ledger: Any, args: argparse.Namespace, checkpoints: list[Any], unsigned: list[str]) -> int:
    import base64

    from budgetpolicy.canonical import pretty_json

    report = ledger.verify(expect_head=args.expect_head, checkpoints=checkpoints)
    ok = report.ok and not unsigned
    if args.format == "json":
        sys.stdout.write(pretty_json({
            "file": args.file, "ok": ok, "records": report.records, "first_bad": report.first_bad,
            "code": report.code or ("BP829" if unsigned else None), "problem": report.problem or None,
            "head_hash": report.head_hash, "root": base64.b64encode(report.root).decode("ascii"),
            "policies": report.policies, "warnings": list(report.warnings), "notes": list(report.notes),
            "signature_problems": unsigned}))
    else:
        print(f"{args.file}: {report.describe()}")
        for note in report.notes:
            print(f"{args.file}: {note}")
        for problem in unsigned:
            print(f"{args.file}: BAD SIGNATURE: BP829 {problem}")
        for warning in report.warnings:
            print(f"{args.file}: warning: {warning}", file=sys.stderr)
    return 0 if ok else 1


def _open_output(args: argparse.Namespace) -> tuple[TextIO, Any]:
    """Stream to stdout, or to OUT.tmp renamed into place once complete (never a half-written file)."""
    if not args.output:
        return sys.stdout, None
    from pathlib import Path

    from budgetpolicy.errors import UsageError

    path = Path(args.output)
    if not path.parent.exists():
        raise UsageError(f"--output {args.output}: directory '{path.parent}' does not exist",
                         hint="create it first or choose another path")
    tmp = path.with_name(path.name + ".tmp")
    return tmp.open("w", encoding="utf-8", newline=""), (tmp, path)


def _export(ledger: Any, args: argparse.Namespace) -> int:
    out, target = _open_output(args)
    try:
        count = ledger.export(args.format, out, **_filters(args))
    finally:
        if target:
            out.close()
    if target:
        target[0].replace(target[1])
        print(f"exported {count} records to {args.output}", file=sys.stderr)
    return 0


def _show(ledger: Any, args: argparse.Namespace) -> int:
    from budgetpolicy.audit.export import decision_summary, jsonl_line

    if args.format in ("jsonl", "csv"):  # the records exactly as 'ledger export' writes them
        return _export(ledger, args)
    records = ledger.iter_records(**_filters(args))
    if args.format == "json":
        out, target = _open_output(args)
        out.write("[")
        for i, record in enumerate(records):
            out.write(("," if i else "") + "\n  " + jsonl_line(record).rstrip("\n"))
        out.write("\n]\n")
        if target:
            out.close()
            target[0].replace(target[1])
        return 0
    header = ("SEQ", "KIND", "INITIATIVE", "PERIOD", "POLICY", "EVALUATED AT", "OUTCOME", "ALLOCATION")
    lines = []
    for record in records:
        e = record.entry
        outcome, allocation, _ = decision_summary(e)
        lines.append((str(record.seq), e.kind, e.initiative_id or "-", e.period or "-",
                      f"{e.policy_id}@{e.policy_version}", e.evaluated_at or "-", outcome or "-", allocation or "-"))
    from budgetpolicy.output import table

    text = table(header, lines) + f"{len(lines)} record{'s' if len(lines) != 1 else ''}\n"
    emit(args, text)
    return 0


def _positions(args: argparse.Namespace) -> int:
    from budgetpolicy import api
    from budgetpolicy.year.render import positions_csv, positions_json, positions_table

    from budgetpolicy.output import records_jsonl

    def jsonl(positions: Any) -> str:  # one initiative's position per line
        return records_jsonl(positions.initiatives)

    render = {"json": positions_json, "csv": positions_csv, "jsonl": jsonl}.get(args.format, positions_table)
    emit(args, render(api.positions(args.file, args.period)))
    return 0
