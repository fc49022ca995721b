"""The decision ledger: an append-only, hash-chained record of decisions (the audit stage's API).

Every decision the engine makes can be appended here with its exact inputs
and provenance; every policy version used is stored once inside the same
ledger (:mod:`budgetpolicy.audit.store`). The chain rule lives in
:mod:`budgetpolicy.audit.chain` and what a record holds in
:mod:`budgetpolicy.audit.entry`. Where records are kept is an
:class:`~budgetpolicy.audit.eventstore.EventStore` (the contract: ordering,
atomic batches, concurrency); ``Ledger(path)`` opens the default, a SQLite file
(:mod:`budgetpolicy.audit.storage`), and ``Ledger(store)`` any other. This
module chains and checks; it never talks to the storage but through that seam.
Entries carry their payload already encoded, so an append holds the write lock
only to hash and insert.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TextIO

from attrs import evolve, frozen

from budgetpolicy.audit import store
from budgetpolicy.audit.anchors import AnchorWatch
from budgetpolicy.audit.chain import VerifyReport, check_chain, record_hash
from budgetpolicy.audit.entry import LedgerEntry, LedgerRecord, entry_for_decision
from budgetpolicy.audit.eventstore import Batch, Checkpoint, EventStore
from budgetpolicy.audit.checkpoint import TreeCheckpoint
from budgetpolicy.audit.export import export_records
from budgetpolicy.audit.storage import SCHEMA_VERSION, SEGMENT_BITS, SqliteEventStore
from budgetpolicy.audit.storage_errors import LedgerDamagedError
from budgetpolicy.engine.collector import collector_paused
from budgetpolicy.errors import LedgerError, Location, PolicyLoadError, did_you_mean

__all__ = ["Ledger", "LedgerEntry", "LedgerRecord", "VerifyReport", "Checkpoint", "EventStore",
           "entry_for_decision", "SCHEMA_VERSION", "SEGMENT_BITS"]

_Encoded = list[tuple[LedgerEntry, bytes]]


def _encoded(entries: Iterable[LedgerEntry]) -> _Encoded:
    """Each entry with its payload's UTF-8, encoded before any lock is taken: the chain hashes these
    bytes, and text that has no UTF-8 form (a lone surrogate) is refused before anything is written."""
    try:
        return [(e, e.payload.encode("utf-8")) for e in entries]
    except UnicodeEncodeError as exc:
        raise LedgerError(f"ledger payloads must be valid Unicode text: {exc}", code="BP805",
                          hint="the input holds a lone surrogate code point; fix its encoding") from exc


def _link(head: Checkpoint, batch: _Encoded) -> list[LedgerRecord]:
    """``batch`` chained after ``head``; runs inside the write transaction, which gives the head."""
    prev = head.head_hash
    records = []
    for seq, (entry, payload) in enumerate(batch, head.size + 1):
        digest = record_hash(prev, seq, entry, payload)
        records.append(LedgerRecord(seq, entry, prev, digest))
        prev = digest
    return records


@frozen
class _PolicyCopy:
    """A policy version to store, checked against its content address before any lock is taken."""

    text: str
    sha256: str
    policy_id: str
    version: str
    data: str
    registered_at: str

    def stored(self, seq: int) -> store.StoredPolicy:
        return store.StoredPolicy(self.sha256, self.policy_id, self.version, self.text,
                                  store.text_sha256(self.text), self.data, seq)

    def registration(self) -> LedgerEntry:
        return LedgerEntry.of("policy", "", None, self.policy_id, self.version, self.sha256, self.registered_at,
                              store.registration_payload(self.text, self.sha256, self.policy_id, self.version,
                                                         self.data))


class Ledger:
    """An open ledger. ``Ledger(path)`` opens (and creates) a SQLite ledger file, ``Ledger(path,
    create=False)`` must find it; ``Ledger(store)`` uses any :class:`EventStore` (the options are the
    SQLite file's and do not apply)."""

    def __init__(self, source: str | os.PathLike[str] | EventStore, *, create: bool = True,
                 readonly: bool = False, durable: bool = True, timeout: float = 60.0) -> None:
        if isinstance(source, (str, os.PathLike)):
            source = SqliteEventStore(source, create=create, readonly=readonly, durable=durable, timeout=timeout)
        self.storage: EventStore = source
        self.path = source.name

    def close(self) -> None:
        """Close the ledger's storage (a ``with Ledger(...)`` block does it on exit)."""
        self.storage.close()

    def __enter__(self) -> "Ledger":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing -----------------------------------------------------------------------------

    def append(self, entries: Iterable[LedgerEntry]) -> list[int]:
        """Append a batch in one transaction; returns the new records' sequence numbers."""
        batch = _encoded(entries)
        if not batch:
            return []
        return self.storage.append(lambda head: Batch(_link(head, batch)))

    def append_checked(self, entries_for: Callable[[], Iterable[LedgerEntry]]) -> list[int]:
        """Append what ``entries_for()`` returns, read and written in one write transaction.

        ``entries_for`` runs under the write lock and reads the ledger through this object (its reads
        see every committed record, and no other writer can append until it returns), so a check it
        makes still holds when its entries are chained. Raising leaves the ledger as it was. It may run
        more than once (a busy ledger retries the whole transaction).
        """
        return self.storage.append(lambda head: Batch(_link(head, _encoded(entries_for()))))

    def head(self) -> tuple[int, str]:
        """(record count, last hash) as recorded by the last committed append."""
        head = self.storage.head()
        return head.size, head.head_hash

    def checkpoint(self, size: int | None = None) -> Checkpoint:
        """The ledger after record ``size`` (default: the head): its size and that record's hash."""
        return self.storage.head() if size is None else self.storage.checkpoint(size)

    def put_policy(self, text: str, sha256: str, policy_id: str, version: str, *,
                   registered_at: str = "") -> bool:
        """Store a policy version once (idempotent); True when it was new.

        ``sha256`` must be the content address the loader gives ``text``
        (``Policy.source.sha256``); a mismatch is refused rather than stored.
        """
        copy = _PolicyCopy(text, sha256, policy_id, version, self._policy_data(text, sha256), registered_at)
        return bool(self.storage.append(lambda head: self._with_policy(head, copy, [])))

    def _policy_data(self, text: str, sha256: str) -> str:
        try:
            data = store.canonical_policy_data(text)
        except PolicyLoadError as exc:
            raise LedgerError(f"cannot store policy {sha256[:12]}: {exc.diagnostics[0].message}",
                              Location(file=self.path), code="BP807",
                              hint="only policy texts that parse can be stored") from exc
        if store.text_sha256(data) != sha256:
            raise LedgerError(f"policy text does not match the sha256 given ({sha256[:12]}...)",
                              Location(file=self.path), code="BP807",
                              hint="pass Policy.source.sha256 from the loader with Policy.source.text")
        return data

    def _with_policy(self, head: Checkpoint, copy: _PolicyCopy, batch: _Encoded) -> Batch:
        """``batch`` chained after ``head``, preceded by the policy's registration unless it is stored
        already (read inside the write transaction, so two writers cannot both store it)."""
        if self.storage.policy(copy.sha256) is not None:
            return Batch(_link(head, batch))
        records = _link(head, [*_encoded([copy.registration()]), *batch])
        return Batch(records, (copy.stored(records[0].seq),))

    def record(self, policy: Any, entries: Iterable[LedgerEntry]) -> list[int]:
        """Store ``policy`` (a loaded Policy with ``source``) and append ``entries``, atomically.

        Returns the seqs of ``entries`` (not of the policy's registration, when it was new)."""
        source = policy.source
        if source is None:
            raise LedgerError(f"policy '{policy.id}' has no source text to store", code="BP805",
                              hint="load it with budgetpolicy.policy.load")
        batch = _encoded(entries)
        registered_at = batch[0][0].evaluated_at if batch else ""
        copy = _PolicyCopy(source.text, source.sha256, policy.id, policy.version,
                           self._policy_data(source.text, source.sha256), registered_at)
        seqs = self.storage.append(lambda head: self._with_policy(head, copy, batch))
        return seqs[len(seqs) - len(batch):]

    def record_evaluation(self, evaluation: Any, initiatives: Iterable[Any], *, kind: str = "decision",
                          period: str | None = None,
                          outcomes: dict[str, list[Any]] | None = None) -> list[int]:
        """Record every decision of an ``Evaluation`` with its initiative (and outcomes), atomically."""
        by_id = {i.id: i for i in initiatives}
        with collector_paused():  # each decision's explanation is built here, on request
            entries = [entry_for_decision(d, by_id[d.initiative_id], (outcomes or {}).get(d.initiative_id),
                                          kind=kind, period=period, explanation=e) for d, e in evaluation.explained()]
        return self.record(evaluation.policy, entries)

    def get_policy(self, sha256: str) -> str:
        """The exact text of a stored policy version."""
        return self.stored_policy(sha256).text

    def stored_policy(self, sha256: str) -> store.StoredPolicy:
        """The stored policy with this sha256 (a unique prefix of at least 8 hex digits also works)."""
        found = self.storage.policy(sha256)
        if found is None and len(sha256) >= 8:
            matches = [p for p in self.storage.policies() if p.sha256.startswith(sha256)]
            found = matches[0] if len(matches) == 1 else None
        if found is not None:
            return found
        known = sorted(p.sha256 for p in self.storage.policies())
        hint = did_you_mean(sha256, known) or (
            f"the ledger stores {len(known)} policy version(s); list them with "
            f"'budgetpolicy ledger show {self.path or 'FILE'} --kind policy'")
        raise LedgerError(f"no policy with sha256 '{sha256}' is stored in the ledger",
                          Location(file=self.path or None), hint=hint, code="BP806")

    def find_policies(self, policy_id: str | None = None, version: str | None = None) -> list[store.StoredPolicy]:
        """Stored policies by id and/or version, in the order they were first stored."""
        return list(self.storage.policies(policy_id, version))

    # -- reading -----------------------------------------------------------------------------

    def __len__(self) -> int:
        """The number of records, as the head records it."""
        return self.storage.head().size

    def iter_records(self, initiative_id: str | None = None, period: str | None = None,
                     policy_version: str | None = None, kind: str | None = None) -> Iterator[LedgerRecord]:
        """Records in chain order, streamed from a cursor (constant memory); payloads as stored."""
        return self.storage.read(initiative_id=initiative_id, period=period, policy_version=policy_version,
                                 kind=kind)

    def iter_records_from(self, first: int) -> Iterator[LedgerRecord]:
        """The records from seq ``first`` on, in chain order, streamed (what happened after a plan)."""
        return self.storage.read(first)

    def iter_newest_first(self) -> Iterator[LedgerRecord]:
        """Records from the head back to the first, streamed (the latest plan is near the head)."""
        return self.storage.read(newest_first=True)

    def export(self, fmt: str, out: TextIO, **filters: str | None) -> int:
        """Write the records (filtered by ``filters``, as ``iter_records``) to ``out`` as ``fmt``; returns the count."""
        return export_records(self.iter_records(**filters), fmt, out)

    def verify(self, expect_head: str | None = None,
               checkpoints: Sequence[TreeCheckpoint] = ()) -> VerifyReport:
        """Recompute the chain and the Merkle root, check the head, the policy store and the anchors given
        (a head hash, checkpoints: :mod:`budgetpolicy.audit.anchors`); stops at the first fault."""
        with self.storage.snapshot():  # one committed state: concurrent appends must not look like tampering
            try:
                damage = self.storage.check_integrity()
            except LedgerDamagedError as exc:
                damage = [exc.diagnostics[0].message]
            try:
                report = self._verify(AnchorWatch(expect_head, checkpoints))
            except LedgerDamagedError as exc:  # a record that cannot be read (or decoded) is a finding here
                found = exc.diagnostics[0]
                also = f"; SQLite's integrity check: {damage[0]}" if damage and damage[0] != found.message else ""
                return VerifyReport(False, max((exc.seq or 1) - 1, 0), exc.seq, found.message + also, found.code)
        if not damage:
            return report
        more = f" (and {len(damage) - 1} more)" if len(damage) > 1 else ""
        stopped = f"; the chain check stopped at record {report.first_bad}: {report.problem}" if not report.ok else ""
        return evolve(report, ok=False, first_bad=report.first_bad if not report.ok else None, code="BP822",
                      problem=f"the file is damaged: SQLite's integrity check reports: {damage[0]}{more}{stopped}")

    def leaf_data(self, start: int, end: int) -> Iterator[bytes]:
        """The Merkle leaves ``start <= index < end``: the chain hashes of records start+1 to end."""
        return (bytes.fromhex(r.hash) for r in self.storage.read(start + 1, end))

    def _verify(self, anchors: AnchorWatch) -> VerifyReport:
        storage = self.storage
        head = storage.head()
        registered: dict[str, tuple[int, dict[str, Any]]] = {}
        referenced: set[str] = set()

        def on_record(record: LedgerRecord) -> None:
            entry = record.entry
            if entry.kind == "policy":
                registered[entry.policy_sha256] = (record.seq, record.data())
            else:
                referenced.add(entry.policy_sha256)
            anchors.see(record)

        seen, last, fault = check_chain(storage.read(), head.size, head.head_hash,
                                        lambda first, last: list(storage.read(first, last)), on_record)
        root = anchors.tree.root()
        if fault is not None:
            return VerifyReport(False, seen, fault.seq, fault.problem, fault.code, last, root=root)
        policies, policy_fault = store.check_policies(storage.policies(), registered)
        if policy_fault is not None:
            seq, code, problem = policy_fault
            return VerifyReport(False, seen, seq, problem, code, last, policies, root=root)
        anchor_fault, notes = anchors.judge(seen, last)
        if anchor_fault is not None:
            return VerifyReport(False, seen, anchor_fault.seq, anchor_fault.problem, anchor_fault.code, last,
                                policies, root=root, notes=notes)
        missing = sorted(referenced - registered.keys())
        warnings = tuple(f"records refer to policy sha256 {sha[:12]} but the ledger does not store it"
                         for sha in missing)
        return VerifyReport(True, seen, None, "", "", last, policies, warnings, root, notes)
