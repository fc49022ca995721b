"""The EventStore implementations the contract suite (test_eventstore.py) runs against.

Each kind says how to make a fresh ledger's address, open a store on it (read-only too) and take a
fingerprint of what it holds (to show that something changed nothing). A second implementation (a
server database) adds its kind to ``STORES``; every contract test then runs against it as well,
including the concurrent writers, which open it by kind name in their own processes
(``LEDGER_WRITER_STORE``, read by ledger_writer.py).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from budgetpolicy.audit.eventstore import EventStore
from budgetpolicy.audit.storage import SqliteEventStore


class SqliteKind:
    """The embedded default: one SQLite file."""

    name = "sqlite"

    def target(self, tmp_path: Path) -> str:
        return str(tmp_path / "ledger.db")

    def open(self, target: str, *, readonly: bool = False, create: bool = True) -> EventStore:
        return SqliteEventStore(target, create=create, readonly=readonly)

    def fingerprint(self, target: str) -> str:
        """The file's bytes (hashed); taken with no store open, so the WAL is folded into the file."""
        return hashlib.sha256(Path(target).read_bytes()).hexdigest()


STORES = {kind.name: kind for kind in (SqliteKind(),)}
