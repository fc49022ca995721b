"""The ledger's Merkle tree (RFC 9162, section 2.1): roots, inclusion and consistency proofs, streamed.

The chain (:mod:`budgetpolicy.audit.chain`) proves a ledger is internally consistent; the tree lets an
outsider holding only a small checkpoint (tree size + root) check, later, that the ledger still
extends what they saw (a consistency proof) and that a record is in it (an inclusion proof), each in
O(log n) hashes. It is the tree of Certificate Transparency:

    leaf hash  MTH({d}) = SHA-256(0x00 || d)
    node hash           = SHA-256(0x01 || left || right)
    MTH({})             = SHA-256("")
    MTH(D[n]) = node(MTH(D[0:k]), MTH(D[k:n])), k the largest power of two < n

The leaf data ``d`` of record ``seq`` (leaf index ``seq - 1``) is the record's chain hash as its 32
raw bytes. That hash already commits to every column and the payload exactly as stored, and to the
seq; hashing it again costs nothing to stream (no payload is re-read), and a verifier who holds the
record recomputes it with the chain rule (``docs/audit.md``, ``scripts/bp-verify-proof.py``).

Nothing here holds all the leaves: :class:`TreeBuilder` keeps one hash per set bit of the size
(O(log n)) and gives the root of every prefix it passes; the proofs read the leaves they need
through ``leaves(start, end)``, a callable streaming leaf data of indices ``start <= i < end``, and
read each leaf at most once per proof (the subtrees a proof needs are disjoint).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence

LeafReader = Callable[[int, int], Iterable[bytes]]

EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(ValueError):
    """A proof does not verify, or its sizes are impossible; the message says which."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly below ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


class TreeBuilder:
    """The root of a growing tree, one leaf at a time, in O(log n) memory.

    ``stack`` holds the roots of the perfect subtrees the leaves so far decompose into, largest
    first (one per set bit of ``size``); the root folds them from the right.
    """

    def __init__(self) -> None:
        self.size = 0
        self.stack: list[bytes] = []

    def add(self, data: bytes) -> None:
        self.add_hash(leaf_hash(data))

    def add_hash(self, digest: bytes) -> None:
        self.stack.append(digest)
        self.size += 1
        merges = (self.size & -self.size).bit_length() - 1  # trailing zeros: perfect subtrees completed
        for _ in range(merges):
            right = self.stack.pop()
            self.stack.append(node_hash(self.stack.pop(), right))

    def root(self) -> bytes:
        if not self.stack:
            return EMPTY_ROOT
        digest = self.stack[-1]
        for left in reversed(self.stack[:-1]):
            digest = node_hash(left, digest)
        return digest


def tree_root(leaves: Iterable[bytes]) -> bytes:
    """MTH of the leaf data, streamed."""
    builder = TreeBuilder()
    for data in leaves:
        builder.add(data)
    return builder.root()


def _range_root(leaves: LeafReader, start: int, end: int) -> bytes:
    return tree_root(leaves(start, end))


def inclusion_proof(index: int, size: int, leaves: LeafReader) -> list[bytes]:
    """PATH(index, D[size]) of RFC 9162 2.1.3.1, bottom first."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of {size} leaves")
    path: list[bytes] = []
    start, end = 0, size
    while end - start > 1:  # walk down from the root, collecting the sibling of each step (top first)
        k = _split(end - start)
        if index < start + k:
            path.append(_range_root(leaves, start + k, end))
            end = start + k
        else:
            path.append(_range_root(leaves, start, start + k))
            start += k
    return path[::-1]


def consistency_proof(old: int, new: int, leaves: LeafReader) -> list[bytes]:
    """PROOF(old, D[new]) of RFC 9162 2.1.4.1 (empty when old is 0 or equals new)."""
    if not 0 <= old <= new:
        raise ProofError(f"no consistency proof from {old} to {new} leaves")
    if old in (0, new):
        return []
    path: list[bytes] = []
    start, end, whole = 0, new, True  # SUBPROOF(m, D[start:end], whole), unrolled
    m = old
    while m != end - start:
        k = _split(end - start)
        if m <= k:
            path.append(_range_root(leaves, start + k, end))
            end = start + k
        else:
            path.append(_range_root(leaves, start, start + k))
            start, m, whole = start + k, m - k, False
    if not whole:
        path.append(_range_root(leaves, start, end))
    return path[::-1]


def root_from_inclusion(index: int, size: int, digest: bytes, proof: Sequence[bytes]) -> bytes:
    """The root an inclusion proof of the leaf hash ``digest`` implies (RFC 9162 2.1.3.2)."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of {size} leaves")
    fn, sn, r = index, size - 1, digest
    for p in proof:
        if sn == 0:
            raise ProofError("the inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn & 1 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the inclusion proof is shorter than the tree is deep")
    return r


def verify_inclusion(index: int, size: int, digest: bytes, proof: Sequence[bytes], root: bytes) -> None:
    if root_from_inclusion(index, size, digest, proof) != root:
        raise ProofError(f"leaf {index} is not included in the tree of {size} leaves with that root")


def verify_consistency(old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> None:
    """RFC 9162 2.1.4.2: raise ProofError unless ``proof`` shows tree ``old`` is a prefix of tree ``new``."""
    if not 0 <= old <= new:
        raise ProofError(f"a tree of {new} leaves cannot extend one of {old}")
    if old == new or old == 0:
        if proof:
            raise ProofError("the consistency proof should be empty for these sizes")
        if old == new and old_root != new_root:
            raise ProofError(f"two trees of {old} leaves with different roots")
        return
    if not proof:
        raise ProofError("the consistency proof is empty")
    path = list(proof)
    if old & (old - 1) == 0:  # old is a power of two: its root is the proof's implicit first node
        path.insert(0, old_root)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("the consistency proof is longer than the trees are deep")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while fn & 1 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the consistency proof is shorter than the trees are deep")
    if fr != old_root:
        raise ProofError(f"the proof does not lead to the root of the tree of {old} leaves")
    if sr != new_root:
        raise ProofError(f"the proof does not lead to the root of the tree of {new} leaves")


def leaves_in_memory(data: Sequence[bytes]) -> LeafReader:
    """A leaf reader over a list (tests, small trees)."""
    def read(start: int, end: int) -> Iterator[bytes]:
        return iter(data[start:end])
    return read
