"""The storage seam: the whole contract between the ledger API and the place its records are kept.

:class:`budgetpolicy.audit.ledger.Ledger` owns the meaning of a record: entries, the hash rule
(:mod:`budgetpolicy.audit.chain`), verification, policy checks, errors a person reads. An
:class:`EventStore` owns keeping them: ordering, atomicity, durability and concurrency. The SQLite
file (:class:`budgetpolicy.audit.storage.SqliteEventStore`) is the embedded default; a server
database can back the same ledger for writers on several machines by meeting this contract, and
``tests/audit/test_eventstore.py`` is the suite it must pass (add it to ``STORES`` there).

What an implementation must guarantee:

**Ordering.** Records are numbered 1, 2, 3, ... without gaps, in the order they were appended.
Every read yields records in seq order (``newest_first``: the reverse), never the same seq twice.

**Atomic appends.** :meth:`EventStore.append` runs ``build`` inside one write transaction: it takes
the write lock, reads the committed head, calls ``build(head)`` and writes the :class:`Batch` it
returns (its records and the policy copies they register), moving the head to the batch's last
record, all or nothing. If ``build`` raises, or anything fails before the commit, nothing is
written and ``build``'s exception propagates unchanged. A process killed at any moment leaves the
whole batch or none of it; once ``append`` has returned, the batch survives a crash of the process
(and, for a durable store, of the machine). ``build`` receives the head it must continue:
``batch.records[0].seq == head.size + 1``, each record links to the one before it (the first to
``head.head_hash``). The ledger computes the hashes; a store never does, and refuses a batch that does
not continue the head (LedgerError BP804, nothing written). ``build`` may run more than once (a
busy store retries the whole transaction), so it must have no effect beyond what it returns.

**Reads inside a write.** While ``build`` runs, reads through the same store object (records,
head, checkpoints, policies) see every committed record and nothing else, and no other writer can
commit until the transaction ends: a check ``build`` makes still holds when its batch is written
(what ``Ledger.append_checked`` and the sign-offs rely on). ``build`` must not append itself.

**Concurrency.** Any number of store objects, in any number of processes (or machines, for a server),
may append to one ledger. Appends are serialised: two writers never chain onto the same head, and a
batch's records are consecutive. A writer that finds the store busy waits (up to the store's
timeout), then raises LedgerError BP804; a waiting writer loses nothing.

**What a reader sees during a write.** Only committed batches, whole. A plain read streams and
never shows a gap (each record it yields comes after every earlier matching record); it may or may
not include what was committed while it ran. Inside :meth:`EventStore.snapshot`, every read sees one
committed state, as of the first read in the block: ``verify`` reads the head and then every record
and policy copy, and a concurrent append must not look like tampering.

**Policy copies.** A copy is written only in the batch that appends its ``policy`` record (its
``registered_seq``), never alone, and at most once per sha256 (a batch with a second copy is refused,
LedgerError BP804, nothing written). :meth:`EventStore.policy` finds a
copy by its exact sha256; :meth:`EventStore.policies` lists them in the order they were stored.

**Errors.** Every failure of the store itself is a :class:`~budgetpolicy.errors.LedgerError`: BP801 the
ledger does not exist (opened without ``create``), BP802 it is not a ledger or cannot be read, BP803 its
schema is newer than this budgetpolicy, BP804 it cannot be written (busy past the timeout, opened
read-only, a batch that does not continue the head), BP808 a checkpoint beyond the head, BP820 the disk is
full, BP821 the file or its directory is read-only, BP822 the storage is damaged, BP823 it holds text that
is not UTF-8 (BP822 and BP823 as :class:`~budgetpolicy.audit.storage_errors.LedgerDamagedError`, with the
record's seq when known). Writing through a store opened read-only changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Protocol

from attrs import frozen

from budgetpolicy.audit.entry import LedgerRecord
from budgetpolicy.audit.store import StoredPolicy


@frozen
class Checkpoint:
    """The ledger at a point: how many records it held (``size``) and the hash of the last of them
    (``head_hash``; 64 zeros for an empty ledger). Enough to tell, later, that history up to that point
    was not rewritten (``ledger verify --expect-head``); a later version adds a Merkle root."""

    size: int
    head_hash: str


@frozen
class Batch:
    """What one append writes: ``records`` chained onto the head the build was given, and the policy
    copies they register (each copy's ``registered_seq`` is the seq of its ``policy`` record in
    ``records``)."""

    records: Sequence[LedgerRecord]
    policies: Sequence[StoredPolicy] = ()


class EventStore(Protocol):
    """Where a ledger's records and policy copies are kept. The module docstring is the contract."""

    @property
    def name(self) -> str:
        """How messages name the ledger: its file path, or a server address without credentials."""

    def append(self, build: Callable[[Checkpoint], Batch]) -> list[int]:
        """Write ``build(head)`` in one write transaction; the new records' seqs (``[]`` for an empty batch)."""

    def head(self) -> Checkpoint:
        """The committed head, as the last append recorded it (O(1): not a count of the records)."""

    def checkpoint(self, size: int) -> Checkpoint:
        """The ledger as it stood after record ``size`` (0 <= size <= head size; else BP808)."""

    def read(self, first: int = 1, last: int | None = None, *, initiative_id: str | None = None,
             period: str | None = None, policy_version: str | None = None, kind: str | None = None,
             newest_first: bool = False) -> Iterator[LedgerRecord]:
        """The records with ``first <= seq <= last`` matching every filter given, streamed (memory does
        not grow with the ledger), in seq order or, with ``newest_first``, from the head back."""

    def snapshot(self) -> AbstractContextManager[None]:
        """A block whose reads all see one committed state (inside ``append``'s build: that one)."""

    def check_integrity(self) -> list[str]:
        """What the store's own consistency check finds wrong with its storage ([] when sound; SQLite's
        ``PRAGMA integrity_check``). ``verify`` runs it; a store with no such check returns []."""

    def policy(self, sha256: str) -> StoredPolicy | None:
        """The policy copy stored under exactly this sha256, or None."""

    def policies(self, policy_id: str | None = None, version: str | None = None) -> Iterator[StoredPolicy]:
        """The policy copies with this id and/or version, in the order they were stored."""

    def close(self) -> None:
        """Release the store (connections, locks); the object is not used again."""
