"""The ledger's SQLite file, the default :class:`~budgetpolicy.audit.eventstore.EventStore`.

It is over 400 lines because it is the one module that talks to SQLite (an import-linter contract keeps
it so): every open mode, query and transaction of the ledger lives here; what a failed one means
for a person is in :mod:`budgetpolicy.audit.storage_errors`.

Schema and upgrades, write transactions, queries, policy copies: the only module of budgetpolicy that
talks to SQLite (an import-linter contract keeps it so). :class:`budgetpolicy.audit.ledger.Ledger` is
the API; :mod:`budgetpolicy.audit.eventstore` is the contract this class meets. How it meets it:

* one ``BEGIN IMMEDIATE`` transaction per batch (:meth:`SqliteEventStore.append`): the
  write lock is taken before the head (count + last hash) is read, so two
  writers can never chain onto the same record, and SQLite's WAL makes the
  batch all-or-nothing even under SIGKILL (no partial record, ever);
* a busy database is retried with jittered backoff until ``timeout`` runs
  out, so waiting writers lose nothing;
* in WAL mode a reader sees only committed transactions, and one statement (a streamed read) or
  one deferred transaction (:meth:`SqliteEventStore.snapshot`) sees one committed state;
* triggers refuse UPDATE and DELETE, so an accident cannot rewrite history
  (a deliberate edit still can, and ``verify`` finds it).
"""

from __future__ import annotations

import os
import random
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, TypeVar

from budgetpolicy.audit.chain import GENESIS
from budgetpolicy.audit.entry import LedgerEntry, LedgerRecord
from budgetpolicy.audit.eventstore import Batch, Checkpoint
from budgetpolicy.audit.store import StoredPolicy
from budgetpolicy.audit.storage_errors import RESTORE, LedgerDamagedError, read_error, write_error
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
# search per segment instead (16 per million records; see SqliteEventStore._initiative_rows).
_INITIATIVE_INDEX = ("CREATE INDEX IF NOT EXISTS records_by_segment_initiative "
                     f"ON records (seq >> {SEGMENT_BITS}, initiative_id)")
_V1_INDEX = "records_by_initiative"  # schema version 1: ON records (initiative_id)

# The policy copies (the DDL text as schema version 1 wrote it: it is stored in every file).
_POLICIES = """
CREATE TABLE IF NOT EXISTS policies (
    sha256 TEXT PRIMARY KEY,
    policy_id TEXT NOT NULL,
    version TEXT NOT NULL,
    text TEXT NOT NULL,
    text_sha256 TEXT NOT NULL,
    data TEXT,
    registered_seq INTEGER NOT NULL
) WITHOUT ROWID
"""

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
    """CREATE TABLE IF NOT EXISTS records (
        seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, initiative_id TEXT NOT NULL, period TEXT,
        policy_id TEXT NOT NULL, policy_version TEXT NOT NULL, policy_sha256 TEXT NOT NULL,
        evaluated_at TEXT NOT NULL, payload TEXT NOT NULL, prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL)""",
    _INITIATIVE_INDEX,
    _POLICIES,
    *(f"CREATE TRIGGER IF NOT EXISTS {table}_append_only_{op.lower()} BEFORE {op} ON {table} "
      f"BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END"
      for table in ("records", "policies") for op in ("UPDATE", "DELETE")),
)

# A record's columns in stored order: seq, the entry's header and payload, then the chain.
_COLUMNS = ("seq", "kind", "initiative_id", "period", "policy_id", "policy_version", "policy_sha256",
            "evaluated_at", "payload", "prev_hash", "hash")
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM records"
_INSERT = f"INSERT INTO records ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"
_POLICY_COLUMNS = ("sha256", "policy_id", "version", "text", "text_sha256", "data", "registered_seq")
_SELECT_POLICY = f"SELECT {', '.join(_POLICY_COLUMNS)} FROM policies"
_INSERT_POLICY = (f"INSERT INTO policies ({', '.join(_POLICY_COLUMNS)}) "
                  f"VALUES ({', '.join('?' * len(_POLICY_COLUMNS))})")


def _record(row: Sequence[Any]) -> LedgerRecord:
    return LedgerRecord(row[0], LedgerEntry(*row[1:9]), row[9], row[10])


def _meta_value(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def _is_busy(exc: sqlite3.DatabaseError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


class SqliteEventStore:
    """A ledger file, opened with its schema checked (and upgraded when opened for writing).

    ``create`` makes the file when it is missing; ``readonly`` never writes it (appends raise BP804);
    ``durable`` syncs every commit (``synchronous=FULL``), else only against process crashes;
    ``timeout`` is how long a writer waits for the lock.
    """

    def __init__(self, path: str | os.PathLike[str], *, create: bool = True, readonly: bool = False,
                 durable: bool = True, timeout: float = 60.0) -> None:
        self.path = self.name = str(path)
        self.timeout = timeout
        self.readonly = readonly
        if not (create and not readonly) and not Path(self.path).is_file():
            raise LedgerError(f"ledger file '{self.path}' does not exist", Location(file=self.path),
                              hint="check the path, or create a ledger with 'budgetpolicy evaluate --ledger FILE'",
                              code="BP801")
        if create and not readonly and not Path(self.path).exists():
            _create_in_place(self.path)
        try:
            if readonly:
                self.conn = _connect_readonly(self.path, timeout)
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
        self._retry(lambda: conn.execute("PRAGMA journal_mode=WAL"))
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
            self._write(_create_schema)
        tables = {row[0] for row in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        missing = [t for t in ("records", "policies") if t not in tables]
        if missing:
            raise LedgerDamagedError(f"'{self.path}' is damaged: its {missing[0]} table is missing",
                                     Location(file=self.path), hint=RESTORE, code="BP822")
        version = self.meta("schema_version")
        if version is None or not version.isdigit():
            raise LedgerError(f"'{self.path}' has no valid schema_version", Location(file=self.path),
                              hint="the file is damaged or not a ledger", code="BP802")
        if int(version) > SCHEMA_VERSION:
            raise LedgerError(f"ledger schema version {version} is newer than this budgetpolicy "
                              f"supports ({SCHEMA_VERSION})", Location(file=self.path),
                              hint="upgrade budgetpolicy to read this ledger", code="BP803")
        if int(version) < SCHEMA_VERSION and writable:
            self._write(upgrade)
            version = self.meta("schema_version") or version
        # A version-1 file opened read-only keeps its plain initiative index, and is queried by it.
        return int(version) >= 2

    def meta(self, key: str) -> str | None:
        return _meta_value(self.conn, key)

    def close(self) -> None:
        self.conn.close()

    # -- writing -----------------------------------------------------------------------------

    def append(self, build: Callable[[Checkpoint], Batch]) -> list[int]:
        """Write ``build(head)`` in one BEGIN IMMEDIATE transaction (the contract's atomic append)."""
        def body(conn: sqlite3.Connection) -> list[int]:
            head = _head(conn, self.path)
            batch = build(head)
            records = batch.records
            if not records:
                return []
            self._check_continues(head, batch)
            conn.executemany(_INSERT, [(r.seq, *r.entry.header(), r.entry.payload, r.prev_hash, r.hash)
                                       for r in records])
            if batch.policies:
                conn.executemany(_INSERT_POLICY, [(p.sha256, p.policy_id, p.version, p.text, p.text_sha256,
                                                   p.data, p.registered_seq) for p in batch.policies])
            last = records[-1]
            conn.executemany("UPDATE meta SET value = ? WHERE key = ?",
                             [(str(last.seq), "head_count"), (last.hash, "head_hash")])
            return [r.seq for r in records]
        try:
            return self._write(body)
        except sqlite3.DatabaseError as exc:  # not a lock (those are retried): a damaged file, a full disk
            raise self._write_error(exc) from exc

    def _check_continues(self, head: Checkpoint, batch: Batch) -> None:
        seq, prev = head.size, head.head_hash
        for record in batch.records:
            seq += 1
            if record.seq != seq or record.prev_hash != prev:
                raise LedgerError(f"cannot write ledger '{self.path}': the batch does not continue its head "
                                  f"(record {record.seq} after record {seq - 1})", Location(file=self.path),
                                  hint="chain a batch onto the head its build is given", code="BP804")
            prev = record.hash
        first = head.size + 1
        if any(not first <= p.registered_seq <= seq for p in batch.policies):
            raise LedgerError(f"cannot write ledger '{self.path}': a policy copy is not registered by its batch",
                              Location(file=self.path), hint="store a copy with its policy record", code="BP804")

    def _retry(self, action: Callable[[], T]) -> T:
        """Run ``action``, retrying while another process holds the lock (until ``timeout``)."""
        deadline, delay = time.monotonic() + self.timeout, 0.001
        while True:
            try:
                return action()
            except sqlite3.OperationalError as exc:
                busy = _is_busy(exc)
                if not busy or time.monotonic() > deadline:
                    raise self._write_error(exc) from exc
                time.sleep(delay * random.uniform(0.5, 1.5))  # jitter: writers must not retry in lockstep
                delay = min(delay * 2, 0.05)

    def _write_error(self, exc: sqlite3.DatabaseError) -> LedgerError:
        return write_error(self.path, exc, self.readonly, self._write_hint(_is_busy(exc)))

    def _write_hint(self, busy: bool) -> str:
        if busy:
            return "another process may hold it for too long; retry"
        if self.readonly:
            return "it was opened read-only; open it for writing (readonly=False) to append"
        return "check the file with 'budgetpolicy ledger verify'"

    def _write(self, body: Callable[[sqlite3.Connection], T]) -> T:
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
        return self._retry(attempt)

    # -- reading -----------------------------------------------------------------------------

    @contextmanager
    def _reading(self, seq: int | None = None) -> Iterator[None]:
        try:
            yield
        except sqlite3.DatabaseError as exc:
            raise read_error(self.path, exc, seq) from exc

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """One deferred transaction: its first read fixes the committed state every later read sees."""
        if self.conn.in_transaction:  # inside an append's build: its write transaction is the snapshot
            yield
            return
        with self._reading():
            self.conn.execute("BEGIN")
        try:
            yield
        finally:
            # A read transaction: ending it cannot lose anything, and on a damaged file it can fail after
            # every read succeeded (or after the error that brought us here, which is the one to report).
            with suppress(sqlite3.DatabaseError):
                if self.conn.in_transaction:
                    self.conn.execute("COMMIT")
            with suppress(sqlite3.DatabaseError):
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")

    def check_integrity(self) -> list[str]:
        """SQLite's ``PRAGMA integrity_check``: the problems it finds in the file ([] when sound)."""
        with self._reading():
            rows = [row[0] for row in self.conn.execute("PRAGMA integrity_check(20)")]
        return [] if rows == ["ok"] else rows

    def head(self) -> Checkpoint:
        with self._reading():
            return _head(self.conn, self.path)

    def checkpoint(self, size: int) -> Checkpoint:
        with self.snapshot(), self._reading():
            head = _head(self.conn, self.path)
            row = (GENESIS,) if size == 0 else None
            if 0 < size <= head.size:
                row = self.conn.execute("SELECT hash FROM records WHERE seq = ?", (size,)).fetchone()
        if row is None:
            why = "that record is missing" if 0 < size <= head.size else f"the ledger holds records 1 to {head.size}"
            raise LedgerError(f"no checkpoint at record {size} in '{self.path}': {why}",
                              Location(file=self.path), code="BP808",
                              hint=f"give a size from 0 to {head.size}; 'budgetpolicy ledger verify' checks the file")
        return Checkpoint(size, row[0])

    def read(self, first: int = 1, last: int | None = None, *, initiative_id: str | None = None,
             period: str | None = None, policy_version: str | None = None, kind: str | None = None,
             newest_first: bool = False) -> Iterator[LedgerRecord]:
        """Records in chain order (or from the head back), filtered, streamed from a cursor."""
        filters = [(column, value) for column, value in (("initiative_id", initiative_id), ("period", period),
                   ("policy_version", policy_version), ("kind", kind)) if value is not None]
        clauses = [f"{column} = ?" for column, _ in filters]
        params: list[Any] = [value for _, value in filters]
        if first > 1:
            clauses.append("seq >= ?")
            params.append(first)
        if last is not None:
            clauses.append("seq <= ?")
            params.append(last)
        order = " ORDER BY seq DESC" if newest_first else " ORDER BY seq"
        done: int | None = None
        try:
            if initiative_id is not None and self.segmented:
                rows: Iterator[Sequence[Any]] = self._initiative_rows(clauses, params, order, first, last)
            else:
                rows = self.conn.execute(_SELECT + (" WHERE " + " AND ".join(clauses) if clauses else "")
                                         + order, params)
            for row in rows:
                done = row[0]
                yield _record(row)
        except sqlite3.DatabaseError as exc:
            raise read_error(self.path, exc, self._failing_seq(done, first, newest_first)) from exc

    def _failing_seq(self, done: int | None, first: int, newest_first: bool) -> int | None:
        """The seq of the row a streamed read failed on: the next one after the last it gave (None when
        the file is too damaged to say)."""
        after = (first - 1) if done is None and not newest_first else done
        sql = ("SELECT seq FROM records WHERE seq < ? ORDER BY seq DESC LIMIT 1" if newest_first
               else "SELECT seq FROM records WHERE seq > ? ORDER BY seq LIMIT 1")
        try:
            row = self.conn.execute(sql, (after if after is not None else 1 << 62,)).fetchone()
        except sqlite3.DatabaseError:
            return None if after is None or newest_first else after + 1
        return None if row is None else int(row[0])

    def _initiative_rows(self, clauses: list[str], params: list[Any], order: str, first: int,
                         last: int | None) -> Iterator[Sequence[Any]]:
        """One initiative's rows, one index search per segment, segments in ``order`` (so seq order).

        Only the last segment can still be growing. Read last (in chain order) the rows returned are
        still a prefix of the initiative's history, never one with a gap; read first (from the head
        back) they are every row up to the moment it was read.
        """
        (top,) = self.conn.execute("SELECT max(seq) FROM records").fetchone()
        top = (top or 0) if last is None else min(top or 0, last)
        segments = range(max(first, 0) >> SEGMENT_BITS, (max(top, 0) >> SEGMENT_BITS) + 1)
        sql = f"{_SELECT} WHERE (seq >> {SEGMENT_BITS}) = ? AND {' AND '.join(clauses)}{order}"
        for segment in (reversed(segments) if order.endswith("DESC") else segments):
            yield from self.conn.execute(sql, [segment, *params])

    def policy(self, sha256: str) -> StoredPolicy | None:
        with self._reading():
            row = self.conn.execute(_SELECT_POLICY + " WHERE sha256 = ?", (sha256,)).fetchone()
        return None if row is None else StoredPolicy(*row)

    def policies(self, policy_id: str | None = None, version: str | None = None) -> Iterator[StoredPolicy]:
        filters = [(column, value) for column, value in (("policy_id", policy_id), ("version", version))
                   if value is not None]
        where = " AND ".join(f"{column} = ?" for column, _ in filters) or "1=1"
        with self._reading():
            for row in self.conn.execute(f"{_SELECT_POLICY} WHERE {where} ORDER BY registered_seq",
                                         [value for _, value in filters]):
                yield StoredPolicy(*row)


def _connect_readonly(path: str, timeout: float) -> sqlite3.Connection:
    """A read-only connection, also to a file on read-only media (an archived copy, a read-only mount).

    A reader of a WAL file needs its ``-shm`` index, which SQLite creates beside the file; on a
    read-only filesystem it cannot, and a ledger closed cleanly has none, so the open fails. There
    nobody can write the file, and with no ``-wal`` every committed record is in it: SQLite may read
    it as immutable (no locks, no index). A ``-wal`` left there is refused, never ignored.
    """
    uri = Path(path).resolve().as_uri() + "?mode=ro"
    conn = sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None)
    try:
        conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone()
        return conn
    except sqlite3.OperationalError:
        if not os.statvfs(path).f_flag & os.ST_RDONLY:
            raise
        conn.close()
    wal = Path(f"{path}-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise LedgerError(f"'{path}' is on a read-only filesystem with a write-ahead log beside it "
                          f"({wal.name}) that SQLite cannot read there", Location(file=path), code="BP802",
                          hint="copy the file and its -wal to a writable directory and read the copy")
    return sqlite3.connect(uri + "&immutable=1", uri=True, timeout=timeout, isolation_level=None)


def _head(conn: sqlite3.Connection, path: str | None = None) -> Checkpoint:
    """The head as the last committed append recorded it (count + last hash, kept in ``meta``)."""
    values = dict(conn.execute("SELECT key, value FROM meta WHERE key IN ('head_count', 'head_hash')"))
    count = values.get("head_count", "0")
    if not isinstance(count, str) or not count.isascii() or not count.isdigit():
        raise LedgerDamagedError(f"the ledger's meta head_count {str(count)[:40]!r} is not a record count",
                                 Location(file=path, key="meta head_count"), code="BP822", hint=RESTORE)
    return Checkpoint(int(count), values.get("head_hash", GENESIS))


def _create_in_place(path: str) -> None:
    """Make a new ledger file appear whole: the schema is committed in a temporary file beside it,
    which is then hard-linked to ``path`` (atomic, and it fails rather than replace a ledger another
    process created meanwhile). A kill at any moment leaves either no ledger or a complete empty one,
    never a SQLite file without the ledger's tables (which ``verify`` must call BP802); at worst a
    stray ``.NAME.new-PID-N`` beside it. Where links are not possible (some file systems), or the
    directory cannot be written, this does nothing and the caller creates the file as before, with its
    errors."""
    target = Path(path)
    temp = target.with_name(f".{target.name}.new-{os.getpid()}-{random.randrange(1 << 30)}")
    try:
        conn = sqlite3.connect(temp, isolation_level=None)
        try:
            conn.execute("PRAGMA page_size=8192")  # as _configure sets it: only an empty file takes it
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("BEGIN IMMEDIATE")
            _create_schema(conn)
            conn.execute("COMMIT")
        finally:
            conn.close()  # the last connection checkpoints the WAL into the file and removes it
        with open(temp, "rb") as fh:
            os.fsync(fh.fileno())
        with suppress(FileExistsError):  # another process won: open its ledger
            os.link(temp, target)
        with suppress(OSError):
            dir_fd = os.open(target.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)  # the new name survives power loss as the batch would
            finally:
                os.close(dir_fd)
    except (OSError, sqlite3.DatabaseError):
        pass  # the caller's sqlite3.connect creates the file and reports what goes wrong, as before
    finally:
        with suppress(OSError):
            os.unlink(temp)


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
