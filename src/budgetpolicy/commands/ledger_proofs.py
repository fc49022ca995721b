"""``ledger checkpoint``, ``ledger prove``, ``ledger policy`` and the anchors of ``ledger verify``.

  budgetpolicy ledger checkpoint FILE [--origin O] [--key KEY.pem] [-o OUT]
  budgetpolicy ledger verify FILE --checkpoint CP [--checkpoint CP2 ...] [--key PUB]
  budgetpolicy ledger prove FILE SEQ --checkpoint CP [-o OUT]             an inclusion proof
  budgetpolicy ledger prove FILE --checkpoint OLD --checkpoint NEW [-o OUT]  a consistency proof
  budgetpolicy ledger policy FILE SHA256 [-o OUT]

Kept apart from :mod:`budgetpolicy.commands.ledger` (which registers them) so that module stays the
inspection commands. See docs/audit.md for what a checkpoint and a proof establish.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

_HASH = re.compile(r"[0-9a-f]{64}")


def configure(sub: Any) -> None:
    checkpoint = sub.add_parser("checkpoint", help="print a checkpoint (tree size, Merkle root), optionally signed")
    checkpoint.add_argument("file", metavar="FILE")
    checkpoint.add_argument("--origin", metavar="O",
                            help="the origin line naming the ledger (default: budgetpolicy/FILE's name)")
    checkpoint.add_argument("--key", metavar="KEY.pem", help="sign with this Ed25519 private key (PEM)")
    checkpoint.add_argument("--output", "-o", metavar="OUT", help="write to OUT instead of standard output")

    prove = sub.add_parser("prove", help="an inclusion proof of a record, or a consistency proof of two checkpoints")
    prove.add_argument("file", metavar="FILE")
    prove.add_argument("seq", metavar="SEQ", nargs="?", type=int,
                       help="the record to prove included (with one --checkpoint)")
    prove.add_argument("--checkpoint", metavar="CP", action="append", required=True,
                       help="a checkpoint of this ledger: one with SEQ, two (old, new) without")
    prove.add_argument("--output", "-o", metavar="OUT", help="write to OUT instead of standard output")

    policy = sub.add_parser("policy", help="print the text of a policy version stored in the ledger")
    policy.add_argument("file", metavar="FILE")
    policy.add_argument("sha256", metavar="SHA256", help="its sha256 (or a unique prefix of 8+ hex digits)")
    policy.add_argument("--output", "-o", metavar="OUT", help="write to OUT instead of standard output")


def add_anchor_options(verify: argparse.ArgumentParser) -> None:
    verify.add_argument("--checkpoint", metavar="CP", action="append", default=[],
                        help="also prove consistency with this checkpoint (repeatable)")
    verify.add_argument("--key", metavar="PUB", action="append", default=[],
                        help="require each checkpoint to be signed by this key (PEM public key or verifier key line)")


def anchors(args: argparse.Namespace) -> tuple[list[Any], list[str]]:
    """The checkpoints ``verify`` was given, read, and the signature problems found with ``--key``."""
    from budgetpolicy.audit.checkpoint import read_checkpoint
    from budgetpolicy.errors import UsageError

    if args.expect_head is not None and not _HASH.fullmatch(args.expect_head):
        raise UsageError(f"--expect-head {args.expect_head[:80]!r}: not a record hash",
                         hint="give the 64 lowercase hex digits 'ledger verify' printed as the head")
    if args.key and not args.checkpoint:
        raise UsageError("--key checks checkpoint signatures: give --checkpoint too")
    checkpoints = [read_checkpoint(path) for path in args.checkpoint]
    problems: list[str] = []
    if args.key:
        from budgetpolicy.audit.notekeys import load_public_key, signed_by

        keys = [load_public_key(path) for path in args.key]
        problems = [p for c in checkpoints for k in keys if (p := signed_by(c, k)) is not None]
    return checkpoints, problems


def located(exc: Any, path: str) -> Any:
    """``exc`` (a BudgetPolicyError) with ``path`` as the file of every diagnostic that names none: a record's
    payload that is not JSON is found where the ledger's path is not known."""
    from attrs import evolve

    if all(d.location.file for d in exc.diagnostics):
        return exc
    return type(exc)([evolve(d, location=d.location.evolve(file=d.location.file or path)) for d in exc.diagnostics])


def run_checkpoint(ledger: Any, args: argparse.Namespace) -> int:
    from budgetpolicy.audit.checkpoint import TreeCheckpoint, check_origin
    from budgetpolicy.commands._common import emit

    origin = check_origin(args.origin if args.origin is not None else _default_origin(args.file))
    key = None
    if args.key:
        from budgetpolicy.audit.notekeys import load_private_key

        key = load_private_key(args.key)  # before the ledger is read: a bad key is a usage error
    report = ledger.verify()
    if not report.ok:
        print(f"{args.file}: {report.describe()}; no checkpoint issued", file=sys.stderr)
        return 1
    checkpoint = TreeCheckpoint(origin, report.records, report.root)
    if key is not None:
        from budgetpolicy.audit.notekeys import sign, verifier_key

        checkpoint = sign(checkpoint, key)
        print(f"signed by {verifier_key(origin, key.public_key())}", file=sys.stderr)
    emit(args, checkpoint.text())
    return 0


def _default_origin(path: str) -> str:
    name = "".join(c if c.isprintable() and not c.isspace() and c != "+" else "_" for c in Path(path).name)
    return f"budgetpolicy/{name or 'ledger'}"


def run_prove(ledger: Any, args: argparse.Namespace) -> int:
    from budgetpolicy.audit.checkpoint import read_checkpoint
    from budgetpolicy.audit.proofs import prove_consistency, prove_inclusion
    from budgetpolicy.canonical import pretty_json
    from budgetpolicy.commands._common import emit
    from budgetpolicy.errors import LedgerTamperedError, UsageError

    checkpoints = [read_checkpoint(path) for path in args.checkpoint]
    if args.seq is not None and len(checkpoints) != 1:
        raise UsageError("an inclusion proof (SEQ) takes one --checkpoint",
                         hint="prove consistency between two checkpoints without SEQ")
    if args.seq is None and len(checkpoints) != 2:
        raise UsageError("a consistency proof takes two --checkpoint files (old and new)",
                         hint="or give SEQ and one checkpoint for an inclusion proof")
    try:
        proof = (prove_inclusion(ledger, args.seq, checkpoints[0]) if args.seq is not None
                 else prove_consistency(ledger, *checkpoints))
    except LedgerTamperedError as exc:
        print(str(exc), file=sys.stderr)
        return 1  # like 'ledger verify': a ledger that does not match is a finding
    emit(args, pretty_json(proof))
    return 0


def run_policy(ledger: Any, args: argparse.Namespace) -> int:
    from budgetpolicy.commands._common import emit

    emit(args, ledger.stored_policy(args.sha256).text)
    return 0
