"""RFC 9162 Merkle tree and proofs: vectors from spec/vectors/merkle.json and properties."""

from __future__ import annotations

from hashlib import sha256

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bluezone.protocol.errors import MerkleError, ProtocolError
from bluezone.protocol.merkle import (
    EMPTY_ROOT,
    MerkleTree,
    consistency_proof_length,
    inclusion_proof_length,
    leaf_hash,
    node_hash,
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)
from tests.vectorfiles import cases

FILE = "merkle.json"


def _tree(leaves_hex: list[str]) -> MerkleTree:
    return MerkleTree(leaf_hash(bytes.fromhex(x)) for x in leaves_hex)


@pytest.mark.parametrize("test", cases(FILE, "LeafHash"))
def test_leaf_hash_vectors(test: dict) -> None:
    data = bytes.fromhex(test["inputs"]["leafData"])
    assert leaf_hash(data).hex() == test["expected"]["leafHash"]


@pytest.mark.parametrize("test", cases(FILE, "TreeHash"))
def test_tree_hash_vectors(test: dict) -> None:
    tree = _tree(test["inputs"]["leaves"])
    assert tree.root().hex() == test["expected"]["rootHash"]


@pytest.mark.parametrize("test", cases(FILE, "InclusionProof"))
def test_inclusion_vectors(test: dict) -> None:
    inputs = test["inputs"]
    proof = [bytes.fromhex(x) for x in inputs["proof"]]
    args = (
        bytes.fromhex(inputs["leafHash"]),
        inputs["leafIndex"],
        inputs["treeSize"],
        proof,
        bytes.fromhex(inputs["rootHash"]),
    )
    if test["result"] == "valid":
        verify_inclusion(*args)
        tree = _tree(inputs["leaves"])
        assert tree.inclusion_proof(inputs["leafIndex"], inputs["treeSize"]) == tuple(proof)
        assert tree.root(inputs["treeSize"]).hex() == inputs["rootHash"]
    else:
        with pytest.raises(MerkleError) as info:
            verify_inclusion(*args)
        assert info.value.code == test["expected"]["error"]


@pytest.mark.parametrize("test", cases(FILE, "ConsistencyProof"))
def test_consistency_vectors(test: dict) -> None:
    inputs = test["inputs"]
    proof = [bytes.fromhex(x) for x in inputs["proof"]]
    args = (
        inputs["size1"],
        inputs["size2"],
        bytes.fromhex(inputs["root1"]),
        bytes.fromhex(inputs["root2"]),
        proof,
    )
    if test["result"] == "valid":
        verify_consistency(*args)
        tree = _tree(inputs["leaves"])
        if inputs["size2"] <= tree.size:
            assert tree.consistency_proof(inputs["size1"], inputs["size2"]) == tuple(proof)
    else:
        with pytest.raises(MerkleError) as info:
            verify_consistency(*args)
        assert info.value.code == test["expected"]["error"]


def _reference_root(hashes: list[bytes]) -> bytes:
    """MTH straight from RFC 9162 section 2.1.1, for cross-checking the level cache."""
    if not hashes:
        return EMPTY_ROOT
    if len(hashes) == 1:
        return hashes[0]
    k = 1 << ((len(hashes) - 1).bit_length() - 1)
    return node_hash(_reference_root(hashes[:k]), _reference_root(hashes[k:]))


leaf_lists = st.lists(st.binary(max_size=8), min_size=1, max_size=70)


@settings(max_examples=60, deadline=None)
@given(leaf_lists, st.data())
def test_every_inclusion_proof_verifies(leaves: list[bytes], data: st.DataObject) -> None:
    hashes = [leaf_hash(x) for x in leaves]
    tree = MerkleTree(hashes)
    size = data.draw(st.integers(1, len(hashes)))
    index = data.draw(st.integers(0, size - 1))
    root = tree.root(size)
    assert root == _reference_root(hashes[:size])
    proof = tree.inclusion_proof(index, size)
    assert len(proof) == inclusion_proof_length(index, size)
    verify_inclusion(hashes[index], index, size, proof, root)


@settings(max_examples=60, deadline=None)
@given(leaf_lists, st.data())
def test_every_consistency_proof_verifies(leaves: list[bytes], data: st.DataObject) -> None:
    tree = MerkleTree(leaf_hash(x) for x in leaves)
    second = data.draw(st.integers(0, tree.size))
    first = data.draw(st.integers(0, second))
    proof = tree.consistency_proof(first, second)
    assert len(proof) == consistency_proof_length(first, second)
    verify_consistency(first, second, tree.root(first), tree.root(second), proof)


@settings(max_examples=80, deadline=None)
@given(st.integers(2, 64), st.data())
def test_tampering_any_inclusion_proof_byte_fails(size: int, data: st.DataObject) -> None:
    tree = MerkleTree(leaf_hash(i.to_bytes(2, "big")) for i in range(size))
    index = data.draw(st.integers(0, size - 1))
    proof = list(tree.inclusion_proof(index))
    position = data.draw(st.integers(0, 32 * len(proof) - 1))
    mask = data.draw(st.integers(1, 255))
    item, offset = divmod(position, 32)
    changed = bytearray(proof[item])
    changed[offset] ^= mask
    proof[item] = bytes(changed)
    with pytest.raises(MerkleError) as info:
        verify_inclusion(tree.leaf_hash_at(index), index, size, proof, tree.root())
    assert info.value.code == "merkle_root_mismatch"


@settings(max_examples=80, deadline=None)
@given(st.integers(3, 64), st.data())
def test_tampering_any_consistency_proof_byte_fails(size: int, data: st.DataObject) -> None:
    tree = MerkleTree(leaf_hash(i.to_bytes(2, "big")) for i in range(size))
    first = data.draw(st.integers(1, size - 1))
    proof = list(tree.consistency_proof(first))
    position = data.draw(st.integers(0, 32 * len(proof) - 1))
    mask = data.draw(st.integers(1, 255))
    item, offset = divmod(position, 32)
    changed = bytearray(proof[item])
    changed[offset] ^= mask
    proof[item] = bytes(changed)
    with pytest.raises(MerkleError) as info:
        verify_consistency(first, size, tree.root(first), tree.root(), proof)
    assert info.value.code == "merkle_root_mismatch"


@settings(max_examples=200, deadline=None)
@given(
    st.integers(-2, 2**64 + 1),
    st.integers(-2, 2**64 + 1),
    st.lists(st.binary(max_size=40), max_size=70),
    st.binary(max_size=40),
    st.binary(max_size=40),
)
def test_arbitrary_proofs_raise_only_merkle_errors(
    a: int, b: int, proof: list[bytes], h1: bytes, h2: bytes
) -> None:
    for call in (
        lambda: verify_inclusion(h1, a, b, proof, h2),
        lambda: root_from_inclusion_proof(h1, a, b, proof),
        lambda: verify_consistency(a, b, h1, h2, proof),
    ):
        try:
            call()
        except ProtocolError as exc:
            assert isinstance(exc, MerkleError)


def test_tree_answers_old_sizes_after_growth() -> None:
    tree = MerkleTree()
    roots = [tree.root()]
    for i in range(40):
        tree.append_leaf(i.to_bytes(4, "big"))
        roots.append(tree.root())
    for size, root in enumerate(roots):
        assert tree.root(size) == root
    assert roots[0] == sha256(b"").digest()


def test_tree_rejects_sizes_beyond_it_and_bad_leaves() -> None:
    tree = MerkleTree([leaf_hash(b"a")])
    with pytest.raises(MerkleError) as info:
        tree.root(2)
    assert info.value.code == "merkle_tree_size"
    with pytest.raises(MerkleError) as info:
        tree.append(b"short")
    assert info.value.code == "merkle_hash_length"
    with pytest.raises(MerkleError) as info:
        tree.inclusion_proof(1)
    assert info.value.code == "merkle_index_out_of_range"
    with pytest.raises(MerkleError) as info:
        tree.consistency_proof(2, 1)
    assert info.value.code == "merkle_sizes_out_of_order"
