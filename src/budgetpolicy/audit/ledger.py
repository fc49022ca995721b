"""The decision ledger: an append-only, hash-chained SQLite file (the audit stage's storage).

Every decision the engine makes can be appended here with its exact inputs
and provenance; every policy version used is stored once inside the same file
(:mod:`budgetpolicy.audit.store`). The chain rule lives in
:mod:`budgetpolicy.audit.chain`, the SQLite file (schema, transactions, why a
crash or a concurrent writer cannot break the chain) in
:mod:`budgetpolicy.audit.storage`, and what a record holds in
:mod:`budgetpolicy.audit.entry`. Entries carry their payload already encoded,
so an append holds the write lock only to hash and insert.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TextIO

from budgetpolicy.audit import store
from budgetpolicy.audit.chain import VerifyReport, check_chain, record_hash
from budgetpolicy.audit.entry import LedgerEntry, LedgerRecord, entry_for_decision
from budgetpolicy.audit.export import export_records
from budgetpolicy.audit.storage import SCHEMA_VERSION, SEGMENT_BITS, LedgerFile
from budgetpolicy.engine.collector import collector_paused
from budgetpolicy.errors import LedgerError, Location, PolicyLoadError

__all__ = ["Ledger", "LedgerEntry", "LedgerRecord", "VerifyReport", "entry_for_decision", "SCHEMA_VERSION",
           "SEGMENT_BITS"]


def _encoded(entries: Iterable[LedgerEntry]) -> list[tuple[LedgerEntry, bytes]]:
    """Each entry with its payload's UTF-8, encoded before any lock is taken: the chain hashes these
    bytes, and text that has no UTF-8 form (a lone surrogate) is refused before anything is written."""
    try:
        return [(e, e.payload.encode("utf-8")) for e in entries]
    except UnicodeEncodeError as exc:
        raise LedgerError(f"ledger payloads must be valid Unicode text: {exc}", code="BP805",
                          hint="the input holds a lone surrogate code point; fix its encoding") from exc


def _chain(conn: sqlite3.Connection, batch: list[tuple[LedgerEntry, bytes]]) -> list[int]:
    """Link ``batch`` after the head and insert it; runs inside the write transaction."""
    count, prev = LedgerFile.head(conn)
    records = []
    for seq, (entry, payload) in enumerate(batch, count + 1):
        digest = record_hash(prev, seq, entry, payload)
        records.append(LedgerRecord(seq, entry, prev, digest))
        prev = digest
    LedgerFile.insert(conn, records)
    return [r.seq for r in records]


class Ledger:
    """An open ledger file. ``Ledger(path)`` creates it; ``Ledger(path, create=False)`` must find it."""

    def __init__(self, path: str | os.PathLike[str], *, create: bool = True, readonly: bool = False,
                 durable: bool = True, timeout: float = 60.0) -> None:
        self.file = LedgerFile(path, create=create, readonly=readonly, durable=durable, timeout=timeout)
        self.path = self.file.path

    def close(self) -> None:
        self.file.close()

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
        return self.file.write(lambda conn: _chain(conn, batch))

    def append_checked(self, entries_for: Callable[[], Iterable[LedgerEntry]]) -> list[int]:
        """Append what ``entries_for()`` returns, read and written in one write transaction.

        ``entries_for`` runs under the write lock and reads the ledger through this object (its reads
        see every committed record, and no other writer can append until it returns), so a check it
        makes still holds when its entries are chained. Raising leaves the file as it was.
        """
        def body(conn: sqlite3.Connection) -> list[int]:
            batch = _encoded(entries_for())
            return _chain(conn, batch) if batch else []
        return self.file.write(body)

    def head(self) -> tuple[int, str]:
        """(record count, last hash) as recorded by the last committed append."""
        return LedgerFile.head(self.file.conn)

    def put_policy(self, text: str, sha256: str, policy_id: str, version: str, *,
                   registered_at: str = "") -> bool:
        """Store a policy version once (idempotent); True when it was new.

        ``sha256`` must be the content address the loader gives ``text``
        (``Policy.source.sha256``); a mismatch is refused rather than stored.
        """
        data = self._policy_data(text, sha256)
        return self.file.write(lambda conn: self._put_policy_locked(conn, text, sha256, policy_id, version,
                                                                    data, registered_at))

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

    @staticmethod
    def _put_policy_locked(conn: sqlite3.Connection, text: str, sha256: str, policy_id: str,
                           version: str, data: str, registered_at: str) -> bool:
        if store.has_policy(conn, sha256):
            return False
        entry = LedgerEntry.of("policy", "", None, policy_id, version, sha256, registered_at,
                               store.registration_payload(text, sha256, policy_id, version, data))
        (seq,) = _chain(conn, _encoded([entry]))
        store.insert_policy(conn, text, sha256, policy_id, version, data, seq)
        return True

    def record(self, policy: Any, entries: Iterable[LedgerEntry]) -> list[int]:
        """Store ``policy`` (a loaded Policy with ``source``) and append ``entries``, atomically."""
        source = policy.source
        if source is None:
            raise LedgerError(f"policy '{policy.id}' has no source text to store", code="BP805",
                              hint="load it with budgetpolicy.policy.load")
        batch = _encoded(entries)
        registered_at = batch[0][0].evaluated_at if batch else ""
        data = self._policy_data(source.text, source.sha256)

        def body(conn: sqlite3.Connection) -> list[int]:
            self._put_policy_locked(conn, source.text, source.sha256, policy.id, policy.version,
                                    data, registered_at)
            return _chain(conn, batch) if batch else []
        return self.file.write(body)

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
        return store.get_policy(self.file.conn, sha256, self.path).text

    def stored_policy(self, sha256: str) -> store.StoredPolicy:
        return store.get_policy(self.file.conn, sha256, self.path)

    def find_policies(self, policy_id: str | None = None, version: str | None = None) -> list[store.StoredPolicy]:
        return store.find_policies(self.file.conn, policy_id, version)

    # -- reading -----------------------------------------------------------------------------

    def __len__(self) -> int:
        return self.file.count()

    def iter_records(self, initiative_id: str | None = None, period: str | None = None,
                     policy_version: str | None = None, kind: str | None = None) -> Iterator[LedgerRecord]:
        """Records in chain order, streamed from a cursor (constant memory); payloads as stored."""
        return self.file.records(initiative_id, period, policy_version, kind)

    def iter_records_from(self, first: int) -> Iterator[LedgerRecord]:
        """The records from seq ``first`` on, in chain order, streamed (what happened after a plan)."""
        return self.file.records(first=first)

    def iter_newest_first(self) -> Iterator[LedgerRecord]:
        """Records from the head back to the first, streamed (the latest plan is near the head)."""
        return self.file.newest_first()

    def export(self, fmt: str, out: TextIO, **filters: str | None) -> int:
        return export_records(self.iter_records(**filters), fmt, out)

    def verify(self, expect_head: str | None = None) -> VerifyReport:
        """Recompute the chain, check the head and the policy store; stops at the first fault."""
        conn = self.file.conn
        conn.execute("BEGIN")  # one snapshot: concurrent appends must not look like tampering
        try:
            return self._verify(conn, expect_head)
        finally:
            conn.execute("COMMIT")

    def _verify(self, conn: sqlite3.Connection, expect_head: str | None) -> VerifyReport:
        count, head_hash = LedgerFile.head(conn)
        registered: dict[str, tuple[int, dict[str, Any]]] = {}
        referenced: set[str] = set()

        def on_record(record: LedgerRecord) -> None:
            entry = record.entry
            if entry.kind == "policy":
                registered[entry.policy_sha256] = (record.seq, entry.data())
            else:
                referenced.add(entry.policy_sha256)

        seen, last, fault = check_chain(self.file.records(), count, head_hash, self.file.window, on_record)
        if fault is not None:
            return VerifyReport(False, seen, fault.seq, fault.problem, fault.code, last)
        policies, policy_fault = store.check_policies(conn, registered)
        if policy_fault is not None:
            seq, code, problem = policy_fault
            return VerifyReport(False, seen, seq, problem, code, last, policies)
        if expect_head is not None and expect_head != last:
            return VerifyReport(False, seen, seen or None,
                                f"the head hash is {last}, not the expected {expect_head}: the chain was "
                                f"rewritten or this is a different ledger", "BP816", last, policies)
        missing = sorted(referenced - registered.keys())
        warnings = tuple(f"records refer to policy sha256 {sha[:12]} but the ledger does not store it"
                         for sha in missing)
        return VerifyReport(True, seen, None, "", "", last, policies, warnings)
