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

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from attrs import frozen

GENESIS = "0" * 64

# Column order shared by the SQL that reads records and by the verifier.
RECORD_COLUMNS = ("seq", "kind", "initiative_id", "period", "policy_id", "policy_version",
                  "policy_sha256", "evaluated_at", "payload", "prev_hash", "hash")

# How far the verifier looks ahead, on failure only, to tell "two records swapped" from "edited".
_SWAP_WINDOW = 64

# The C string quoter behind json.dumps(ensure_ascii=False): the header below is exactly
# json.dumps([...], ensure_ascii=False, separators=(",", ":")), built without the encoder's
# per-call set-up, which is a third of an append's hashing time.
_quote = getattr(json.encoder, "c_encode_basestring", None) or json.encoder.py_encode_basestring


def record_hash(prev_hash: str, seq: int, kind: str, initiative_id: str, period: str | None,
                policy_id: str, policy_version: str, policy_sha256: str, evaluated_at: str,
                payload_text: str | bytes) -> str:
    """The rule above; ``payload_text`` may also be given as its UTF-8 bytes (what an append
    already holds, so the 4 KB payload is not encoded a second time just to be hashed)."""
    q = _quote
    header = (f"[{int(seq)},{q(kind)},{q(initiative_id)},{'null' if period is None else q(period)},"
              f"{q(policy_id)},{q(policy_version)},{q(policy_sha256)},{q(evaluated_at)}]")
    digest = hashlib.sha256(f"{prev_hash}\n{header}\n".encode("utf-8"))
    digest.update(payload_text if isinstance(payload_text, bytes) else payload_text.encode("utf-8"))
    return digest.hexdigest()


def row_hash(row: Sequence[Any], prev_hash: str | None = None) -> str:
    """The hash a stored row (in :data:`RECORD_COLUMNS` order) should carry."""
    return record_hash(row[9] if prev_hash is None else prev_hash, *row[:9])


@frozen
class VerifyReport:
    """The outcome of ``Ledger.verify()``: ok, or the first bad record and what is wrong with it."""

    ok: bool
    records: int
    first_bad: int | None = None
    problem: str = ""
    code: str = ""
    head_hash: str = GENESIS
    policies: int = 0
    warnings: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.ok:
            return (f"OK: {self.records} records, {self.policies} policies, chain intact, "
                    f"head {self.head_hash}")
        where = f"record {self.first_bad}: " if self.first_bad is not None else ""
        return f"TAMPERED: {where}{self.code} {self.problem}"


@frozen
class ChainFault:
    seq: int | None
    code: str
    problem: str


def check_chain(rows: Iterable[Sequence[Any]], head_count: int, head_hash: str,
                fetch_window: Callable[[int, int], list[Sequence[Any]]],
                on_row: Callable[[Sequence[Any]], None] | None = None) -> tuple[int, str, ChainFault | None]:
    """Walk rows in seq order; return (records seen, last hash, first fault or None).

    Constant memory: only the previous row's hash is kept. ``fetch_window(a, b)``
    reads rows with a <= seq <= b and is used only to name a swap once a record
    is already known to be bad.
    """
    prev, expected, seen = GENESIS, 1, 0
    for row in rows:
        seq = row[0]
        if seq != expected:
            if seq > expected:
                missing = f"record {expected}" if seq == expected + 1 else f"records {expected}-{seq - 1}"
                return seen, prev, ChainFault(expected, "BP811",
                                              f"{missing} missing before record {seq} (deleted)")
            return seen, prev, ChainFault(seq, "BP812", f"record {seq} appears out of order (inserted)")
        if row[9] != prev:
            return seen, prev, ChainFault(seq, "BP812", _link_problem(row, prev, fetch_window))
        if row_hash(row, prev) != row[10]:
            return seen, prev, ChainFault(seq, "BP810", _content_problem(row, prev, fetch_window))
        if on_row is not None:
            on_row(row)
        prev, expected, seen = row[10], expected + 1, seen + 1
    if seen < head_count:
        gone = head_count - seen
        return seen, prev, ChainFault(seen + 1, "BP813",
                                      f"the ledger ends at record {seen} but its head records {head_count}: "
                                      f"the last {gone} record{'s' if gone > 1 else ''} were removed (truncated)")
    if seen > head_count:
        return seen, prev, ChainFault(head_count + 1, "BP812",
                                      f"records after {head_count} were added outside the ledger "
                                      f"(the head records {head_count}, the file has {seen}) (inserted)")
    if prev != head_hash:
        return seen, prev, ChainFault(seen or None, "BP813",
                                      "the last record's hash differs from the recorded head "
                                      "(the tail was replaced)")
    return seen, prev, None


def _link_problem(row: Sequence[Any], prev: str,
                  fetch_window: Callable[[int, int], list[Sequence[Any]]]) -> str:
    seq = row[0]
    for other in fetch_window(seq + 1, seq + _SWAP_WINDOW):
        if other[9] == prev:
            return (f"record {seq} does not link to record {seq - 1}, but record {other[0]} does: "
                    f"records were reordered")
    return (f"record {seq} does not link to record {seq - 1} (its prev_hash differs): a record "
            f"was inserted or replaced here")


def _content_problem(row: Sequence[Any], prev: str,
                     fetch_window: Callable[[int, int], list[Sequence[Any]]]) -> str:
    seq, stored = row[0], row[10]
    for other in fetch_window(seq + 1, seq + _SWAP_WINDOW):
        # The content that belongs here may now sit in a later row: whole content or payload only.
        whole = record_hash(prev, seq, *other[1:8], other[8])
        payload_only = record_hash(prev, seq, *row[1:8], other[8])
        if stored in (whole, payload_only):
            return (f"record {seq} holds the content of record {other[0]} and vice versa: "
                    f"records were reordered")
    return f"record {seq}'s content does not match its hash (edited)"
