"""The ledger's hash chain: how a record's hash is computed and how a whole chain is checked.

Kept apart from the SQLite plumbing so an auditor can read the exact rule in
one place (it is also written out in ``docs/audit.md``):

    header = JSON array [seq, kind, initiative_id, period, policy_id,
             policy_version, policy_sha256, evaluated_at]   (compact, UTF-8)
    hash   = sha256_hex(prev_hash + "\\n" + header + "\\n" + payload_text)

``payload_text`` is the stored canonical JSON, hashed as stored, so checking a
chain never re-parses a payload. ``seq`` is inside the hash, so renumbering
rows is as visible as editing them; ``prev_hash`` links each record to the
one before it, the first to :data:`GENESIS`. The ledger also keeps a running
head (record count + last hash) updated in the same transaction as every
append, which is what exposes a truncated tail.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterable

from attrs import evolve, frozen

from budgetpolicy.audit.entry import LedgerEntry, LedgerRecord
from budgetpolicy.audit.merkle import EMPTY_ROOT
from budgetpolicy.canonical import json_string

GENESIS = "0" * 64

# How far the verifier looks ahead, on failure only, to tell "two records swapped" from "edited".
_SWAP_WINDOW = 64


def record_hash(prev_hash: str, seq: int, entry: LedgerEntry, payload: bytes | None = None) -> str:
    """The rule above. ``payload`` is the entry's payload as UTF-8 when the caller holds it already
    (an append encodes each payload once, before it takes the lock, to refuse text that has no UTF-8).

    The header is exactly ``json.dumps([...], ensure_ascii=False, separators=(",", ":"))``, built
    from quoted strings without the encoder's per-call set-up (a third of an append's hashing time).
    """
    q, e = json_string, entry
    header = (f"[{int(seq)},{q(e.kind)},{q(e.initiative_id)},{'null' if e.period is None else q(e.period)},"
              f"{q(e.policy_id)},{q(e.policy_version)},{q(e.policy_sha256)},{q(e.evaluated_at)}]")
    digest = hashlib.sha256(f"{prev_hash}\n{header}\n".encode("utf-8"))
    digest.update(e.payload.encode("utf-8") if payload is None else payload)
    return digest.hexdigest()


@frozen
class VerifyReport:
    """The outcome of ``Ledger.verify()``: ok, or the first bad record and what is wrong with it.

    ``root`` is the Merkle root of the ``records`` checked (:mod:`budgetpolicy.audit.merkle`);
    ``notes`` say what the anchors given (an expected head, checkpoints) established.
    """

    ok: bool
    records: int
    first_bad: int | None = None
    problem: str = ""
    code: str = ""
    head_hash: str = GENESIS
    policies: int = 0
    warnings: tuple[str, ...] = ()
    root: bytes = EMPTY_ROOT
    notes: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.ok:
            return (f"OK: {self.records} records, {self.policies} policies, chain intact, "
                    f"head {self.head_hash}, root {base64.b64encode(self.root).decode('ascii')}")
        where = f"record {self.first_bad}: " if self.first_bad is not None else ""
        verdict = "DAMAGED" if self.code in ("BP822", "BP823") else "TAMPERED"
        return f"{verdict}: {where}{self.code} {self.problem}"


@frozen
class ChainFault:
    seq: int | None
    code: str
    problem: str


def check_chain(records: Iterable[LedgerRecord], head_count: int, head_hash: str,
                fetch_window: Callable[[int, int], list[LedgerRecord]],
                on_record: Callable[[LedgerRecord], None] | None = None) -> tuple[int, str, ChainFault | None]:
    """Walk records in seq order; return (records seen, last hash, first fault or None).

    Constant memory: only the previous record's hash is kept. ``fetch_window(a, b)``
    reads records with a <= seq <= b and is used only to name a swap once a record
    is already known to be bad.
    """
    prev, expected, seen = GENESIS, 1, 0
    for record in records:
        seq = record.seq
        if seq != expected:
            if seq > expected:
                missing = f"record {expected}" if seq == expected + 1 else f"records {expected}-{seq - 1}"
                return seen, prev, ChainFault(expected, "BP811",
                                              f"{missing} missing before record {seq} (deleted)")
            return seen, prev, ChainFault(seq, "BP812", f"record {seq} appears out of order (inserted)")
        if record.prev_hash != prev:
            return seen, prev, ChainFault(seq, "BP812", _link_problem(record, prev, fetch_window))
        if record_hash(prev, seq, record.entry) != record.hash:
            return seen, prev, ChainFault(seq, "BP810", _content_problem(record, prev, fetch_window))
        if on_record is not None:
            on_record(record)
        prev, expected, seen = record.hash, expected + 1, seen + 1
    return seen, prev, _head_fault(seen, prev, head_count, head_hash)


def _head_fault(seen: int, last: str, head_count: int, head_hash: str) -> ChainFault | None:
    """What is wrong with an intact chain of ``seen`` records ending in ``last``, given the recorded head."""
    if seen < head_count:
        gone = head_count - seen
        return ChainFault(seen + 1, "BP813",
                          f"the ledger ends at record {seen} but its head records {head_count}: "
                          f"the last {gone} record{'s' if gone > 1 else ''} were removed (truncated)")
    if seen > head_count:
        return ChainFault(head_count + 1, "BP812",
                          f"records after {head_count} were added outside the ledger "
                          f"(the head records {head_count}, the file has {seen}) (inserted)")
    if last != head_hash:
        return ChainFault(seen or None, "BP813",
                          "the last record's hash differs from the recorded head (the tail was replaced)")
    return None


def _link_problem(record: LedgerRecord, prev: str, fetch_window: Callable[[int, int], list[LedgerRecord]]) -> str:
    seq = record.seq
    for other in fetch_window(seq + 1, seq + _SWAP_WINDOW):
        if other.prev_hash == prev:
            return (f"record {seq} does not link to record {seq - 1}, but record {other.seq} does: "
                    f"records were reordered")
    return (f"record {seq} does not link to record {seq - 1} (its prev_hash differs): a record "
            f"was inserted or replaced here")


def _content_problem(record: LedgerRecord, prev: str,
                     fetch_window: Callable[[int, int], list[LedgerRecord]]) -> str:
    seq = record.seq
    for other in fetch_window(seq + 1, seq + _SWAP_WINDOW):
        # The content that belongs here may now sit in a later record: whole content or payload only.
        whole = record_hash(prev, seq, other.entry)
        payload_only = record_hash(prev, seq, evolve(record.entry, payload=other.entry.payload))
        if record.hash in (whole, payload_only):
            return (f"record {seq} holds the content of record {other.seq} and vice versa: "
                    f"records were reordered")
    return f"record {seq}'s content does not match its hash (edited)"
