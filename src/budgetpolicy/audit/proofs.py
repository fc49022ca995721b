"""Inclusion and consistency proofs of a ledger, as JSON documents a verifier can check offline.

``ledger prove`` writes these; ``scripts/bp-verify-proof.py`` (standard library only) checks them
without budgetpolicy. An **inclusion proof** holds a checkpoint, one record (every column, the payload
as the exact stored text) and the RFC 9162 audit path from its leaf to the checkpoint's root: the
verifier recomputes the record's chain hash from its columns, its leaf hash, the root, and compares.
A **consistency proof** holds two checkpoints and the RFC 9162 path showing the smaller tree is a
prefix of the larger: whoever kept the old checkpoint learns the ledger only grew, without reading it.

Proofs are built only after the ledger has been verified against the checkpoints they name (a proof
built from a ledger that does not match its checkpoint would only fail later, less clearly). Hashes
in the proof are lowercase hex, like the ledger's; the checkpoints are their C2SP text, signatures
included.
"""

from __future__ import annotations

from typing import Any

from budgetpolicy.audit.checkpoint import TreeCheckpoint
from budgetpolicy.audit.ledger import Ledger
from budgetpolicy.audit.merkle import consistency_proof, inclusion_proof
from budgetpolicy.errors import LedgerError, LedgerTamperedError, Location

FORMAT = "budgetpolicy-proof/1"


def _checked(ledger: Ledger, checkpoints: list[TreeCheckpoint]) -> None:
    report = ledger.verify(checkpoints=checkpoints)
    if not report.ok:
        where = f"record {report.first_bad}: " if report.first_bad is not None else ""
        raise LedgerTamperedError(f"cannot prove: the ledger fails verification: {where}{report.code} {report.problem}",
                          Location(file=ledger.path), code=report.code,
                          hint="'budgetpolicy ledger verify' says more; a proof needs a ledger that matches")


def record_fields(record: Any) -> dict[str, Any]:
    """A record's columns as the chain hashes them (the payload as its exact stored text)."""
    e = record.entry
    return {"seq": record.seq, "kind": e.kind, "initiative_id": e.initiative_id, "period": e.period,
            "policy_id": e.policy_id, "policy_version": e.policy_version, "policy_sha256": e.policy_sha256,
            "evaluated_at": e.evaluated_at, "payload": e.payload, "prev_hash": record.prev_hash, "hash": record.hash}


def prove_inclusion(ledger: Ledger, seq: int, checkpoint: TreeCheckpoint) -> dict[str, Any]:
    """The inclusion proof of record ``seq`` in ``checkpoint`` (BP808 when the checkpoint predates it)."""
    if not 1 <= seq <= checkpoint.size:
        raise LedgerError(f"record {seq} is not in {checkpoint.label} (it covers records 1 to {checkpoint.size})",
                          Location(file=ledger.path), code="BP808",
                          hint="give a record the checkpoint covers, or a checkpoint taken after it")
    with ledger.storage.snapshot():
        _checked(ledger, [checkpoint])
        (record,) = ledger.storage.read(seq, seq)
        path = inclusion_proof(seq - 1, checkpoint.size, ledger.leaf_data)
    return {"format": FORMAT, "type": "inclusion", "checkpoint": checkpoint.text(), "tree_size": checkpoint.size,
            "leaf_index": seq - 1, "record": record_fields(record), "proof": [p.hex() for p in path]}


def prove_consistency(ledger: Ledger, old: TreeCheckpoint, new: TreeCheckpoint) -> dict[str, Any]:
    """The consistency proof from the smaller checkpoint to the larger (both verified against the ledger)."""
    old, new = sorted((old, new), key=lambda c: c.size)
    with ledger.storage.snapshot():
        _checked(ledger, [old, new])
        path = consistency_proof(old.size, new.size, ledger.leaf_data)
    return {"format": FORMAT, "type": "consistency", "old_checkpoint": old.text(), "new_checkpoint": new.text(),
            "old_size": old.size, "new_size": new.size, "proof": [p.hex() for p in path]}
