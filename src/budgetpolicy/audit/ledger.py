"""The decision ledger: an append-only, hash-chained SQLite file (the audit stage's storage).

Every decision the engine makes can be appended here with its exact inputs
and provenance; every policy version used is stored once inside the same file
(:mod:`budgetpolicy.audit.store`). The chain rule lives in
:mod:`budgetpolicy.audit.chain`.

Why it survives crashes and concurrent writers:

* one ``BEGIN IMMEDIATE`` transaction per batch: the write lock is taken before
  the head (count + last hash) is read, so two writers can never chain onto
  the same record, and SQLite's WAL makes the batch all-or-nothing even under
  SIGKILL (no partial record, ever);
* payloads are serialised before the lock is taken, so the lock is held only
  for hashing and inserting; a busy database is retried with jittered backoff
  until ``timeout`` runs out, so waiting writers lose nothing;
* triggers refuse UPDATE and DELETE, so an accident cannot rewrite history
  (a deliberate edit still can, and ``verify`` finds it).
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from attrs import field, frozen

from budgetpolicy.audit import store
from budgetpolicy.audit.chain import GENESIS, RECORD_COLUMNS, VerifyReport, check_chain, record_hash
from budgetpolicy.audit.entry import LedgerEntry, entry_for_decision

__all__ = ["Ledger", "LedgerEntry", "LedgerRecord", "VerifyReport", "entry_for_decision", "SCHEMA_VERSION"]
from budgetpolicy.canonical import json_bytes, to_jsonable
from budgetpolicy.errors import LedgerError, Location

SCHEMA_VERSION = 2
SEGMENT_BITS = 16  # the initiative index is kept per segment of 2**16 = 65,536 consecutive records
_CHECKPOINT_PAGES = 8192  # 8 KB pages: 64 MB of WAL
T = TypeVar("T")

# Only the common lookup (one initiative's history) is indexed: every index costs each append, and
# period / policy-version queries are rare audit reports that can afford a scan. The index is keyed
# by segment first (schema version 2). A plain (initiative_id) index keeps each initiative's entries
# on its own leaf pages, so a batch re-deciding 1,000 known initiatives rewrote ~1,000 index pages
# (8 MB of WAL per commit): at a million records appends ran at 18,000 records/s (28,900 unindexed).
# Within the current segment those entries share a few hundred pages; a lookup pays one index
# search per segment instead (16 per million records; see Ledger._initiative_rows).
_INITIATIVE_INDEX = ("CREATE INDEX IF NOT EXISTS records_by_segment_initiative "
                     f"ON records (seq >> {SEGMENT_BITS}, initiative_id)")
_V1_INDEX = "records_by_initiative"  # schema version 1: ON records (initiative_id)

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
    """CREATE TABLE IF NOT EXISTS records (
        seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, initiative_id TEXT NOT NULL, period TEXT,
        policy_id TEXT NOT NULL, policy_version TEXT NOT NULL, policy_sha256 TEXT NOT NULL,
        evaluated_at TEXT NOT NULL, payload TEXT NOT NULL, prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL)""",
    _INITIATIVE_INDEX,
    store.POLICIES_DDL,
    *(f"CREATE TRIGGER IF NOT EXISTS {table}_append_only_{op.lower()} BEFORE {op} ON {table} "
      f"BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END"
      for table in ("records", "policies") for op in ("UPDATE", "DELETE")),
)

_SELECT = f"SELECT {', '.join(RECORD_COLUMNS)} FROM records"
_INSERT = f"INSERT INTO records ({', '.join(RECORD_COLUMNS)}) VALUES ({', '.join('?' * len(RECORD_COLUMNS))})"
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode
# Decimals, dates, attrs objects and FrozenMaps go through the canonical converter.
_dumps_any = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True,
                              allow_nan=False, default=to_jsonable).encode


@frozen
class LedgerRecord:
    """A stored record as read back, with its place in the chain."""

    seq: int
    kind: str
    initiative_id: str
    period: str | None
    policy_id: str
    policy_version: str
    policy_sha256: str
    evaluated_at: str
    payload: dict[str, Any] = field(hash=False)
    prev_hash: str
    hash: str

    @property
    def decision(self) -> dict[str, Any] | None:
        value = self.payload.get("decision")
        return value if isinstance(value, dict) else None


def _reject_float(text: str) -> Any:
    raise LedgerError(f"ledger payloads may not hold floats (got {text}); use Decimal",
                      code="BP805", hint="convert numbers with decimal.Decimal before recording")


def _payload_bytes(payload: dict[str, Any], plain: bool = False) -> bytes:
    """The payload's canonical JSON as UTF-8: the bytes hashed, and (decoded) the text stored."""
    try:
        if plain:  # already canonical: plain JSON types, keys sorted (see entry.plain); orjson writes it
            return json_bytes(payload)
        try:
            text = _dumps_any(payload)
        except ValueError as exc:  # NaN or infinity
            raise LedgerError(f"ledger payloads may not hold NaN or infinity: {exc}", code="BP805") from exc
        # Floats would make hashes depend on float formatting: parse back once to refuse them.
        json.loads(text, parse_float=_reject_float)
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate: no UTF-8 text to store or hash
        raise LedgerError(f"ledger payloads must be valid Unicode text: {exc}", code="BP805",
                          hint="the input holds a lone surrogate code point; fix its encoding") from exc


def _prepare(entries: Iterable[LedgerEntry]) -> list[tuple[Any, ...]]:
    """Serialise a batch before any lock is taken (the costly part of an append).

    Each item holds the stored columns ``kind`` to ``payload`` (the text) and then the
    payload's UTF-8 bytes, which the chain hashes without encoding the text again.
    """
    prepared = []
    for e in entries:
        data = _payload_bytes(e.payload, e.plain)
        prepared.append((e.kind, e.initiative_id, e.period, e.policy_id, e.policy_version, e.policy_sha256,
                         e.evaluated_at, data.decode("utf-8"), data))
    return prepared


def _meta_value(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


class Ledger:
    """An open ledger file. ``Ledger(path)`` creates it; ``Ledger(path, create=False)`` must find it."""

    def __init__(self, path: str | os.PathLike[str], *, create: bool = True, readonly: bool = False,
                 durable: bool = True, timeout: float = 60.0) -> None:
        self.path = str(path)
        self.timeout = timeout
        if not (create and not readonly) and not Path(self.path).is_file():
            raise LedgerError(f"ledger file '{self.path}' does not exist", Location(file=self.path),
                              hint="check the path, or create a ledger with 'budgetpolicy evaluate --ledger FILE'",
                              code="BP801")
        try:
            if readonly:
                uri = Path(self.path).resolve().as_uri() + "?mode=ro"
                self._conn = sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None)
            else:
                self._conn = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
            self._open(create and not readonly, not readonly, durable)
        except sqlite3.DatabaseError as exc:
            raise LedgerError(f"'{self.path}' is not a readable ledger: {exc}", Location(file=self.path),
                              hint="is this the right file? a ledger is a SQLite database", code="BP802") from exc

    # -- opening -----------------------------------------------------------------------------

    def _open(self, create: bool, writable: bool, durable: bool) -> None:
        conn = self._conn
        if create:
            # Decision payloads are 2-5 KB: 8 KB pages keep a record on one page (no overflow chain).
            # Only takes effect while the file is still empty.
            conn.execute("PRAGMA page_size=8192")
            self._retry(lambda: conn.execute("PRAGMA journal_mode=WAL"))
            # FULL syncs the WAL at every commit: a committed batch survives power loss too.
            conn.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
            # Copy the WAL into the file every 64 MB rather than SQLite's default 8 MB: a checkpoint
            # costs two extra fsyncs, and at the default one ran every other 1,000-record batch
            # (~10% of an append). Durability is unchanged (the commit syncs the WAL either way),
            # and the last connection to close still checkpoints and removes the WAL.
            conn.execute(f"PRAGMA wal_autocheckpoint={_CHECKPOINT_PAGES}")
        has_meta = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone()
        if not has_meta:
            if not create:
                raise LedgerError(f"'{self.path}' is a SQLite file but not a budgetpolicy ledger",
                                  Location(file=self.path), hint="check the path", code="BP802")
            self._write(self._create_schema)
        version = self._meta("schema_version")
        if version is None or not version.isdigit():
            raise LedgerError(f"'{self.path}' has no valid schema_version", Location(file=self.path),
                              hint="the file is damaged or not a ledger", code="BP802")
        if int(version) > SCHEMA_VERSION:
            raise LedgerError(f"ledger schema version {version} is newer than this budgetpolicy "
                              f"supports ({SCHEMA_VERSION})", Location(file=self.path),
                              hint="upgrade budgetpolicy to read this ledger", code="BP803")
        if int(version) < SCHEMA_VERSION and writable:
            self._write(self._upgrade)
            version = self._meta("schema_version") or version
        # A version-1 file opened read-only keeps its plain initiative index, and is queried by it.
        self._segmented = int(version) >= 2

    @staticmethod
    def _upgrade(conn: sqlite3.Connection) -> None:
        """Schema 1 -> 2: swap the initiative index (records and hashes are untouched)."""
        if _meta_value(conn, "schema_version") != "1":
            return  # another process upgraded it while we waited for the lock
        conn.execute(f"DROP INDEX IF EXISTS {_V1_INDEX}")
        conn.execute(_INITIATIVE_INDEX)
        conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))

    def _create_schema(self, conn: sqlite3.Connection) -> None:
        if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone():
            return  # another process created it while we waited for the lock
        for statement in _SCHEMA:
            conn.execute(statement)
        conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", [
            ("schema_version", str(SCHEMA_VERSION)), ("head_count", "0"), ("head_hash", GENESIS)])

    def _meta(self, key: str) -> str | None:
        return _meta_value(self._conn, key)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> "Ledger":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing -----------------------------------------------------------------------------

    def _retry(self, action: Callable[[], T]) -> T:
        """Run ``action``, retrying while another process holds the lock (until ``timeout``)."""
        deadline, delay = time.monotonic() + self.timeout, 0.001
        while True:
            try:
                return action()
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc) or time.monotonic() > deadline:
                    raise LedgerError(f"cannot write ledger '{self.path}': {exc}", Location(file=self.path),
                                      hint="another process may hold it for too long; retry", code="BP804") from exc
                time.sleep(delay * random.uniform(0.5, 1.5))  # jitter: writers must not retry in lockstep
                delay = min(delay * 2, 0.05)

    def _write(self, body: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``body`` inside one BEGIN IMMEDIATE transaction, retried as a whole when busy."""
        def attempt() -> T:
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = body(conn)
                conn.execute("COMMIT")
                return result
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        return self._retry(attempt)

    def append(self, entries: Iterable[LedgerEntry]) -> list[int]:
        """Append a batch in one transaction; returns the new records' sequence numbers."""
        prepared = _prepare(entries)
        if not prepared:
            return []
        return self._write(lambda conn: self._append_locked(conn, prepared))

    def _append_locked(self, conn: sqlite3.Connection, prepared: list[tuple[Any, ...]]) -> list[int]:
        count, prev = self._head(conn)
        rows, first = [], count + 1
        for seq, item in enumerate(prepared, first):  # item: 8 columns, then the payload bytes
            digest = record_hash(prev, seq, *item[:7], item[8])
            rows.append((seq, *item[:8], prev, digest))
            prev = digest
        conn.executemany(_INSERT, rows)
        last = first + len(rows) - 1
        conn.executemany("UPDATE meta SET value = ? WHERE key = ?",
                         [(str(last), "head_count"), (prev, "head_hash")])
        return list(range(first, last + 1))

    @staticmethod
    def _head(conn: sqlite3.Connection) -> tuple[int, str]:
        values = dict(conn.execute("SELECT key, value FROM meta WHERE key IN ('head_count', 'head_hash')"))
        return int(values.get("head_count", "0")), values.get("head_hash", GENESIS)

    def head(self) -> tuple[int, str]:
        """(record count, last hash) as recorded by the last committed append."""
        return self._head(self._conn)

    def put_policy(self, text: str, sha256: str, policy_id: str, version: str, *,
                   registered_at: str = "") -> bool:
        """Store a policy version once (idempotent); True when it was new.

        ``sha256`` must be the content address the loader gives ``text``
        (``Policy.source.sha256``); a mismatch is refused rather than stored.
        """
        data = self._policy_data(text, sha256)
        return self._write(lambda conn: self._put_policy_locked(conn, text, sha256, policy_id, version,
                                                                data, registered_at))

    def _policy_data(self, text: str, sha256: str) -> str:
        from budgetpolicy.errors import PolicyLoadError

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

    def _put_policy_locked(self, conn: sqlite3.Connection, text: str, sha256: str, policy_id: str,
                           version: str, data: str, registered_at: str) -> bool:
        if store.has_policy(conn, sha256):
            return False
        payload = _dumps(store.registration_payload(text, sha256, policy_id, version, data))
        (seq,) = self._append_locked(conn, [("policy", "", None, policy_id, version, sha256,
                                             registered_at, payload, payload.encode("utf-8"))])
        store.insert_policy(conn, text, sha256, policy_id, version, data, seq)
        return True

    def record(self, policy: Any, entries: Iterable[LedgerEntry]) -> list[int]:
        """Store ``policy`` (a loaded Policy with ``source``) and append ``entries``, atomically."""
        source = policy.source
        if source is None:
            raise LedgerError(f"policy '{policy.id}' has no source text to store", code="BP805",
                              hint="load it with budgetpolicy.policy.load")
        prepared = _prepare(entries)
        registered_at = prepared[0][6] if prepared else ""
        data = self._policy_data(source.text, source.sha256)

        def body(conn: sqlite3.Connection) -> list[int]:
            self._put_policy_locked(conn, source.text, source.sha256, policy.id, policy.version,
                                    data, registered_at)
            return self._append_locked(conn, prepared) if prepared else []
        return self._write(body)

    def record_evaluation(self, evaluation: Any, initiatives: Iterable[Any], *, kind: str = "decision",
                          period: str | None = None,
                          outcomes: dict[str, list[Any]] | None = None) -> list[int]:
        """Record every decision of an ``Evaluation`` with its initiative (and outcomes), atomically."""
        from budgetpolicy.engine.collector import collector_paused

        by_id = {i.id: i for i in initiatives}
        with collector_paused():  # each decision's explanation is built here, on request
            entries = [entry_for_decision(d, by_id[d.initiative_id], (outcomes or {}).get(d.initiative_id),
                                          kind=kind, period=period, explanation=e) for d, e in evaluation.explained()]
        return self.record(evaluation.policy, entries)

    def get_policy(self, sha256: str) -> str:
        """The exact text of a stored policy version."""
        return store.get_policy(self._conn, sha256, self.path).text

    def stored_policy(self, sha256: str) -> store.StoredPolicy:
        return store.get_policy(self._conn, sha256, self.path)

    def find_policies(self, policy_id: str | None = None, version: str | None = None) -> list[store.StoredPolicy]:
        return store.find_policies(self._conn, policy_id, version)

    # -- reading -----------------------------------------------------------------------------

    def __len__(self) -> int:
        return int(self._conn.execute("SELECT COUNT(*) FROM records").fetchone()[0])

    def iter_records(self, initiative_id: str | None = None, period: str | None = None,
                     policy_version: str | None = None, kind: str | None = None) -> Iterator[LedgerRecord]:
        """Records in chain order, streamed from a cursor (constant memory)."""
        for row in self.iter_rows(initiative_id, period, policy_version, kind):
            yield LedgerRecord(*row[:8], json.loads(row[8]), row[9], row[10])

    def iter_rows(self, initiative_id: str | None = None, period: str | None = None,
                  policy_version: str | None = None, kind: str | None = None) -> Iterator[tuple[Any, ...]]:
        """Raw rows in :data:`RECORD_COLUMNS` order, payload left as stored text."""
        clauses, params = [], []
        for column, value in (("initiative_id", initiative_id), ("period", period),
                              ("policy_version", policy_version), ("kind", kind)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if initiative_id is not None and self._segmented:
            yield from self._initiative_rows(clauses, params)
            return
        sql = _SELECT + (" WHERE " + " AND ".join(clauses) if clauses else "") + " ORDER BY seq"
        yield from self._conn.execute(sql, params)

    def _initiative_rows(self, clauses: list[str], params: list[Any]) -> Iterator[tuple[Any, ...]]:
        """One initiative's rows, one index search per segment, segments in order (so seq order).

        Only the last segment can still be growing, and it is read last: while others append,
        the rows returned are still a prefix of the initiative's history, never one with a gap.
        """
        (last,) = self._conn.execute("SELECT max(seq) FROM records").fetchone()
        sql = f"{_SELECT} WHERE (seq >> {SEGMENT_BITS}) = ? AND {' AND '.join(clauses)} ORDER BY seq"
        for segment in range(((last or 0) >> SEGMENT_BITS) + 1):
            yield from self._conn.execute(sql, [segment, *params])

    def export(self, fmt: str, out: Any, **filters: str | None) -> int:
        from budgetpolicy.audit.export import export_records

        return export_records(self.iter_rows(**filters), fmt, out)

    def verify(self, expect_head: str | None = None) -> VerifyReport:
        """Recompute the chain, check the head and the policy store; stops at the first fault."""
        conn = self._conn
        conn.execute("BEGIN")  # one snapshot: concurrent appends must not look like tampering
        try:
            return self._verify(conn, expect_head)
        finally:
            conn.execute("COMMIT")

    def _verify(self, conn: sqlite3.Connection, expect_head: str | None) -> VerifyReport:
        count, head_hash = self._head(conn)
        registered: dict[str, tuple[int, dict[str, Any]]] = {}
        referenced: set[str] = set()

        def on_row(row: tuple[Any, ...]) -> None:
            if row[1] == "policy":
                registered[row[6]] = (row[0], json.loads(row[8]))
            else:
                referenced.add(row[6])

        def window(a: int, b: int) -> list[Any]:
            return self._conn.execute(_SELECT + " WHERE seq BETWEEN ? AND ? ORDER BY seq", (a, b)).fetchall()

        rows = conn.execute(_SELECT + " ORDER BY seq")
        seen, last, fault = check_chain(rows, count, head_hash, window, on_row)
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
