"""Anchors: what ``verify`` can conclude from a head hash or checkpoints kept outside the ledger.

The chain alone proves the file is consistent with itself; anyone who can write the file can
rewrite it consistently. An anchor is a statement taken earlier and kept elsewhere:

* an **expected head** (``--expect-head HASH``): a record's chain hash. If some record of the intact
  chain has that hash, every record up to it is unchanged (each hash covers the one before); records
  after it were appended since, and the hash alone cannot say when or by whom. If no record has it,
  history up to it was rewritten or removed, or this is another ledger; which, it cannot say.
* a **checkpoint** (:mod:`budgetpolicy.audit.checkpoint`): tree size and Merkle root. The ledger
  must hold at least that many records (fewer: records were truncated or a committed batch was lost,
  BP827) and the root of its first ``size`` records must be the checkpoint's (else the first
  ``size`` records were rewritten, or this ledger is a fork of the one checkpointed, BP828). A
  checkpoint has no per-record detail, so a rewrite is placed between the largest checkpoint that
  still holds and the one that fails.

:class:`AnchorWatch` follows the records ``verify`` has checked (one streamed pass, O(log n) state
for the tree) and then judges the anchors.
"""

from __future__ import annotations

from collections.abc import Sequence

from budgetpolicy.audit.chain import ChainFault
from budgetpolicy.audit.checkpoint import TreeCheckpoint
from budgetpolicy.audit.entry import LedgerRecord
from budgetpolicy.audit.merkle import EMPTY_ROOT, TreeBuilder


def _records(n: int) -> str:
    return f"{n} record{'' if n == 1 else 's'}"


class AnchorWatch:
    """Builds the tree over the verified records and notes where the anchors fall."""

    def __init__(self, expect_head: str | None = None, checkpoints: Sequence[TreeCheckpoint] = ()) -> None:
        self.tree = TreeBuilder()
        self.expect_head = expect_head
        self.head_seq: int | None = None
        self.checkpoints = sorted(checkpoints, key=lambda c: c.size)
        self.sizes = {c.size for c in checkpoints}
        self.roots: dict[int, bytes] = {0: EMPTY_ROOT}

    def see(self, record: LedgerRecord) -> None:
        """Called for each record in chain order, once the chain check has passed it."""
        self.tree.add(bytes.fromhex(record.hash))
        if self.tree.size in self.sizes:
            self.roots[self.tree.size] = self.tree.root()
        if record.hash == self.expect_head:
            self.head_seq = record.seq

    def judge(self, seen: int, last: str) -> tuple[ChainFault | None, tuple[str, ...]]:
        """The first anchor that fails (as a fault), and what the anchors that hold establish."""
        notes: list[str] = []
        if self.expect_head is not None and self.expect_head != last:
            if self.head_seq is None:
                return ChainFault(None, "BP816", (
                    f"the expected head {self.expect_head} is not the hash of any record in this ledger: "
                    "records up to it were rewritten or removed, or this is a different ledger")), ()
            notes.append(f"the expected head is record {self.head_seq}'s hash: records 1 to {self.head_seq} are "
                         f"unchanged; {_records(seen - self.head_seq)} follow it (appended since; the hash alone "
                         "cannot say when or by whom)")
        held = 0
        for checkpoint in self.checkpoints:
            fault = self._fault(checkpoint, seen, held)
            if fault is not None:
                return fault, tuple(notes)
            held = checkpoint.size
            grown = seen - checkpoint.size
            notes.append(f"{checkpoint.label} (size {checkpoint.size}): consistent"
                         + (f", the ledger extends it by {_records(grown)}" if grown else ", the ledger is at it"))
        return None, tuple(notes)

    def _fault(self, checkpoint: TreeCheckpoint, seen: int, held: int) -> ChainFault | None:
        size = checkpoint.size
        if size > seen:
            gone = f"record {size}" if size == seen + 1 else f"records {seen + 1} to {size}"
            return ChainFault(seen + 1, "BP827", (
                f"{checkpoint.label} records {_records(size)} but the ledger holds {seen}: {gone} "
                f"{'is' if size == seen + 1 else 'are'} gone (truncated, or a committed batch was lost)"))
        if self.roots[size] == checkpoint.root:
            return None
        if held + 1 == size:
            return ChainFault(size, "BP828", (
                f"the root of the first {_records(size)} differs from {checkpoint.label}: record {size} was "
                f"rewritten{f' (records 1 to {held} still match)' if held else ''}, or this ledger is a fork"))
        where = f"records {held + 1} to {size}"
        since = f" (records 1 to {held} still match an earlier checkpoint)" if held else ""
        return ChainFault(None, "BP828", (
            f"the root of the first {_records(size)} differs from {checkpoint.label}: history was rewritten, "
            f"or this ledger is a fork of the one checkpointed; the first changed record is among {where}{since}"))
