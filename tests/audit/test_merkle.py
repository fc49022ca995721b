"""The ledger's Merkle tree against the published RFC 6962 / RFC 9162 test vectors.

The vectors (leaves, roots of the trees of 1 to 8 leaves, inclusion and consistency proofs) are those
of transparency-dev/merkle ``proof/verify_test.go`` (also in certificate-transparency-go), copied
here as data. Every proof is also built by our prover and checked against every prefix size, and
corrupted proofs (as that suite corrupts them) must fail.
"""

from __future__ import annotations

import hashlib

import pytest

from budgetpolicy.audit.merkle import (EMPTY_ROOT, ProofError, TreeBuilder, consistency_proof, inclusion_proof,
                                       leaf_hash, leaves_in_memory, root_from_inclusion, tree_root,
                                       verify_consistency, verify_inclusion)

h = bytes.fromhex
LEAVES = [h(x) for x in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                         "606162636465666768696a6b6c6d6e6f")]
ROOTS = [h(x) for x in (
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")]
# (leaf number, 1-based; tree size; proof)
INCLUSION = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (3, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (2, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]
CONSISTENCY = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]
READ = leaves_in_memory(LEAVES)


def test_the_empty_tree_and_leaf_and_node_prefixes():
    assert tree_root([]) == EMPTY_ROOT == h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    assert leaf_hash(b"") == hashlib.sha256(b"\x00").digest() == ROOTS[0]


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_of_every_prefix_match_the_vectors(size):
    assert tree_root(LEAVES[:size]) == ROOTS[size - 1]


def test_the_builder_gives_each_prefix_root_in_logarithmic_state():
    builder = TreeBuilder()
    for size, data in enumerate(LEAVES, 1):
        builder.add(data)
        assert builder.root() == ROOTS[size - 1]
        assert len(builder.stack) == bin(size).count("1")


@pytest.mark.parametrize(("leaf", "size", "proof"), INCLUSION)
def test_inclusion_proofs_match_the_vectors_and_verify(leaf, size, proof):
    expected = [h(p) for p in proof]
    assert inclusion_proof(leaf - 1, size, READ) == expected
    verify_inclusion(leaf - 1, size, leaf_hash(LEAVES[leaf - 1]), expected, ROOTS[size - 1])


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY)
def test_consistency_proofs_match_the_vectors_and_verify(old, new, proof):
    expected = [h(p) for p in proof]
    assert consistency_proof(old, new, READ) == expected
    verify_consistency(old, new, ROOTS[old - 1], ROOTS[new - 1], expected)


def test_every_proof_we_build_for_every_size_verifies():
    leaves = [f"leaf {i}".encode() for i in range(37)]
    read = leaves_in_memory(leaves)
    roots = [tree_root(leaves[:n]) for n in range(len(leaves) + 1)]
    for new in range(1, len(leaves) + 1):
        for index in range(new):
            verify_inclusion(index, new, leaf_hash(leaves[index]), inclusion_proof(index, new, read), roots[new])
        for old in range(0, new + 1):
            verify_consistency(old, new, roots[old], roots[new], consistency_proof(old, new, read))


def corruptions(proof):
    yield proof + [b""]
    yield [b""] + proof
    if proof:
        yield proof[:-1]
        yield [proof[0], hashlib.sha256(b"x").digest(), *proof[1:]]
    for i in range(len(proof)):
        flipped = bytearray(proof[i])
        flipped[0] ^= 8
        yield proof[:i] + [bytes(flipped)] + proof[i + 1:]


@pytest.mark.parametrize(("leaf", "size", "proof"), INCLUSION[1:])
def test_corrupted_inclusion_proofs_fail(leaf, size, proof):
    proof = [h(p) for p in proof]
    digest, root, index = leaf_hash(LEAVES[leaf - 1]), ROOTS[size - 1], leaf - 1
    for bad in corruptions(proof):
        with pytest.raises(ProofError):
            verify_inclusion(index, size, digest, bad, root)
    for i, n in ((index + 1, size), (index ^ 2, size), (index, size * 2), (index, size // 2)):
        if (i, n) != (index, size):
            with pytest.raises(ProofError):
                verify_inclusion(i, n, digest, proof, root)
    with pytest.raises(ProofError):
        verify_inclusion(index, size, leaf_hash(b"WrongLeaf"), proof, root)


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY[1:])
def test_corrupted_consistency_proofs_fail(old, new, proof):
    proof = [h(p) for p in proof]
    r1, r2 = ROOTS[old - 1], ROOTS[new - 1]
    for bad in [*corruptions(proof), []]:
        with pytest.raises(ProofError):
            verify_consistency(old, new, r1, r2, bad)
    for a, b, x, y in ((old - 1, new, r1, r2), (old + 1, new, r1, r2), (old, new * 2, r1, r2),
                       (old, new, r2, r1), (old, new, EMPTY_ROOT, r2), (old, new, r1, EMPTY_ROOT)):
        with pytest.raises(ProofError):
            verify_consistency(a, b, x, y, proof)


def test_impossible_sizes_are_refused():
    with pytest.raises(ProofError):
        root_from_inclusion(0, 0, ROOTS[0], [])
    with pytest.raises(ProofError):
        verify_consistency(2, 1, ROOTS[1], ROOTS[0], [])
    with pytest.raises(ProofError):
        verify_consistency(1, 1, ROOTS[0], ROOTS[1], [])
    verify_consistency(0, 1, EMPTY_ROOT, ROOTS[0], [])
