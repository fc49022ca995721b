"""The ledger's SQLite file: schema and upgrades, write transactions, and record queries.

:class:`budgetpolicy.audit.ledger.Ledger` is the API; this module is what it
stands on. Why a ledger survives crashes and concurrent writers:

* one ``BEGIN IMMEDIATE`` transaction per batch (:meth:`LedgerFile.write`): the
  write lock is taken before the head (count + last hash) is read, so two
  writers can never chain onto the same record, and SQLite's WAL makes the
  batch all-or-nothing even under SIGKILL (no partial record, ever);
* a busy database is retried with jittered backoff until ``timeout`` runs
  out, so waiting writers lose nothing;
* triggers refuse UPDATE and DELETE, so an accident cannot rewrite history
  (a deliberate edit still can, and ``verify`` finds it).
"""

from __future__ import annotations

import os
import random
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from budgetpolicy.audit import store
from budgetpolicy.audit.chain import GENESIS
from budgetpolicy.audit.entry import LedgerEntry, LedgerRecord
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
# search per segment instead (16 per million records; see LedgerFile._initiative_rows).
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

# A record's columns in stored order: seq, the entry's header and payload, then the chain.
_COLUMNS = ("seq", "kind", "initiative_id", "period", "policy_id", "policy_version", "policy_sha256",
            "evaluated_at", "payload", "prev_hash", "hash")
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM records"
_INSERT = f"INSERT INTO records ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"


def _record(row: Sequence[Any]) -> LedgerRecord:
    return LedgerRecord(row[0], LedgerEntry(*row[1:9]), row[9], row[10])


def _meta_value(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


class LedgerFile:
    """An open ledger file with its schema checked (and upgraded when opened for writing)."""

    def __init__(self, path: str | os.PathLike[str], *, create: bool, readonly: bool, durable: bool,
                 timeout: float) -> None:
        self.path = str(path)
        self.timeout = timeout
        if not (create and not readonly) and not Path(self.path).is_file():
            raise LedgerError(f"ledger file '{self.path}' does not exist", Location(file=self.path),
                              hint="check the path, or create a ledger with 'budgetpolicy evaluate --ledger FILE'",
                              code="BP801")
        try:
            if readonly:
                uri = Path(self.path).resolve().as_uri() + "?mode=ro"
                self.conn = sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None)
            else:
                self.conn = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
            if create and not readonly:
                self._configure(durable)
            self.segmented = self._check_schema(create and not readonly, not readonly)
        except sqlite3.DatabaseError as exc:
            raise LedgerError(f"'{self.path}' is not a readable ledger: {exc}", Location(file=self.path),
                              hint="is this the right file? a ledger is a SQLite database", code="BP802") from exc

    # -- opening -----------------------------------------------------------------------------

    def _configure(self, durable: bool) -> None:
        conn = self.conn
        # Decision payloads are 2-5 KB: 8 KB pages keep a record on one page (no overflow chain).
        # Only takes effect while the file is still empty.
        conn.execute("PRAGMA page_size=8192")
        self.retry(lambda: conn.execute("PRAGMA journal_mode=WAL"))
        # FULL syncs the WAL at every commit: a committed batch survives power loss too.
        conn.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
        # Copy the WAL into the file every 64 MB rather than SQLite's default 8 MB: a checkpoint
        # costs two extra fsyncs, and at the default one ran every other 1,000-record batch
        # (~10% of an append). Durability is unchanged (the commit syncs the WAL either way),
        # and the last connection to close still checkpoints and removes the WAL.
        conn.execute(f"PRAGMA wal_autocheckpoint={_CHECKPOINT_PAGES}")

    def _check_schema(self, create: bool, writable: bool) -> bool:
        """Create the schema in a new file, refuse a foreign or newer one, upgrade an older one when
        writable. True when initiative lookups can use the segmented index."""
        has_meta = self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone()
        if not has_meta:
            if not create:
                raise LedgerError(f"'{self.path}' is a SQLite file but not a budgetpolicy ledger",
                                  Location(file=self.path), hint="check the path", code="BP802")
            self.write(_create_schema)
        version = self.meta("schema_version")
        if version is None or not version.isdigit():
            raise LedgerError(f"'{self.path}' has no valid schema_version", Location(file=self.path),
                              hint="the file is damaged or not a ledger", code="BP802")
        if int(version) > SCHEMA_VERSION:
            raise LedgerError(f"ledger schema version {version} is newer than this budgetpolicy "
                              f"supports ({SCHEMA_VERSION})", Location(file=self.path),
                              hint="upgrade budgetpolicy to read this ledger", code="BP803")
        if int(version) < SCHEMA_VERSION and writable:
            self.write(upgrade)
            version = self.meta("schema_version") or version
        # A version-1 file opened read-only keeps its plain initiative index, and is queried by it.
        return int(version) >= 2

    def meta(self, key: str) -> str | None:
        return _meta_value(self.conn, key)

    def close(self) -> None:
        self.conn.close()

    # -- writing -----------------------------------------------------------------------------

    def retry(self, action: Callable[[], T]) -> T:
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

    def write(self, body: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``body`` inside one BEGIN IMMEDIATE transaction, retried as a whole when busy."""
        def attempt() -> T:
            conn = self.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = body(conn)
                conn.execute("COMMIT")
                return result
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        return self.retry(attempt)

    @staticmethod
    def head(conn: sqlite3.Connection) -> tuple[int, str]:
        """(record count, last hash) as recorded by the last committed append."""
        values = dict(conn.execute("SELECT key, value FROM meta WHERE key IN ('head_count', 'head_hash')"))
        return int(values.get("head_count", "0")), values.get("head_hash", GENESIS)

    @staticmethod
    def insert(conn: sqlite3.Connection, records: Sequence[LedgerRecord]) -> None:
        """Insert chained records after the head and move the head to the last one (inside :meth:`write`)."""
        conn.executemany(_INSERT, [(r.seq, *r.entry.header(), r.entry.payload, r.prev_hash, r.hash)
                                   for r in records])
        conn.executemany("UPDATE meta SET value = ? WHERE key = ?",
                         [(str(records[-1].seq), "head_count"), (records[-1].hash, "head_hash")])

    # -- reading -----------------------------------------------------------------------------

    def count(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM records").fetchone()[0])

    def records(self, initiative_id: str | None = None, period: str | None = None,
                policy_version: str | None = None, kind: str | None = None,
                first: int | None = None) -> Iterator[LedgerRecord]:
        """Records in chain order, filtered, streamed from a cursor (constant memory); with ``first``,
        only records from that seq on."""
        clauses: list[str] = []
        params: list[Any] = []
        for column, value in (("initiative_id", initiative_id), ("period", period),
                              ("policy_version", policy_version), ("kind", kind)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if first is not None:
            clauses.append("seq >= ?")
            params.append(first)
        if initiative_id is not None and self.segmented:
            rows = self._initiative_rows(clauses, params)
        else:
            rows = self.conn.execute(_SELECT + (" WHERE " + " AND ".join(clauses) if clauses else "")
                                     + " ORDER BY seq", params)
        yield from map(_record, rows)

    def _initiative_rows(self, clauses: list[str], params: list[Any]) -> Iterator[tuple[Any, ...]]:
        """One initiative's rows, one index search per segment, segments in order (so seq order).

        Only the last segment can still be growing, and it is read last: while others append,
        the rows returned are still a prefix of the initiative's history, never one with a gap.
        """
        (last,) = self.conn.execute("SELECT max(seq) FROM records").fetchone()
        sql = f"{_SELECT} WHERE (seq >> {SEGMENT_BITS}) = ? AND {' AND '.join(clauses)} ORDER BY seq"
        for segment in range(((last or 0) >> SEGMENT_BITS) + 1):
            yield from self.conn.execute(sql, [segment, *params])

    def newest_first(self) -> Iterator[LedgerRecord]:
        """Records in reverse chain order, streamed: the latest of something is found by reading back
        from the head (the seq key), not the ledger from its start."""
        yield from map(_record, self.conn.execute(_SELECT + " ORDER BY seq DESC"))

    def window(self, first: int, last: int) -> list[LedgerRecord]:
        """The records with first <= seq <= last."""
        return [_record(row) for row in
                self.conn.execute(_SELECT + " WHERE seq BETWEEN ? AND ? ORDER BY seq", (first, last))]


def _create_schema(conn: sqlite3.Connection) -> None:
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone():
        return  # another process created it while we waited for the lock
    for statement in _SCHEMA:
        conn.execute(statement)
    conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", [
        ("schema_version", str(SCHEMA_VERSION)), ("head_count", "0"), ("head_hash", GENESIS)])


def upgrade(conn: sqlite3.Connection) -> None:
    """Schema 1 -> 2: swap the initiative index (records and hashes are untouched)."""
    if _meta_value(conn, "schema_version") != "1":
        return  # another process upgraded it while we waited for the lock
    conn.execute(f"DROP INDEX IF EXISTS {_V1_INDEX}")
    conn.execute(_INITIATIVE_INDEX)
    conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))
